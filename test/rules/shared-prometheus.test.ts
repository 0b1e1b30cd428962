/**
 * The shipped rules in a real Prometheus: the shared test Prometheus (scripts/lib/prometheus.mjs)
 * loads rules/*.yml with the external label gameops_url. Every group is loaded and every rule
 * healthy, and the always-firing Watchdog carries a rendered link to its runbook. Read only: the
 * shared Prometheus is never reconfigured here.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../src/package-root.js";
import { testServices } from "../services.js";

interface RuleGroup {
  name: string;
  rules: { name: string; type: string; health: string; lastError?: string; state?: string }[];
}

interface Alert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: string;
}

async function api<T>(path: string): Promise<T> {
  const response = await fetch(`${testServices().prometheus.url}${path}`, { signal: AbortSignal.timeout(10_000) });
  const body = (await response.json()) as { status: string; data: T };
  expect(body.status).toBe("success");
  return body.data;
}

/** The groups of the shipped rule files, as the repository has them. */
function shippedGroups(): { name: string; rules: string[] }[] {
  const text = readFileSync(join(packageRoot(), "rules", "gameops.rules.yml"), "utf8");
  const { groups } = parse(text) as { groups: { name: string; rules: { alert?: string; record?: string }[] }[] };
  return groups.map((g) => ({ name: g.name, rules: g.rules.map((r) => (r.alert ?? r.record)!) }));
}

describe("the shipped rules in the shared Prometheus", () => {
  it("loads every group, every rule healthy", async () => {
    // Health is "unknown" until a group's first evaluation (every 5 s there); then ok or err.
    let groups: RuleGroup[] = [];
    for (let polls = 0; polls < 60; polls++) {
      groups = (await api<{ groups: RuleGroup[] }>("/api/v1/rules")).groups;
      if (groups.every((g) => g.rules.every((r) => r.health !== "unknown"))) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const loaded = groups.map((g) => ({ name: g.name, rules: g.rules.map((r) => r.name) })).sort((a, b) => a.name.localeCompare(b.name));
    const shipped = shippedGroups().sort((a, b) => a.name.localeCompare(b.name));
    expect(loaded, "the shared Prometheus's rules differ from rules/: run `node scripts/test-services.mjs`").toEqual(shipped);
    const rules = groups.flatMap((g) => g.rules.map((r) => ({ group: g.name, rule: r.name, health: r.health, lastError: r.lastError ?? "" })));
    for (const r of rules) expect(r).toEqual({ group: r.group, rule: r.rule, health: "ok", lastError: "" });
  });

  it("fires the Watchdog with a link that opens its runbook in gameops", async () => {
    const { yaml } = await api<{ yaml: string }>("/api/v1/status/config");
    const gameopsUrl = (parse(yaml) as { global: { external_labels: Record<string, string> } }).global.external_labels.gameops_url;
    expect(gameopsUrl).toMatch(/^http:\/\//);

    // The group is evaluated every 5 s: the Watchdog fires from its first evaluation on.
    let watchdog: Alert | undefined;
    for (let polls = 0; polls < 60 && !watchdog; polls++) {
      watchdog = (await api<{ alerts: Alert[] }>("/api/v1/alerts")).alerts.find((a) => a.labels.alertname === "Watchdog" && a.state === "firing");
      if (!watchdog) await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(watchdog).toMatchObject({
      labels: { alertname: "Watchdog", severity: "none" },
      annotations: { runbook: "alerting-pipeline", runbook_url: `${gameopsUrl}/#/runbooks/alerting-pipeline` },
    });
  });
});
