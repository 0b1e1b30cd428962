/**
 * Decoding of `application/vnd.kubernetes.protobuf` request bodies. kubectl's typed clientset
 * sends them (e.g. `kubectl create configmap|secret|namespace`); the emulator answers in JSON,
 * which those requests accept too. Only the messages of the objects kubectl creates that way are
 * described; anything else gets the 415 a server without that type would give.
 */
import { ApiError, badRequest } from "./status.js";
import { timestamp, type KubeObject } from "./store.js";

/** A message's fields: number → [json name, kind]. Maps are repeated {1: key, 2: value} entries. */
type FieldKind = "string" | "bytes" | "int" | "bool" | "strings" | "stringMap" | "bytesMap" | Schema | { repeated: Schema };
interface Schema {
  [field: number]: [string, FieldKind];
}

const time: Schema = { 1: ["seconds", "int"], 2: ["nanos", "int"] };
const ownerReference: Schema = {
  1: ["kind", "string"],
  3: ["name", "string"],
  4: ["uid", "string"],
  5: ["apiVersion", "string"],
  6: ["controller", "bool"],
  7: ["blockOwnerDeletion", "bool"],
};
const objectMeta: Schema = {
  1: ["name", "string"],
  2: ["generateName", "string"],
  3: ["namespace", "string"],
  5: ["uid", "string"],
  6: ["resourceVersion", "string"],
  7: ["generation", "int"],
  8: ["creationTimestamp", time],
  11: ["labels", "stringMap"],
  12: ["annotations", "stringMap"],
  13: ["ownerReferences", { repeated: ownerReference }],
  14: ["finalizers", "strings"],
};

const messages: Record<string, Schema> = {
  "v1/ConfigMap": { 1: ["metadata", objectMeta], 2: ["data", "stringMap"], 3: ["binaryData", "bytesMap"], 4: ["immutable", "bool"] },
  "v1/Secret": { 1: ["metadata", objectMeta], 2: ["data", "bytesMap"], 3: ["type", "string"], 4: ["stringData", "stringMap"], 5: ["immutable", "bool"] },
  "v1/Namespace": { 1: ["metadata", objectMeta], 2: ["spec", { 1: ["finalizers", "strings"] }] },
  "autoscaling/v1/Scale": { 1: ["metadata", objectMeta], 2: ["spec", { 1: ["replicas", "int"] }] },
};

const magic = Buffer.from([0x6b, 0x38, 0x73, 0x00]); // "k8s\0"

interface Field {
  number: number;
  wire: number;
  value: bigint | Buffer;
}

function* fields(buf: Buffer): Generator<Field> {
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= buf.length) throw badRequest("protobuf: unexpected end of message");
      const byte = buf[pos++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (pos < buf.length) {
    const key = Number(varint());
    const wire = key & 7;
    const number = key >> 3;
    if (wire === 0) yield { number, wire, value: varint() };
    else if (wire === 2) {
      const length = Number(varint());
      yield { number, wire, value: buf.subarray(pos, pos + length) };
      pos += length;
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else throw badRequest(`protobuf: unsupported wire type ${wire}`);
  }
}

function decode(buf: Buffer, schema: Schema): KubeObject {
  const out: KubeObject = {};
  for (const f of fields(buf)) {
    const spec = schema[f.number];
    if (!spec) continue;
    const [name, kind] = spec;
    const bytes = f.value as Buffer;
    if (kind === "string") {
      if (bytes.length > 0) out[name] = bytes.toString("utf8");
    } else if (kind === "bytes") out[name] = bytes.toString("base64");
    else if (kind === "int") out[name] = Number(BigInt.asIntN(64, f.value as bigint));
    else if (kind === "bool") out[name] = f.value !== 0n;
    else if (kind === "strings") (out[name] ??= []).push(bytes.toString("utf8"));
    else if (kind === "stringMap" || kind === "bytesMap") {
      const entry = decode(bytes, { 1: ["key", "string"], 2: ["value", kind === "stringMap" ? "string" : "bytes"] });
      (out[name] ??= {})[entry.key ?? ""] = entry.value ?? "";
    } else if ("repeated" in kind) (out[name] ??= []).push(decode(bytes, kind.repeated as Schema));
    else {
      const inner = decode(bytes, kind);
      if (kind === time) {
        if (inner.seconds) out[name] = timestamp(new Date(inner.seconds * 1000));
      } else if (Object.keys(inner).length > 0) out[name] = inner;
    }
  }
  return out;
}

export const isProtobuf = (contentType: string | undefined) => (contentType ?? "").split(";")[0]!.trim() === "application/vnd.kubernetes.protobuf";

/** The JSON object a protobuf request body (runtime.Unknown envelope) carries. */
export function decodeProtobufObject(body: Buffer): KubeObject {
  if (body.length < 4 || !body.subarray(0, 4).equals(magic)) throw badRequest("provided object is not a protobuf-encoded Kubernetes object");
  const envelope = decode(body.subarray(4), {
    1: ["typeMeta", { 1: ["apiVersion", "string"], 2: ["kind", "string"] }],
    2: ["raw", "bytes"],
  });
  const apiVersion = envelope.typeMeta?.apiVersion ?? "";
  const kind = envelope.typeMeta?.kind ?? "";
  const schema = messages[`${apiVersion}/${kind}`];
  if (!schema) {
    throw new ApiError(415, "UnsupportedMediaType", `the emulator cannot decode ${apiVersion} ${kind} from application/vnd.kubernetes.protobuf; send application/json`);
  }
  const object = decode(Buffer.from(envelope.raw ?? "", "base64"), schema);
  // gogo-protobuf writes every scalar; a zero generation means "unset" in JSON terms.
  if (object.metadata?.generation === 0) delete object.metadata.generation;
  return { apiVersion, kind, ...object };
}
