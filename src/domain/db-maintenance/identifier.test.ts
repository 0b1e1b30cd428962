import { describe, expect, it } from "vitest";
import { quoteIdentifier } from "./identifier.js";
import { MaintenanceError } from "./maintenance-error.js";

describe("identifiers", () => {
  it("are quoted with backticks", () => {
    expect(quoteIdentifier("player_sessions", "table")).toBe("`player_sessions`");
    expect(quoteIdentifier("_tmp$1", "table")).toBe("`_tmp$1`");
  });

  it("refuse anything that is not a plain name, naming the field", () => {
    for (const name of ["", "1abc", "a`b", "a b", "x; DROP TABLE players", "db.table", "a".repeat(65)])
      expect(() => quoteIdentifier(name, "cleanup.tables[0].table")).toThrow(MaintenanceError);
    expect(() => quoteIdentifier("a`b", "cleanup.tables[0].table")).toThrow('cleanup.tables[0].table: "a`b" is not a plain identifier');
  });
});
