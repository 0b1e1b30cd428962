#!/usr/bin/env bash
# Copied from ../shared/bench/daily-check-serial.sh (the seed's serial procedure, ported to bash);
# only these two lines were added, so that the bench does not depend on ../shared.
# The seed's daily health check (section 1.1) as an operator runs it: one step after the
# other, kubectl steps left out. It is the baseline `gameops check` is compared with.
#
# Settings come from the environment:
#   MYSQL_HOST MYSQL_PORT MYSQL_USER (password: MYSQL_PWD, read by the client)
#   REDIS_HOST REDIS_PORT  ALERTMANAGER_URL  GAME_LOG_DIR  DISK_THRESHOLD (percent, default 80)
# Needs: mariadb/mysql client, redis-cli, curl, jq, coreutils (timeout, df).
# redis-cli --latency samples for 1 s and exits when stdout is not a terminal; on a terminal
# it would run until `timeout 2` stops it (the seed's version never ends).

MYSQL_HOST=${MYSQL_HOST:-127.0.0.1}
MYSQL_PORT=${MYSQL_PORT:-3306}
MYSQL_USER=${MYSQL_USER:-root}
REDIS_HOST=${REDIS_HOST:-127.0.0.1}
REDIS_PORT=${REDIS_PORT:-6379}
ALERTMANAGER_URL=${ALERTMANAGER_URL:-http://127.0.0.1:9093}
GAME_LOG_DIR=${GAME_LOG_DIR:-/var/log/game-server}
DISK_THRESHOLD=${DISK_THRESHOLD:-80}

MYSQL="mysql -h $MYSQL_HOST -P $MYSQL_PORT -u $MYSQL_USER --connect-timeout=5"
REDIS="redis-cli -h $REDIS_HOST -p $REDIS_PORT"

echo "=== Daily Health Check $(date '+%Y-%m-%d %H:%M:%S') ==="

echo "[1/5] MySQL status"
$MYSQL -e "SHOW GLOBAL STATUS LIKE 'Threads_connected';"
$MYSQL -e "SHOW GLOBAL STATUS LIKE 'Max_used_connections';"
$MYSQL -e "SHOW VARIABLES LIKE 'max_connections';"
$MYSQL -e "SHOW GLOBAL STATUS LIKE 'Slow_queries';"
$MYSQL -e "SHOW GLOBAL STATUS LIKE 'Uptime';"
echo "Connections (processlist rows): $($MYSQL -N -e 'SHOW PROCESSLIST;' | wc -l)"

echo "[2/5] Redis status"
$REDIS INFO server | grep -E '^(redis_version|uptime_in_seconds|uptime_in_days|tcp_port):'
$REDIS INFO memory | grep -E '^(used_memory_human|used_memory_peak_human|maxmemory_human|mem_fragmentation_ratio):'
echo "Latency (min max avg samples, ms):"
timeout 2 $REDIS --latency

echo "[3/5] Disk usage (>= ${DISK_THRESHOLD}%)"
df -h | awk -v t="$DISK_THRESHOLD" 'NR == 1 || ($5 + 0) >= t'

echo "[4/5] Error log counts (${GAME_LOG_DIR})"
for f in "$GAME_LOG_DIR"/*.log; do
  [[ -e $f ]] || { echo "no log files"; break; }
  echo "$(basename "$f"): $(grep -c ERROR "$f")"
done

echo "[5/5] Active alerts (Alertmanager)"
curl -s --max-time 5 "$ALERTMANAGER_URL/api/v2/alerts?active=true&silenced=false&inhibited=false" \
  | jq -r 'if length == 0 then "no active alerts"
           else .[] | "\(.labels.alertname)\t\(.labels.severity // "-")\t\(.labels.instance // "-")\tsince \(.startsAt)" end'

echo "=== Check Complete $(date '+%Y-%m-%d %H:%M:%S') ==="
