import { IncidentError } from "./incident-error.js";

/** How people name an incident: INC-42. The number is the store's, counted from 1. */
export function incidentReference(number: number): string {
  return `INC-${number}`;
}

/** `INC-42`, `inc-42` or `42` → 42. */
export function parseIncidentReference(text: string): number {
  const m = /^(?:inc-?)?(\d+)$/i.exec(text.trim());
  const number = m ? Number(m[1]) : NaN;
  if (!Number.isSafeInteger(number) || number < 1) throw new IncidentError(`"${text}" is not an incident; name it like INC-42 or 42`);
  return number;
}
