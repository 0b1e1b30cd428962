import { existsSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { UsageError } from "../usage-error.js";

export const exampleConfig = `# gameops.yaml — every setting is optional; environment variables (GAMEOPS_*) override it.
# Secrets: prefer passwordFile or *_FILE variables; never put a password on a command line.

team:
  name: Live Ops
  # IANA time zone: the daily check runs at 09:00 here, timelines show it.
  timeZone: Asia/Seoul

# dataDir: .gameops            # SQLite store and history (GAMEOPS_DATA)
# store:
#   url: postgres://gameops@db:5432/gameops   # shared store for several replicas (GAMEOPS_STORE_URL)

server:
  host: 127.0.0.1
  port: 7070

targets:
  mysql:
    url: mysql://monitor@127.0.0.1:3306/game     # GAMEOPS_MYSQL_URL
    # passwordFile: /run/secrets/mysql-monitor  # or GAMEOPS_MYSQL_PASSWORD_FILE
  redis:
    url: redis://127.0.0.1:6379/0                # GAMEOPS_REDIS_URL
    # passwordFile: /run/secrets/redis
  # kubernetes:
  #   kubeconfig: ~/.kube/config                 # GAMEOPS_KUBECONFIG
  #   context: prod
  #   namespace: game-production                 # GAMEOPS_K8S_NAMESPACE
  #   labelSelector: app=game-server
  # alertmanager:
  #   url: http://127.0.0.1:9093                 # GAMEOPS_ALERTMANAGER_URL (API v2)
  # prometheus:
  #   url: http://127.0.0.1:9090                 # GAMEOPS_PROMETHEUS_URL
  logs:
    - name: game-server
      files: ["/var/log/game-server/*.log"]      # GAMEOPS_LOG_FILES (comma-separated globs)
      # kubernetes: { labelSelector: app=game-server }
  # disks: ["/", "/var/lib/mysql"]              # GAMEOPS_DISK_PATHS; default: every local file system

thresholds:
  mysql:
    connectionsPct: { warning: 80, critical: 95 }
    longestQuerySeconds: { warning: 10, critical: 60 }
    replicaLagSeconds: { warning: 30, critical: 300 }
    newSlowQueries: { warning: 1, critical: 100 }   # Slow_queries since the previous run
  redis:
    memoryPct: { warning: 80, critical: 95 }
    latencyP99Ms: { warning: 10, critical: 50 }
    latencySamples: 100      # PINGs per check…
    latencyBudget: 2s        # …but never longer than this
  disk:
    usedPct: { warning: 80, critical: 90 }
    inodesPct: { warning: 80, critical: 90 }
  logs:
    pattern: ERROR
    window: 24h
    errors: { warning: 1, critical: 100 }
  alerts:
    criticalSeverities: [critical, page]
  kubernetes:
    restarts24h: { warning: 1, critical: 5 }

checks:
  timeout: 5s                # each check's own deadline
  # timeouts: { kubernetes: 10s }

schedules:
  dailyCheck: "0 9 * * *"    # cron, in team.timeZone

# Backups (docs/backups.md): every night a set of the configured targets, restored into scratch
# servers to prove it, kept by retention. Without this section they go to <dataDir>/backups.
backups:
  storage: { kind: local }   # directory: /var/backups/gameops; or kind: s3 with bucket, region…
  schedule: "0 3 * * *"      # cron in team.timeZone, or false
  retention: { daily: 7, weekly: 4, monthly: 6, minGood: 3 }
  # kubernetes: { namespace: game-production, secretsKeyFile: /etc/gameops/backup.key }
  # files: { paths: [/etc/game-server] }

# Database maintenance (gameops db-maintenance): monthly partitions, old rows, ANALYZE/OPTIMIZE.
# dbMaintenance:
#   partitions: [{ table: game_logs, keepMonths: 6 }]
#   analyze: [players, characters]

# Paging (docs/paging.md): Alertmanager's webhook in, on-call schedules, escalation, notifications.
# Uncomment and put your people's ids (gameops people add …) in the schedule.
# paging:
#   publicUrl: https://gameops.example.com   # base of links in notifications (GAMEOPS_PUBLIC_URL)
#   intake:
#     tokenFile: /run/secrets/gameops-webhook  # Alertmanager sends it as a bearer token (GAMEOPS_WEBHOOK_TOKEN_FILE)
#   watchdog:
#     within: 5m                 # page when the always-firing Watchdog alert stops arriving
#   channels:
#     email:
#       smtp: smtp://mail.example.com:587
#       from: gameops@example.com
#       username: gameops
#       passwordFile: /run/secrets/smtp
#     slack:
#       urlFile: /run/secrets/slack-webhook-url
#     webhooks:
#       - name: ops-bot
#         url: https://bot.example.com/gameops
#         secretFile: /run/secrets/ops-bot-hmac   # every delivery is signed (HMAC-SHA256)
#   routes:                      # first match wins; no match: defaultPolicy
#     - match: { alertname: ServerDown }
#       policy: game-ops
#       declare: P2              # open an incident too
#     - matchRegex: { severity: "warning|info" }
#       policy: business-hours
#   defaultPolicy: game-ops
#   policies:
#     - id: game-ops             # the seed's ladder: 0 / 15 / 30 / 60 minutes
#       levels:
#         - { after: 0s,  notify: [{ schedule: game-ops, role: primary }] }
#         - { after: 15m, notify: [{ schedule: game-ops, role: backup }] }
#         - { after: 30m, notify: [{ title: lead }] }
#         - { after: 60m, notify: [{ title: director }] }
#       repeat: 1
#     - id: business-hours
#       levels:
#         - { after: 0s, notify: [{ schedule: game-ops, role: primary }] }
#   schedules:
#     - id: game-ops
#       timeZone: Asia/Seoul
#       layers:
#         - name: weekly
#           people: [alice, bob, carol]
#           start: "2026-01-05"    # a Monday: alice is primary that week, bob backup
#           handoff: { day: monday, time: "10:00" }
`;

export async function init(options: { path: string; force?: boolean }): Promise<number> {
  const path = resolve(process.cwd(), options.path);
  if (existsSync(path) && !options.force) throw new UsageError(`${options.path} exists already; pass --force to overwrite it`);
  writeFileSync(path, exampleConfig, { mode: 0o600 });
  process.stdout.write(`wrote ${options.path} — edit the targets, then run \`gameops check\`\n`);
  return 0;
}
