import { z } from "zod";
import { credentials, cron, duration, urlWithScheme } from "./fields.js";
import { backupsConfig, dbMaintenanceConfig } from "./backup-schema.js";
import { isTimeZone } from "../domain/time-zone.js";
import { checklistsConfig } from "./checklist-schema.js";
import { incidentsConfig, pagingProblems } from "./incident-schema.js";
import { pagingConfig } from "./paging-schema.js";

const percent = z.number().min(0, "must be a percentage from 0 to 100").max(100, "must be a percentage from 0 to 100");

export const mysqlTarget = z.strictObject({
  url: urlWithScheme(["mysql", "mariadb"], "mysql://user@127.0.0.1:3306/game"),
  ...credentials,
});

export const redisTarget = z.strictObject({
  url: urlWithScheme(["redis", "rediss"], "redis://127.0.0.1:6379"),
  ...credentials,
});

export const kubernetesTarget = z.strictObject({
  kubeconfig: z.string().optional(),
  context: z.string().optional(),
  namespace: z.string().min(1).default("default"),
  labelSelector: z.string().optional(),
});

export const httpTarget = z.strictObject({ url: urlWithScheme(["http", "https"], "http://127.0.0.1:9093") });

/**
 * The game fleet runbooks act on. `local`: the demo fleet of `gameops up --demo`, through its
 * supervisor's control endpoint. `kubernetes`: a Deployment of game servers in the cluster of
 * `targets.kubernetes` (or the default kubeconfig), its pods' admin API reached through the
 * API server's proxy. The admin token comes from `tokenFile` or GAMEOPS_FLEET_TOKEN, never the file itself.
 */
export const fleetTarget = z.discriminatedUnion(
  "kind",
  [
    z.strictObject({
      kind: z.literal("local"),
      url: urlWithScheme(["http", "https"], "http://127.0.0.1:7080"),
      tokenFile: z.string().min(1).optional(),
    }),
    z.strictObject({
      kind: z.literal("kubernetes"),
      /** targets.kubernetes.namespace when absent. */
      namespace: z.string().min(1).optional(),
      deployment: z.string().min(1).default("game-server"),
      /** Holds `maintenance_mode` ("true"/"false") and `maintenance_message`, read by pods at start. */
      configMap: z.string().min(1).default("game-server-config"),
      service: z.string().min(1).default("game-server"),
      /** The game server's admin port (container port); the Service exposes it under the same number. */
      adminPort: z.number().int().min(1, "must be a TCP port from 1 to 65535").max(65535, "must be a TCP port from 1 to 65535").default(8080),
      /** The deployment's own selector when absent. */
      labelSelector: z.string().min(1).optional(),
      tokenFile: z.string().min(1).optional(),
    }),
  ],
  { error: (issue) => (issue.code === "invalid_union" ? 'kind must be "local" (the demo fleet) or "kubernetes"' : undefined) },
);
export type FleetTargetFile = z.output<typeof fleetTarget>;

export const logSource = z
  .strictObject({
    name: z.string().min(1, "needs a name, e.g. game-server"),
    files: z.array(z.string().min(1)).optional(),
    kubernetes: z.strictObject({ labelSelector: z.string().min(1), container: z.string().optional() }).optional(),
  })
  .refine((s) => (s.files?.length ?? 0) > 0 || s.kubernetes !== undefined, {
    message: "needs `files` (globs) or `kubernetes.labelSelector`, or both",
  });

const band = (warning: number, critical: number) =>
  z
    .strictObject({ warning: z.number().nonnegative().default(warning), critical: z.number().nonnegative().default(critical) })
    .refine((b) => b.critical >= b.warning, { message: "critical must be at least warning" })
    .prefault({});

const pctBand = (warning: number, critical: number) =>
  z
    .strictObject({ warning: percent.default(warning), critical: percent.default(critical) })
    .refine((b) => b.critical >= b.warning, { message: "critical must be at least warning" })
    .prefault({});

export const thresholds = z
  .strictObject({
    mysql: z
      .strictObject({
        connectionsPct: pctBand(80, 95),
        longestQuerySeconds: band(10, 60),
        replicaLagSeconds: band(30, 300),
        newSlowQueries: band(1, 100),
      })
      .prefault({}),
    redis: z
      .strictObject({
        memoryPct: pctBand(80, 95),
        fragmentationRatio: band(1.5, 3),
        latencyP99Ms: band(10, 50),
        latencySamples: z.number().int().min(10).max(10_000).default(100),
        latencyBudget: duration.default(2000),
        rejectedConnections: band(1, 100),
        evictedKeys: band(1, 10_000),
      })
      .prefault({}),
    disk: z.strictObject({ usedPct: pctBand(80, 90), inodesPct: pctBand(80, 90) }).prefault({}),
    logs: z
      .strictObject({
        pattern: z.string().min(1).default("ERROR"),
        window: duration.default(86_400_000),
        errors: band(1, 100),
        topMessages: z.number().int().min(1).max(50).default(5),
      })
      .prefault({}),
    alerts: z.strictObject({ criticalSeverities: z.array(z.string()).default(["critical", "page"]) }).prefault({}),
    kubernetes: z
      .strictObject({
        restarts24h: band(1, 5),
        nodeCpuPct: pctBand(80, 95),
        nodeMemoryPct: pctBand(85, 95),
      })
      .prefault({}),
  })
  .prefault({});

export const checkNames = ["mysql", "redis", "disk", "logs", "alerts", "kubernetes", "backups"] as const;
export type CheckName = (typeof checkNames)[number];

export const configSchema = z.strictObject({
  team: z
    .strictObject({
      name: z.string().min(1).default("Ops"),
      timeZone: z
        .string()
        .refine(isTimeZone, { message: "must be an IANA time zone like Asia/Seoul or Europe/Berlin" })
        .default("UTC"),
    })
    .default({ name: "Ops", timeZone: "UTC" }),
  dataDir: z.string().min(1).optional(),
  store: z.strictObject({ url: urlWithScheme(["postgres", "postgresql"], "postgres://gameops@127.0.0.1:5432/gameops").optional() }).default({}),
  server: z
    .strictObject({
      host: z.string().default("127.0.0.1"),
      port: z.number().int().min(1, "must be a TCP port from 1 to 65535").max(65535, "must be a TCP port from 1 to 65535").default(7070),
    })
    .default({ host: "127.0.0.1", port: 7070 }),
  targets: z
    .strictObject({
      mysql: mysqlTarget.optional(),
      redis: redisTarget.optional(),
      kubernetes: kubernetesTarget.optional(),
      alertmanager: httpTarget.optional(),
      prometheus: httpTarget.optional(),
      fleet: fleetTarget.optional(),
      logs: z.array(logSource).default([]),
      disks: z.array(z.string().min(1)).optional(),
    })
    .default({ logs: [] }),
  thresholds,
  checks: z
    .strictObject({
      timeout: duration.default(5000),
      timeouts: z.partialRecord(z.enum(checkNames), duration).default({}),
    })
    .default({ timeout: 5000, timeouts: {} }),
  schedules: z
    .strictObject({
      dailyCheck: cron.default("0 9 * * *"),
    })
    .default({ dailyCheck: "0 9 * * *" }),
  paging: pagingConfig,
  incidents: incidentsConfig,
  checklists: checklistsConfig,
  backups: backupsConfig,
  dbMaintenance: dbMaintenanceConfig,
})
  // Incidents name paging's policies, schedules and channels: checked once both sections parsed.
  .superRefine(
    (config, ctx) => {
      for (const problem of pagingProblems(config.incidents, config.paging)) ctx.addIssue({ code: "custom", path: problem.path, message: problem.message });
    },
    { when: (payload) => payload.issues.length === 0 },
  );

export type ConfigInput = z.input<typeof configSchema>;
export type ConfigFile = z.output<typeof configSchema>;
export type Thresholds = ConfigFile["thresholds"];
