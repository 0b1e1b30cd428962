/**
 * The game database the backup tests dump and restore, run with multipleStatements on MariaDB
 * (whose seq_1_to_N tables generate the rows). A small game: ~25k rows, about 2 MB of SQL.
 * game_logs carries hashes (hard to compress), so the compressed dump outgrows the pipe buffers
 * and the tools stay alive until storage reads.
 */
export const gameSchemaSql = `
CREATE TABLE players (
  id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(64) NOT NULL UNIQUE, email VARCHAR(128),
  password_hash BINARY(32) NOT NULL, created_at DATETIME NOT NULL, last_login DATETIME NULL, gold BIGINT NOT NULL DEFAULT 0
) ENGINE=InnoDB;
CREATE TABLE characters (
  id INT AUTO_INCREMENT PRIMARY KEY, player_id INT NOT NULL, name VARCHAR(64) NOT NULL,
  class ENUM('warrior','mage','rogue','cleric') NOT NULL, level SMALLINT NOT NULL, xp BIGINT NOT NULL,
  FOREIGN KEY (player_id) REFERENCES players(id)
) ENGINE=InnoDB;
CREATE TABLE items (
  id INT AUTO_INCREMENT PRIMARY KEY, character_id INT NOT NULL, kind VARCHAR(32) NOT NULL, rarity TINYINT NOT NULL,
  attributes JSON, FOREIGN KEY (character_id) REFERENCES characters(id)
) ENGINE=InnoDB;
CREATE TABLE transactions (
  id BIGINT AUTO_INCREMENT PRIMARY KEY, player_id INT NOT NULL, amount DECIMAL(12,2) NOT NULL, currency CHAR(3) NOT NULL,
  note VARCHAR(255), created_at DATETIME(6) NOT NULL
) ENGINE=InnoDB;
CREATE TABLE game_logs (
  id BIGINT NOT NULL AUTO_INCREMENT, logged_at DATETIME NOT NULL, player_id INT, event VARCHAR(32) NOT NULL, payload TEXT,
  PRIMARY KEY (id, logged_at)
) ENGINE=InnoDB PARTITION BY RANGE COLUMNS(logged_at) (
  PARTITION p2026_01 VALUES LESS THAN ('2026-02-01'),
  PARTITION p2026_02 VALUES LESS THAN ('2026-03-01'),
  PARTITION p2026_03 VALUES LESS THAN ('2026-04-01'),
  PARTITION pmax VALUES LESS THAN (MAXVALUE)
);
CREATE TABLE player_sessions (
  id BIGINT AUTO_INCREMENT PRIMARY KEY, player_id INT NOT NULL, started_at DATETIME NOT NULL, ended_at DATETIME NULL, ip VARBINARY(16)
) ENGINE=InnoDB;
CREATE TABLE temporary_data (k VARCHAR(64) PRIMARY KEY, v BLOB, expires_at DATETIME NOT NULL) ENGINE=InnoDB;
CREATE TRIGGER transactions_gold AFTER INSERT ON transactions FOR EACH ROW UPDATE players SET gold = gold + NEW.amount WHERE id = NEW.player_id;
CREATE PROCEDURE grant_gold(IN who INT, IN how_much DECIMAL(12,2)) INSERT INTO transactions (player_id, amount, currency, note, created_at) VALUES (who, how_much, 'GLD', 'grant', NOW(6));
CREATE EVENT purge_temporary ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM temporary_data WHERE expires_at < NOW();
INSERT INTO players (name, email, password_hash, created_at, last_login)
  SELECT CONCAT('player', seq), CONCAT('p', seq, '@example.com'), UNHEX(SHA2(seq, 256)), '2026-01-01' + INTERVAL seq MINUTE,
         IF(seq % 7 = 0, NULL, '2026-03-01' + INTERVAL seq SECOND) FROM seq_1_to_1000;
INSERT INTO characters (player_id, name, class, level, xp)
  SELECT 1 + seq % 1000, CONCAT('hero', seq), ELT(1 + seq % 4, 'warrior', 'mage', 'rogue', 'cleric'), 1 + seq % 60, seq * 137 FROM seq_1_to_2000;
INSERT INTO items (character_id, kind, rarity, attributes)
  SELECT 1 + seq % 2000, ELT(1 + seq % 3, 'sword', 'potion', 'shield'), seq % 5, JSON_OBJECT('power', seq % 97, 'name', CONCAT('item "', seq, '" \\\\ ✓')) FROM seq_1_to_4000;
INSERT INTO transactions (player_id, amount, currency, note, created_at)
  SELECT 1 + seq % 1000, (seq % 500) / 4, 'GLD', IF(seq % 3 = 0, NULL, CONCAT('quest ', seq)), '2026-02-01' + INTERVAL seq SECOND FROM seq_1_to_3000;
INSERT INTO game_logs (logged_at, player_id, event, payload)
  SELECT '2026-01-01' + INTERVAL (seq * 12) MINUTE, 1 + seq % 1000, ELT(1 + seq % 3, 'login', 'kill', 'trade'),
         CONCAT(SHA2(seq, 512), SHA2(seq + 1, 256)) FROM seq_1_to_9000;
INSERT INTO player_sessions (player_id, started_at, ended_at, ip)
  SELECT 1 + seq % 1000, '2026-01-01' + INTERVAL seq HOUR, IF(seq % 10 = 0, NULL, '2026-01-01' + INTERVAL seq HOUR + INTERVAL 30 MINUTE), INET6_ATON(CONCAT('10.0.', seq % 256, '.', seq % 200)) FROM seq_1_to_3000;
INSERT INTO temporary_data (k, v, expires_at)
  SELECT CONCAT('cache:', seq), UNHEX(CONCAT(SHA2(seq, 256), '00FF5C27')), '2026-01-01' + INTERVAL seq HOUR FROM seq_1_to_1000;
`;
