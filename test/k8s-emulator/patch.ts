import { ApiError, badRequest } from "./status.js";

type Json = any;

const isObject = (v: unknown): v is Record<string, Json> => typeof v === "object" && v !== null && !Array.isArray(v);
const clone = <T>(v: T): T => structuredClone(v);

/** RFC 7386 JSON merge patch (`application/merge-patch+json`). */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const out: Record<string, Json> = isObject(target) ? clone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

/**
 * Merge keys of the list fields in the objects the emulator serves (from the `patchMergeKey`
 * tags of k8s.io/api). Lists not named here are replaced whole, as for atomic lists.
 */
const mergeKeys: Record<string, string> = {
  containers: "name",
  initContainers: "name",
  ephemeralContainers: "name",
  env: "name",
  volumes: "name",
  imagePullSecrets: "name",
  ports: "containerPort",
  volumeMounts: "mountPath",
  volumeDevices: "devicePath",
  hostAliases: "ip",
  conditions: "type",
  ownerReferences: "uid",
  topologySpreadConstraints: "topologyKey",
};

/**
 * Strategic merge patch (`application/strategic-merge-patch+json`) for the fields above:
 * maps merge, `null` deletes, keyed lists merge by their key, `$patch: replace|delete|merge`,
 * `$retainKeys`, `$deleteFromPrimitiveList/<field>`; `$setElementOrder/<field>` is accepted and
 * ignored (order is kept as stored, new elements appended).
 */
export function strategicMergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const directive = patch.$patch;
  if (directive === "replace") {
    const { $patch: _, ...rest } = patch;
    return clone(rest);
  }
  if (directive === "delete") return undefined;
  if (directive !== undefined && directive !== "merge") throw badRequest(`Unknown patch type: ${directive} in map: ${JSON.stringify(patch)}`);

  const out: Record<string, Json> = isObject(target) ? clone(target) : {};
  const retain: string[] | undefined = patch.$retainKeys;
  for (const [key, value] of Object.entries(patch)) {
    if (key === "$patch" || key === "$retainKeys" || key.startsWith("$setElementOrder/")) continue;
    if (key.startsWith("$deleteFromPrimitiveList/")) {
      const field = key.slice("$deleteFromPrimitiveList/".length);
      if (Array.isArray(out[field])) out[field] = out[field].filter((v: Json) => !(value as Json[]).includes(v));
      continue;
    }
    if (value === null) {
      delete out[key];
    } else if (Array.isArray(value)) {
      const merged = patchList(key, out[key], value);
      if (merged === undefined) delete out[key];
      else out[key] = merged;
    } else if (isObject(value)) {
      const merged = strategicMergePatch(out[key], value);
      if (merged === undefined) delete out[key];
      else out[key] = merged;
    } else {
      out[key] = value;
    }
  }
  if (retain) for (const key of Object.keys(out)) if (!retain.includes(key)) delete out[key];
  return out;
}

function patchList(field: string, current: Json, patch: Json[]): Json[] | undefined {
  const replaceAll = patch.find((p) => isObject(p) && p.$patch === "replace" && Object.keys(p).length === 1);
  if (replaceAll) return clone(patch.filter((p) => p !== replaceAll));
  const key = mergeKeys[field];
  if (!key || !Array.isArray(current) || !patch.every(isObject)) return clone(patch);
  const out: Json[] = clone(current);
  for (const item of patch) {
    const index = out.findIndex((o) => isObject(o) && o[key] === item[key]);
    if (item.$patch === "delete") {
      if (index >= 0) out.splice(index, 1);
    } else if (index >= 0) {
      out[index] = strategicMergePatch(out[index], item);
    } else {
      const { $patch: _, ...rest } = item;
      out.push(clone(rest));
    }
  }
  return out;
}

/** RFC 6902 JSON patch (`application/json-patch+json`). */
export function jsonPatch(target: Json, operations: Json): Json {
  if (!Array.isArray(operations)) throw badRequest("json: cannot unmarshal object into Go value of type jsonpatch.Patch");
  let doc = clone(target);
  for (const op of operations) {
    if (!isObject(op) || typeof op.op !== "string" || typeof op.path !== "string") {
      throw patchFailed(`invalid operation ${JSON.stringify(op)}`);
    }
    switch (op.op) {
      case "add":
        doc = add(doc, op.path, clone(op.value));
        break;
      case "remove":
        doc = remove(doc, op.path).doc;
        break;
      case "replace":
        doc = add(remove(doc, op.path).doc, op.path, clone(op.value));
        break;
      case "move": {
        const taken = remove(doc, op.from);
        doc = add(taken.doc, op.path, taken.value);
        break;
      }
      case "copy":
        doc = add(doc, op.path, clone(read(doc, op.from)));
        break;
      case "test":
        if (JSON.stringify(read(doc, op.path)) !== JSON.stringify(op.value)) throw patchFailed(`testing value ${op.path} failed`);
        break;
      default:
        throw patchFailed(`Unexpected kind: ${op.op}`);
    }
  }
  return doc;
}

/** The apiserver answers a JSON patch that cannot apply with 422 and the library's reason. */
function patchFailed(reason: string): ApiError {
  return new ApiError(422, "Invalid", reason, { causes: [{ reason: "FieldValueInvalid", message: reason }] });
}

function pointer(path: string): string[] {
  if (path === "") return [];
  if (!path.startsWith("/")) throw patchFailed(`JSON pointer must be empty or start with a "/": ${path}`);
  return path
    .slice(1)
    .split("/")
    .map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function parentOf(doc: Json, path: string): { parent: Json; last: string } {
  const tokens = pointer(path);
  const last = tokens.pop();
  if (last === undefined) throw patchFailed("cannot operate on the whole document");
  let parent = doc;
  for (const t of tokens) {
    parent = Array.isArray(parent) ? parent[Number(t)] : isObject(parent) ? parent[t] : undefined;
    if (parent === undefined) throw patchFailed(`doc is missing path: "${path}": missing value`);
  }
  return { parent, last };
}

function read(doc: Json, path: string): Json {
  let node = doc;
  for (const t of pointer(path)) {
    node = Array.isArray(node) ? node[Number(t)] : isObject(node) ? node[t] : undefined;
    if (node === undefined) throw patchFailed(`doc is missing path: "${path}": missing value`);
  }
  return node;
}

function add(doc: Json, path: string, value: Json): Json {
  if (path === "") return value;
  const { parent, last } = parentOf(doc, path);
  if (Array.isArray(parent)) {
    const index = last === "-" ? parent.length : Number(last);
    if (!Number.isInteger(index) || index < 0 || index > parent.length) throw patchFailed(`Unable to access invalid index: ${last}`);
    parent.splice(index, 0, value);
  } else if (isObject(parent)) parent[last] = value;
  else throw patchFailed(`doc is missing path: "${path}"`);
  return doc;
}

function remove(doc: Json, path: string): { doc: Json; value: Json } {
  const { parent, last } = parentOf(doc, path);
  if (Array.isArray(parent)) {
    const index = Number(last);
    if (!Number.isInteger(index) || index < 0 || index >= parent.length) throw patchFailed(`Unable to remove invalid index: ${last}`);
    return { doc, value: parent.splice(index, 1)[0] };
  }
  if (!isObject(parent) || !Object.hasOwn(parent, last)) {
    throw patchFailed(`Unable to remove nonexistent key: ${last}: missing value`);
  }
  const value = parent[last];
  delete parent[last];
  return { doc, value };
}
