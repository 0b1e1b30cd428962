// The webhook bodies of the bench's alert groups, as Alertmanager sends them (payload version 4).
// Group n is `BenchAlert<n>`; its alerts' fingerprints say which group and alert they are, so the
// store can be checked for every one afterwards.

export const alertnameOf = (n: number) => `BenchAlert${n}`;

/** Fingerprints as Alertmanager writes them: 16 hex digits, here unique per (group, alert). */
export const fingerprintOf = (group: number, alert: number) => `${group.toString(16).padStart(8, "0")}${alert.toString(16).padStart(8, "0")}`;

/** One group's webhook body, as Alertmanager sends it (same shape as alertmanagerPayload in test/paging/paging-server.ts). Repeats resend it unchanged, as Alertmanager's group_interval does. */
export function groupBody(n: number, batch: number, startsAt: string): Buffer {
  const alertname = alertnameOf(n);
  const alerts = Array.from({ length: batch }, (_, i) => ({
    status: "firing",
    labels: { alertname, severity: "critical", job: "game-server", instance: `game-${i}.bench.local:9100`, region: ["kr", "jp", "us", "eu"][i % 4]! },
    annotations: { summary: `${alertname} on game-${i}.bench.local`, description: "The game server has not answered its scrape for 1 minute." },
    startsAt,
    endsAt: "0001-01-01T00:00:00Z",
    generatorURL: "http://prometheus.bench.local:9090/graph?g0.expr=up%7Bjob%3D%22game-server%22%7D+%3D%3D+0",
    fingerprint: fingerprintOf(n, i),
  }));
  return Buffer.from(
    JSON.stringify({
      version: "4",
      groupKey: `{}:{alertname="${alertname}"}`,
      truncatedAlerts: 0,
      status: "firing",
      receiver: "gameops",
      groupLabels: { alertname },
      commonLabels: { alertname, severity: "critical", job: "game-server" },
      commonAnnotations: { runbook: "server-down" },
      externalURL: "http://alertmanager.bench.local:9093",
      alerts,
    }),
  );
}
