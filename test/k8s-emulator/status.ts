/** A `metav1.Status` failure, shaped and worded as the real API server sends it. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "ApiError";
  }

  toStatus(): Record<string, unknown> {
    return {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

/** What a resource is called in messages: `configmaps`, `deployments.apps`. */
export interface ResourceName {
  group: string;
  resource: string;
  kind: string;
}

const qualified = (r: ResourceName) => (r.group ? `${r.resource}.${r.group}` : r.resource);
const groupDetail = (r: ResourceName) => (r.group ? { group: r.group } : {});

export function notFound(r: ResourceName, name: string): ApiError {
  return new ApiError(404, "NotFound", `${qualified(r)} "${name}" not found`, { name, ...groupDetail(r), kind: r.resource });
}

export function alreadyExists(r: ResourceName, name: string): ApiError {
  return new ApiError(409, "AlreadyExists", `${qualified(r)} "${name}" already exists`, { name, ...groupDetail(r), kind: r.resource });
}

export function conflict(r: ResourceName, name: string): ApiError {
  return new ApiError(
    409,
    "Conflict",
    `Operation cannot be fulfilled on ${qualified(r)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name, ...groupDetail(r), kind: r.resource },
  );
}

export interface FieldError {
  field: string;
  /** FieldValueInvalid, FieldValueRequired, FieldValueForbidden, FieldValueNotSupported */
  reason: string;
  message: string;
}

export const invalidValue = (field: string, value: unknown, detail: string): FieldError => ({
  field,
  reason: "FieldValueInvalid",
  message: `Invalid value: ${JSON.stringify(value)}: ${detail}`,
});

export const requiredValue = (field: string, detail = ""): FieldError => ({
  field,
  reason: "FieldValueRequired",
  message: `Required value${detail ? `: ${detail}` : ""}`,
});

export function invalid(r: ResourceName, name: string, errors: FieldError[]): ApiError {
  const kind = r.group ? `${r.kind}.${r.group}` : r.kind;
  const list = errors.map((e) => `${e.field}: ${e.message}`);
  const summary = list.length === 1 ? list[0] : `[${list.join(", ")}]`;
  return new ApiError(422, "Invalid", `${kind} "${name}" is invalid: ${summary}`, {
    name,
    ...groupDetail(r),
    kind: r.kind,
    causes: errors.map((e) => ({ reason: e.reason, message: e.message, field: e.field })),
  });
}

export function forbidden(r: ResourceName, user: string, verb: string, namespace: string | undefined, name?: string): ApiError {
  const scope = namespace ? `in the namespace "${namespace}"` : "at the cluster scope";
  return new ApiError(
    403,
    "Forbidden",
    `${qualified(r)}${name ? ` "${name}"` : ""} is forbidden: User "${user}" cannot ${verb} resource "${r.resource}" in API group "${r.group}" ${scope}`,
    { ...(name ? { name } : {}), ...groupDetail(r), kind: r.resource },
  );
}

export const badRequest = (message: string) => new ApiError(400, "BadRequest", message);

export const unauthorized = () => new ApiError(401, "Unauthorized", "Unauthorized");

export const methodNotAllowed = () =>
  new ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");

export const notAcceptable = () =>
  new ApiError(406, "NotAcceptable", "only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf");

export const unsupportedPatch = () =>
  new ApiError(
    415,
    "UnsupportedMediaType",
    "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json",
  );

export const serviceUnavailable = (group: string, resource: string) =>
  new ApiError(503, "ServiceUnavailable", "the server is currently unable to handle the request", {
    group,
    kind: resource,
    causes: [{ reason: "UnexpectedServerResponse", message: "service unavailable" }],
  });

/** The real server's answer for a resource the group does not have. */
export const noSuchResource = () => new ApiError(404, "NotFound", "the server could not find the requested resource", {});
