// The game database the backup bench dumps: seven tables shaped like the seed's (players,
// characters, inventory items, transactions, game_logs with monthly RANGE partitions, sessions,
// temporary data), filled from a seeded PRNG so every run dumps the same bytes of data.
import { Readable } from "node:stream";
import { performance } from "node:perf_hooks";
import mysql from "mysql2/promise";
import { seededRandom } from "../../src/demo/game.js";

export interface SeedTarget {
  host: string;
  port: number;
  user: string;
  password?: string;
}

export interface SeedOptions {
  database: string;
  sizeMb: number;
  seed: number;
  onProgress: (line: string) => void;
}

export interface SeededDatabase {
  database: string;
  reused: boolean;
  /** Seeding time this run (0 when reused). */
  seedSeconds: number;
  /** InnoDB data + index bytes by table, from information_schema after ANALYZE TABLE (estimates, as InnoDB gives them). */
  tables: { name: string; rows: number; bytes: number }[];
  totalBytes: number;
}

/**
 * InnoDB bytes a row takes (data and secondary indexes), measured on this schema at --size-mb
 * 1024 (smaller sizes come out a little larger: each partition and index has a floor).
 */
const tables = [
  { name: "players", share: 0.08, bytesPerRow: 357 },
  { name: "characters", share: 0.09, bytesPerRow: 218 },
  { name: "items", share: 0.2, bytesPerRow: 198 },
  { name: "transactions", share: 0.15, bytesPerRow: 104 },
  { name: "game_logs", share: 0.35, bytesPerRow: 182 },
  { name: "player_sessions", share: 0.1, bytesPerRow: 206 },
  { name: "temporary_data", share: 0.03, bytesPerRow: 645 },
] as const;

type TableName = (typeof tables)[number]["name"];

/** The months game_logs is partitioned by, one a partition, then pmax. */
const logMonths = ["2025-12", "2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"];

function nextMonth(month: string): string {
  const [year, m] = month.split("-").map(Number) as [number, number];
  return m === 12 ? `${year + 1}-01` : `${year}-${String(m + 1).padStart(2, "0")}`;
}

const schema = [
  `CREATE TABLE players (
    id INT UNSIGNED NOT NULL PRIMARY KEY, username VARCHAR(32) NOT NULL, email VARCHAR(128) NOT NULL,
    password_hash BINARY(32) NOT NULL, country CHAR(2) NOT NULL, level SMALLINT UNSIGNED NOT NULL,
    gold BIGINT NOT NULL, gems INT NOT NULL, status ENUM('active','dormant','banned') NOT NULL,
    settings JSON NOT NULL, created_at DATETIME NOT NULL, last_login DATETIME NULL,
    UNIQUE KEY players_username (username), KEY players_last_login (last_login)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE characters (
    id INT UNSIGNED NOT NULL PRIMARY KEY, player_id INT UNSIGNED NOT NULL, name VARCHAR(32) NOT NULL,
    class ENUM('warrior','mage','rogue','cleric','ranger','paladin') NOT NULL, level SMALLINT UNSIGNED NOT NULL,
    xp BIGINT UNSIGNED NOT NULL, hp INT NOT NULL, mp INT NOT NULL, zone VARCHAR(32) NOT NULL,
    pos_x DECIMAL(9,2) NOT NULL, pos_y DECIMAL(9,2) NOT NULL, stats JSON NOT NULL,
    playtime_seconds INT UNSIGNED NOT NULL, created_at DATETIME NOT NULL,
    KEY characters_player (player_id), CONSTRAINT characters_player_fk FOREIGN KEY (player_id) REFERENCES players (id)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE items (
    id BIGINT UNSIGNED NOT NULL PRIMARY KEY, character_id INT UNSIGNED NOT NULL, item_code SMALLINT UNSIGNED NOT NULL,
    name VARCHAR(64) NOT NULL, rarity ENUM('common','uncommon','rare','epic','legendary') NOT NULL,
    quantity SMALLINT UNSIGNED NOT NULL, slot TINYINT UNSIGNED NULL, durability TINYINT UNSIGNED NOT NULL,
    bound TINYINT(1) NOT NULL, attributes JSON NOT NULL, acquired_at DATETIME NOT NULL,
    KEY items_character (character_id), KEY items_code (item_code),
    CONSTRAINT items_character_fk FOREIGN KEY (character_id) REFERENCES characters (id)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE transactions (
    id BIGINT UNSIGNED NOT NULL PRIMARY KEY, player_id INT UNSIGNED NOT NULL,
    kind ENUM('purchase','refund','trade','reward','gift','auction') NOT NULL, currency CHAR(4) NOT NULL,
    amount DECIMAL(12,2) NOT NULL, balance_after BIGINT NOT NULL, item_id BIGINT UNSIGNED NULL,
    receipt VARCHAR(64) NULL, status ENUM('completed','pending','failed') NOT NULL, created_at DATETIME(3) NOT NULL,
    KEY transactions_player_time (player_id, created_at)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE game_logs (
    id BIGINT UNSIGNED NOT NULL, created_at DATETIME NOT NULL, player_id INT UNSIGNED NOT NULL,
    event_type VARCHAR(32) NOT NULL, server_id SMALLINT UNSIGNED NOT NULL, payload JSON NOT NULL,
    PRIMARY KEY (id, created_at), KEY game_logs_player (player_id, created_at)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
  PARTITION BY RANGE (TO_DAYS(created_at)) (
    ${logMonths.map((m) => `PARTITION p_${m.replace("-", "_")} VALUES LESS THAN (TO_DAYS('${nextMonth(m)}-01'))`).join(",\n    ")},
    PARTITION pmax VALUES LESS THAN MAXVALUE
  )`,
  `CREATE TABLE player_sessions (
    id BIGINT UNSIGNED NOT NULL PRIMARY KEY, player_id INT UNSIGNED NOT NULL, session_token CHAR(64) NOT NULL,
    ip VARCHAR(45) NOT NULL, device VARCHAR(32) NOT NULL, client_version VARCHAR(16) NOT NULL,
    started_at DATETIME NOT NULL, ended_at DATETIME NULL,
    KEY player_sessions_player (player_id), KEY player_sessions_started (started_at)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE temporary_data (
    id BIGINT UNSIGNED NOT NULL PRIMARY KEY, data_key VARCHAR(96) NOT NULL, data_value MEDIUMTEXT NOT NULL,
    created_at DATETIME NOT NULL, expires_at DATETIME NOT NULL, KEY temporary_data_created (created_at)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
];

// What the seed's maintenance does by hand, as the database's own objects: the dump carries
// them (--routines --triggers --events), and the restore must recreate them.
const objects = [
  `CREATE PROCEDURE purge_temporary_data(IN older_than_days INT)
   BEGIN DELETE FROM temporary_data WHERE created_at < NOW() - INTERVAL older_than_days DAY; END`,
  `CREATE TRIGGER transactions_refund_check BEFORE INSERT ON transactions FOR EACH ROW
   BEGIN IF NEW.kind = 'refund' AND NEW.amount > 0 THEN SET NEW.amount = -NEW.amount; END IF; END`,
  `CREATE EVENT purge_temporary_data_daily ON SCHEDULE EVERY 1 DAY STARTS '2026-01-01 04:00:00' DISABLE
   DO CALL purge_temporary_data(7)`,
];

/**
 * The database's comment once seeding finished: an interrupted seed has another and is seeded
 * again. Bump the version with any change to the schema, the generator or the row counts.
 */
function marker(sizeMb: number, seed: number): string {
  return `gameops bench/backup v2 size-mb=${sizeMb} seed=${seed}`;
}

export async function seedGameDatabase(target: SeedTarget, options: SeedOptions): Promise<SeededDatabase> {
  const { database, sizeMb, seed } = options;
  const connection = await mysql.createConnection({
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
  });
  try {
    const [found] = await connection.query("SELECT SCHEMA_COMMENT AS comment FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", [database]);
    const comment = (found as { comment: string }[])[0]?.comment;
    if (comment === marker(sizeMb, seed)) return { ...(await sizes(connection, database, false)), reused: true, seedSeconds: 0 };
    if (comment !== undefined) options.onProgress(`${database} holds "${comment || "no seed marker"}", not "${marker(sizeMb, seed)}": seeding it again`);

    const started = performance.now();
    await connection.query(`DROP DATABASE IF EXISTS \`${database}\``);
    await connection.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COMMENT 'gameops bench/backup: seeding'`);
    await connection.query(`USE \`${database}\``);
    // Session only: the shared server's settings are left alone. The generator keeps keys unique
    // and parents before children, so the checks would only cost time.
    await connection.query("SET SESSION unique_checks = 0, foreign_key_checks = 0");
    for (const statement of schema) await connection.query(statement);

    const counts = rowCounts(sizeMb);
    const random = seededUint32(seed);
    for (const table of tables) {
      const total = counts[table.name];
      const chunk = 200_000;
      for (let first = 1; first <= total; first += chunk) {
        const last = Math.min(total, first + chunk - 1);
        // LOAD DATA LOCAL reads this stream: rows are generated as the server takes them, on the other core.
        const rows = Readable.from(rowsOf(table.name, first, last, counts, random));
        await connection.query({ sql: loadStatement(table.name), infileStreamFactory: () => rows });
        options.onProgress(`  ${table.name}: ${last.toLocaleString("en")} / ${total.toLocaleString("en")} rows (${((performance.now() - started) / 1000).toFixed(0)} s)`);
      }
    }
    for (const statement of objects) await connection.query(statement);
    await connection.query(`ALTER DATABASE \`${database}\` COMMENT '${marker(sizeMb, seed)}'`);
    const seedSeconds = (performance.now() - started) / 1000;
    return { ...(await sizes(connection, database, true)), reused: false, seedSeconds };
  } finally {
    await connection.end();
  }
}

async function sizes(connection: mysql.Connection, database: string, analyze: boolean): Promise<Omit<SeededDatabase, "reused" | "seedSeconds">> {
  // Fresh statistics once after seeding: information_schema's row and byte counts are otherwise stale samples.
  if (analyze) await connection.query(`ANALYZE TABLE ${tables.map((t) => `\`${database}\`.\`${t.name}\``).join(", ")}`);
  const [rows] = await connection.query(
    "SELECT TABLE_NAME AS name, TABLE_ROWS AS `rows`, DATA_LENGTH + INDEX_LENGTH AS bytes FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME",
    [database],
  );
  const list = (rows as { name: string; rows: number | string; bytes: number | string }[]).map((r) => ({ name: r.name, rows: Number(r.rows), bytes: Number(r.bytes) }));
  return { database, tables: list, totalBytes: list.reduce((sum, t) => sum + t.bytes, 0) };
}

type Counts = Record<TableName, number>;

function rowCounts(sizeMb: number): Counts {
  const bytes = sizeMb * 1024 * 1024;
  return Object.fromEntries(tables.map((t) => [t.name, Math.max(100, Math.round((bytes * t.share) / t.bytesPerRow))])) as Counts;
}

function loadStatement(table: TableName): string {
  // password_hash travels as hex: raw bytes would need escaping in the tab-separated stream.
  if (table === "players")
    return "LOAD DATA LOCAL INFILE 'players.tsv' INTO TABLE players (id, username, email, @hash, country, level, gold, gems, status, settings, created_at, last_login) SET password_hash = UNHEX(@hash)";
  return `LOAD DATA LOCAL INFILE '${table}.tsv' INTO TABLE ${table}`;
}

/** mulberry32 as whole numbers, the bench's shared PRNG. */
function seededUint32(seed: number): () => number {
  const next = seededRandom(seed);
  return () => Math.floor(next() * 4294967296);
}

const adjectives = ["Swift", "Dark", "Silent", "Iron", "Lucky", "Brave", "Crimson", "Frost", "Shadow", "Golden", "Wild", "Storm", "Mystic", "Rusty", "Noble", "Tiny"];
const nouns = ["Wolf", "Blade", "Hunter", "Mage", "Dragon", "Fox", "Knight", "Raven", "Bear", "Tiger", "Ghost", "Falcon", "Viper", "Paladin", "Bard", "Golem"];
const domains = ["gmail.com", "naver.com", "yahoo.co.jp", "hotmail.com", "outlook.com", "daum.net", "icloud.com", "qq.com"];
const countries = ["KR", "KR", "KR", "US", "US", "JP", "JP", "TW", "DE", "FR", "BR", "GB", "TH", "VN", "PH", "CA"];
const classes = ["warrior", "mage", "rogue", "cleric", "ranger", "paladin"];
const zones = ["elwynn_forest", "burning_desert", "frost_peaks", "sunken_harbor", "crystal_caverns", "dragon_spire", "ashen_wastes", "capital_city"];
const itemPrefixes = ["Rusty", "Fine", "Masterwork", "Ancient", "Cursed", "Blessed", "Dragonbone", "Shadow", "Runed", "Glass"];
const itemBases = ["Sword", "Axe", "Bow", "Staff", "Dagger", "Shield", "Helm", "Boots", "Ring", "Amulet", "Potion of Healing", "Scroll of Return", "Iron Ore", "Mana Crystal"];
const rarities = ["common", "common", "common", "common", "uncommon", "uncommon", "rare", "epic", "legendary"];
const elements = ["fire", "ice", "lightning", "poison", "holy", "none"];
const transactionKinds = ["purchase", "reward", "reward", "trade", "auction", "gift", "refund"];
const currencies = ["GEM", "GOLD", "GOLD", "USD", "KRW", "EUR"];
const events = ["login", "logout", "quest_complete", "item_drop", "pvp_kill", "level_up", "purchase", "chat", "dungeon_enter", "trade"];
const devices = ["android", "android", "ios", "ios", "windows", "steam_deck", "macos"];
const dataKinds = ["leaderboard", "matchmaking", "inventory_cache", "daily_quests", "shop_offers"];

const pick = <T>(list: readonly T[], r: number): T => list[r % list.length]!;

// Fixed epochs, not "now": the data is the same whenever it is seeded.
const accountsStart = Date.UTC(2023, 0, 1) / 1000;
const logsStart = Date.UTC(2025, 11, 1) / 1000;
const year = 365 * 86_400;

function datetime(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().slice(0, 19).replace("T", " ");
}

function hex(random: () => number, words: number): string {
  let s = "";
  for (let i = 0; i < words; i++) s += random().toString(16).padStart(8, "0");
  return s;
}

/** Rows first…last of a table as tab-separated lines, in Buffers of about 1 MB (what mysql2 sends as LOCAL INFILE packets). */
function* rowsOf(table: TableName, first: number, last: number, counts: Counts, r: () => number): Generator<Buffer> {
  let lines: string[] = [];
  let length = 0;
  for (let id = first; id <= last; id++) {
    const line = rowOf(table, id, counts, r);
    lines.push(line);
    length += line.length;
    if (length >= 1 << 20) {
      yield Buffer.from(lines.join(""));
      lines = [];
      length = 0;
    }
  }
  if (lines.length > 0) yield Buffer.from(lines.join(""));
}

function rowOf(table: TableName, id: number, counts: Counts, r: () => number): string {
  switch (table) {
    case "players": {
      const name = `${pick(adjectives, r())}${pick(nouns, r())}${id}`;
      const created = accountsStart + (r() % (3 * year));
      const status = r() % 20 === 0 ? "banned" : r() % 4 === 0 ? "dormant" : "active";
      const settings = `{"lang":"${pick(["ko", "en", "ja", "zh", "de"], r())}","sound":${(r() % 101) / 100},"graphics":"${pick(["low", "medium", "high", "ultra"], r())}","notifications":${r() % 2 === 0},"keybinds":{"jump":"space","attack":"${pick(["mouse1", "f", "j"], r())}","inventory":"i"}}`;
      const lastLogin = r() % 10 === 0 ? "\\N" : datetime(created + (r() % year));
      return `${id}\t${name}\t${name.toLowerCase()}@${pick(domains, r())}\t${hex(r, 8)}\t${pick(countries, r())}\t${1 + (r() % 80)}\t${r() % 5_000_000}\t${r() % 12_000}\t${status}\t${settings}\t${datetime(created)}\t${lastLogin}\n`;
    }
    case "characters": {
      const level = 1 + (r() % 80);
      const stats = `{"str":${5 + (r() % 60)},"dex":${5 + (r() % 60)},"int":${5 + (r() % 60)},"vit":${5 + (r() % 60)},"skills":[${100 + (r() % 50)},${200 + (r() % 50)},${300 + (r() % 50)}],"title":"${pick(["", "the Bold", "Dragonslayer", "of the North"], r())}"}`;
      return `${id}\t${1 + (r() % counts.players)}\t${pick(nouns, r())}${pick(adjectives, r())}${r() % 1000}\t${pick(classes, r())}\t${level}\t${level * level * 1000 + (r() % 100_000)}\t${level * 50 + (r() % 500)}\t${level * 20 + (r() % 300)}\t${pick(zones, r())}\t${((r() % 2_000_000) / 100 - 10_000).toFixed(2)}\t${((r() % 2_000_000) / 100 - 10_000).toFixed(2)}\t${stats}\t${r() % 2_000_000}\t${datetime(accountsStart + (r() % (3 * year)))}\n`;
    }
    case "items": {
      const code = 1 + (r() % 4000);
      const rarity = pick(rarities, r());
      const attributes =
        code % 14 >= 10
          ? `{"stack":true,"effect":"${pick(["heal", "teleport", "mana"], code)}"}`
          : `{"dmg":[${r() % 50},${50 + (r() % 100)}],"enchant":{"type":"${pick(elements, r())}","lvl":${r() % 10}},"sockets":${r() % 4},"crafted_by":${r() % 3 === 0 ? 1 + (r() % counts.players) : "null"}}`;
      return `${id}\t${1 + (r() % counts.characters)}\t${code}\t${pick(itemPrefixes, code)} ${pick(itemBases, code >> 4)}\t${rarity}\t${1 + (r() % 99)}\t${r() % 3 === 0 ? "\\N" : r() % 12}\t${r() % 101}\t${r() % 2}\t${attributes}\t${datetime(accountsStart + (r() % (3 * year)))}\n`;
    }
    case "transactions": {
      const kind = pick(transactionKinds, r());
      const currency = kind === "purchase" ? pick(["USD", "KRW", "EUR"], r()) : pick(currencies, r());
      const amount = ((kind === "refund" ? -1 : 1) * (r() % 1_000_000)) / 100;
      const at = logsStart - year + Math.floor(((id - 1) * 2 * year) / counts.transactions);
      const receipt = kind === "purchase" ? `GPA.${r() % 10000}-${r() % 10000}-${r() % 10000}-${r() % 100000}` : "\\N";
      return `${id}\t${1 + (r() % counts.players)}\t${kind}\t${currency}\t${amount.toFixed(2)}\t${r() % 10_000_000}\t${r() % 4 === 0 ? 1 + (r() % counts.items) : "\\N"}\t${receipt}\t${r() % 50 === 0 ? "failed" : r() % 30 === 0 ? "pending" : "completed"}\t${datetime(at)}.${String(r() % 1000).padStart(3, "0")}\n`;
    }
    case "game_logs": {
      // A year of logs in id order, a month a partition; the last weeks land in pmax.
      const at = logsStart + Math.floor(((id - 1) * (year + 20 * 86_400)) / counts.game_logs);
      const event = pick(events, r());
      const payload = `{"zone":"${pick(zones, r())}","x":${r() % 20000},"y":${r() % 20000},"ref":"${hex(r, 1)}"${event === "item_drop" ? `,"item":${1 + (r() % 4000)}` : event === "pvp_kill" ? `,"victim":${1 + (r() % counts.players)}` : event === "level_up" ? `,"level":${1 + (r() % 80)}` : ""},"latency_ms":${r() % 250}}`;
      return `${id}\t${datetime(at)}\t${1 + (r() % counts.players)}\t${event}\t${1 + (r() % 40)}\t${payload}\n`;
    }
    case "player_sessions": {
      const started = logsStart - 30 * 86_400 + Math.floor(((id - 1) * (year + 30 * 86_400)) / counts.player_sessions);
      const ended = r() % 50 === 0 ? "\\N" : datetime(started + 60 + (r() % 14_400));
      return `${id}\t${1 + (r() % counts.players)}\t${hex(r, 8)}\t${r() % 224}.${r() % 256}.${r() % 256}.${r() % 256}\t${pick(devices, r())}\t1.${r() % 30}.${r() % 10}\t${datetime(started)}\t${ended}\n`;
    }
    case "temporary_data": {
      const kind = pick(dataKinds, r());
      const created = logsStart + year - 10 * 86_400 + (r() % (10 * 86_400));
      const entries = Array.from({ length: 12 }, () => `{"p":${1 + (r() % counts.players)},"s":${r() % 100_000},"t":"${hex(r, 1)}"}`).join(",");
      return `${id}\tcache:${kind}:${1 + (r() % counts.players)}:${id}\t{"kind":"${kind}","v":3,"entries":[${entries}]}\t${datetime(created)}\t${datetime(created + 7 * 86_400)}\n`;
    }
  }
}
