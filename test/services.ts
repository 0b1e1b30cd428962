import { readFileSync } from "node:fs";

/**
 * Where the test services are, as scripts/test-services.mjs found or started them (`npm test`
 * runs it first; alone: `node scripts/test-services.mjs`).
 *
 * These servers are shared: by every test file, by parallel workers and by the next run.
 * A test must never stop, restart, reconfigure or fill up one of them. A test that needs a
 * server stopped or broken starts its own (e.g. `redis-server --port <free port>` as a child)
 * and stops only that one. Alerts posted to the shared Alertmanager carry a label unique to the
 * poster and are resolved (endsAt in the past) when done; a test that needs an exact set of
 * active alerts (e.g. none) starts its own Alertmanager (test/alerts/private-alertmanager.ts).
 */

// Keep in step with STATE_DIR in scripts/lib/state.mjs.
export const SERVICES_FILE = "/tmp/gameops-test-services/services.json";

export interface MysqlService {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
  /** mysql://user[:password]@host:port/db, ready for GAMEOPS_MYSQL_URL. */
  url: string;
}

export interface TestServices {
  stateDir: string;
  /** The shared MariaDB: root without password, performance_schema and the binary log off. */
  mariadb: MysqlService;
  redis: { host: string; port: number; url: string };
  postgres: { host: string; port: number; user: string; database: string; url: string };
  /** Our second mariadbd: performance_schema ON, log_bin ON (ROW), server_id 2. */
  mariadbBinlog: MysqlService & { password: string; socket: string; log: string };
  prometheus: { url: string; program: string; log: string };
  /** Shared: it may hold alerts of other tests or of the bench. */
  alertmanager: { url: string; program: string; log: string };
  chromium: { path: string };
}

let cached: TestServices | undefined;

export function testServices(): TestServices {
  if (cached) return cached;
  let text: string;
  try {
    text = readFileSync(SERVICES_FILE, "utf8");
  } catch (error) {
    throw new Error(
      `${SERVICES_FILE} is missing (${(error as NodeJS.ErrnoException).code}): run \`node scripts/test-services.mjs\` first (\`npm test\` does)`,
    );
  }
  cached = JSON.parse(text) as TestServices;
  return cached;
}
