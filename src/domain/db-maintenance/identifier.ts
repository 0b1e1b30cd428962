import { MaintenanceError } from "./maintenance-error.js";

/**
 * A table, column or partition name as it goes into a statement. Identifiers cannot be bound as
 * `?` parameters, so they are checked against a plain form and quoted: a configured name can
 * never become a second statement.
 */
export function quoteIdentifier(name: string, field: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_$]{0,63}$/.test(name))
    throw new MaintenanceError(`${field}: "${name}" is not a plain identifier; use letters, digits, '_' and '$' (at most 64), like player_sessions`);
  return `\`${name}\``;
}
