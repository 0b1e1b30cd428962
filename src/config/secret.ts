import { inspect } from "node:util";

/** A credential that never prints: logs, JSON, errors and audit records all see `<secret>`. */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return "<secret>";
  }
  toJSON(): string {
    return "<secret>";
  }
  [inspect.custom](): string {
    return "<secret>";
  }
}
