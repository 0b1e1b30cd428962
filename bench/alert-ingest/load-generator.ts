// The second process of bench/alert-ingest: posts Alertmanager webhook batches (payload version 4)
// to the server over loopback and times each one until its 200, i.e. until the server has
// committed the alerts. Forked by run.ts; takes its settings and reports back over IPC.
import { Agent, request } from "node:http";
import { performance } from "node:perf_hooks";
import { alertnameOf, groupBody } from "./alertmanager-batch.js";
import { wallNow } from "./gameops-server.js";

export interface LoadSettings {
  url: string;
  token: string;
  /** Alerts per webhook batch (Alertmanager's max_alerts; 256 in the issue). */
  batch: number;
  /** Keep-alive connections to the server (Alertmanager sends each group's notification concurrently). */
  connections: number;
  /** Share of batches that carry a new alert group (which opens a page); the rest repeat a known group. */
  newShare: number;
  /** Alerts per second offered in the paced phase. */
  rate: number;
  seconds: number;
  warmupSeconds: number;
  probes: number;
  probeIntervalMs: number;
}

export type PhaseName = "warm-up" | "saturation" | "paced" | "probes";

export interface PhaseResult {
  name: PhaseName;
  /** From the first request sent to the last answer received. */
  wallMs: number;
  requests: number;
  /** Alerts in batches answered 200. */
  alerts: number;
  newGroups: number;
  errorCount: number;
  errors: string[];
  /**
   * Per batch, until its 200. Saturation: from sending it. Paced: from when it was due to be sent,
   * so that a server falling behind shows in the figure (no coordinated omission).
   */
  latenciesMs: number[];
  loaderCpuMs: number;
}

export type LoadMessage =
  | { type: "phase"; name: PhaseName; state: "start" | "end" }
  | { type: "group"; alertname: string; sentAt: number; phase: PhaseName }
  | { type: "result"; phases: PhaseResult[]; groups: number; ackedGroups: number[]; batch: number }
  | { type: "failed"; message: string };

const say = (message: LoadMessage) => process.send!(message);

process.once("message", (settings: LoadSettings) => {
  // The first message is the settings; later ones are the parent's "go on" between phases (see measure).
  run(settings).then(
    (result) => {
      say(result);
      process.disconnect();
    },
    (error: unknown) => {
      say({ type: "failed", message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      process.disconnect();
    },
  );
});

async function run(settings: LoadSettings): Promise<LoadMessage> {
  const agent = new Agent({ keepAlive: true, maxSockets: settings.connections });
  const target = new URL("/webhooks/alertmanager", settings.url);
  const groups: Buffer[] = [];
  /** Groups with at least one batch answered 200: every one of their alerts must be in the store. */
  const acked = new Set<number>();
  let batchesSent = 0;
  let repeatCursor = 0;
  let phase: PhaseName = "warm-up";
  let current: PhaseResult;

  /** The next batch: a new group at the configured share (always for the first one), else the next known group in turn. */
  const nextBatch = (forceNew = false): Batch => {
    const k = batchesSent++;
    // The warm-up only repeats its first group: pages it opened would queue notifications into the measured phases.
    const share = phase === "warm-up" ? 0 : settings.newShare;
    const isNew = forceNew || groups.length === 0 || Math.floor((k + 1) * share) > Math.floor(k * share);
    if (!isNew) {
      const group = repeatCursor++ % groups.length;
      return { group, body: groups[group]! };
    }
    const group = groups.length;
    const body = groupBody(group, settings.batch, new Date().toISOString());
    groups.push(body);
    return { group, body, alertname: alertnameOf(group) };
  };

  const send = (batch: Batch, fromMs: number): Promise<void> =>
    new Promise((resolve) => {
      const result = current;
      result.requests++;
      if (batch.alertname) {
        result.newGroups++;
        say({ type: "group", alertname: batch.alertname, sentAt: wallNow(), phase });
      }
      const fail = (message: string) => {
        result.errorCount++;
        if (result.errors.length < 5) result.errors.push(message);
        resolve();
      };
      const req = request(
        target,
        {
          method: "POST",
          agent,
          headers: { authorization: `Bearer ${settings.token}`, "content-type": "application/json", "content-length": batch.body.length },
        },
        (response) => {
          let text = "";
          response.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
          response.on("end", () => {
            const tookMs = performance.now() - fromMs;
            if (response.statusCode !== 200) return fail(`HTTP ${response.statusCode}: ${text.slice(0, 300)}`);
            const answer = JSON.parse(text) as { alerts?: number };
            if (answer.alerts !== settings.batch) return fail(`the server counted ${answer.alerts} alerts of ${settings.batch}`);
            result.alerts += settings.batch;
            acked.add(batch.group);
            result.latenciesMs.push(tookMs);
            resolve();
          });
          response.on("error", (error) => fail(error.message));
        },
      );
      req.on("error", (error) => fail(error.message));
      req.end(batch.body);
    });

  const phases: PhaseResult[] = [];
  const measure = async (name: PhaseName, work: () => Promise<void>) => {
    phase = name;
    current = { name, wallMs: 0, requests: 0, alerts: 0, newGroups: 0, errorCount: 0, errors: [], latenciesMs: [], loaderCpuMs: 0 };
    say({ type: "phase", name, state: "start" });
    const cpu = process.cpuUsage();
    const started = performance.now();
    await work();
    current.wallMs = performance.now() - started;
    const used = process.cpuUsage(cpu);
    current.loaderCpuMs = (used.user + used.system) / 1000;
    phases.push(current);
    // The parent answers once the notifications of this phase have arrived (or its wait ran out), so
    // that one phase's notification backlog does not delay the next phase's.
    const resume = new Promise<void>((resolve) => process.once("message", () => resolve()));
    say({ type: "phase", name, state: "end" });
    await resume;
  };

  // Closed loop: every connection sends its next batch as soon as the last one is answered.
  const saturate = (seconds: number) => async () => {
    const until = performance.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: settings.connections }, async () => {
        while (performance.now() < until) {
          const batch = nextBatch();
          await send(batch, performance.now());
        }
      }),
    );
  };

  // Open loop: batches leave on a fixed schedule whatever the server does; a late answer counts from the schedule.
  const paced = async () => {
    const intervalMs = (settings.batch / settings.rate) * 1000;
    const count = Math.max(1, Math.round((settings.seconds * 1000) / intervalMs));
    const start = performance.now();
    const pending: Promise<void>[] = [];
    for (let k = 0; k < count; k++) {
      const due = start + k * intervalMs;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      pending.push(send(nextBatch(), due));
    }
    await Promise.all(pending);
  };

  // One new group at a time, on a quiet server: the floor of webhook-to-notification. Each probe is
  // moved by up to a second (golden-ratio steps, evenly spread), so that the probes do not all land
  // at the same moment of the server's 1 s timer poll.
  const probes = async () => {
    const start = performance.now();
    for (let p = 0; p < settings.probes; p++) {
      const wait = start + p * settings.probeIntervalMs + ((p * 0.618034) % 1) * 1000 - performance.now();
      if (wait > 0) await sleep(wait);
      await send(nextBatch(true), performance.now());
    }
  };

  if (settings.warmupSeconds > 0) await measure("warm-up", saturate(settings.warmupSeconds));
  await measure("saturation", saturate(settings.seconds));
  await measure("paced", paced);
  if (settings.probes > 0) await measure("probes", probes);
  agent.destroy();
  return { type: "result", phases, groups: groups.length, ackedGroups: [...acked].sort((a, b) => a - b), batch: settings.batch };
}

interface Batch {
  group: number;
  body: Buffer;
  /** Set on a group's first batch. */
  alertname?: string;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
