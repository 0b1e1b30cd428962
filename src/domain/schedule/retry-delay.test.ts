import { describe, expect, it } from "vitest";
import { retryDelayMs } from "./retry-delay.js";

describe("retryDelayMs", () => {
  it("doubles from the first delay after each failed attempt", () => {
    expect([1, 2, 3, 4].map((attempts) => retryDelayMs(attempts))).toEqual([10_000, 20_000, 40_000, 80_000]);
  });

  it("stays at the cap however many attempts failed", () => {
    expect(retryDelayMs(8)).toBe(15 * 60_000);
    expect(retryDelayMs(10_000)).toBe(15 * 60_000);
  });

  it("treats a timer that was never claimed like a first failure", () => {
    expect(retryDelayMs(0, { firstDelayMs: 5, maxDelayMs: 100 })).toBe(5);
  });
});
