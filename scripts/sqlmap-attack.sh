#!/usr/bin/env bash
# Attacks the analysis endpoints with sqlmap (Debian package sqlmap) on a throwaway server with the bundled
# data: every JSON value and path segment a user controls is an injection point, on both engines when MySQL
# is given. Fails if sqlmap finds anything injectable or if the server answered any request with a 5xx.
#
#   scripts/sqlmap-attack.sh [--mysql mysql://root@127.0.0.1:3306] [--port 3999] [--level 3] [--risk 2]
#
# About 1 minute with the defaults; leaves nothing behind (temporary DuckDB file, database dropped).
set -euo pipefail
cd "$(dirname "$0")/.."

MYSQL_BASE="" PORT=3999 LEVEL=3 RISK=2
while [ $# -gt 0 ]; do
  case "$1" in
    --mysql) MYSQL_BASE="$2"; shift 2 ;;
    --port) PORT="$2"; shift 2 ;;
    --level) LEVEL="$2"; shift 2 ;;
    --risk) RISK="$2"; shift 2 ;;
    *) echo "usage: $0 [--mysql mysql://user@host:port] [--port N] [--level 1-5] [--risk 1-3]" >&2; exit 2 ;;
  esac
done
command -v sqlmap >/dev/null || { echo "sqlmap not found (apt-get install sqlmap)" >&2; exit 2; }

WORK=$(mktemp -d)
DB="evalhouse_sqlmap_$$"
SERVER=""
cleanup() {
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null || true
  if [ -n "$MYSQL_BASE" ]; then
    node -e "const m=require('mysql2/promise');m.createConnection(process.argv[1]).then(c=>c.query('DROP DATABASE IF EXISTS \`$DB\`').then(()=>c.end()))" "$MYSQL_BASE" || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

ENGINES="duckdb"
ENV=(DUCKDB_PATH="$WORK/evalhouse.duckdb" PORT="$PORT" LOG_LEVEL=warn)
if [ -n "$MYSQL_BASE" ]; then
  node -e "const m=require('mysql2/promise');m.createConnection(process.argv[1]).then(c=>c.query('CREATE DATABASE \`$DB\`').then(()=>c.end()))" "$MYSQL_BASE"
  ENV+=(MYSQL_URL="${MYSQL_BASE%/}/$DB")
  ENGINES="duckdb mysql"
fi

U="http://127.0.0.1:$PORT"
echo "starting the API on $U with the bundled data ..."
env "${ENV[@]}" node_modules/.bin/tsx api/server.ts >"$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 120); do curl -sf "$U/health" >/dev/null 2>&1 && break; sleep 1; done
curl -sf "$U/health" >/dev/null || { echo "the server did not come up:" >&2; cat "$WORK/server.log" >&2; exit 1; }

MODEL=$(curl -s "$U/benchmarks" | node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{const b=JSON.parse(s).benchmarks.find(x=>x.benchmark==='mmlu-redux');console.log(b.model_names[0])})")
COMMON=(--batch --level "$LEVEL" --risk "$RISK" --threads 4 --flush-session --output-dir="$WORK/sqlmap" --disable-coloring)
LOG="$WORK/sqlmap.log"

attack() {
  echo "== $1"
  shift
  sqlmap "$@" "${COMMON[@]}" >>"$LOG" 2>&1 || true
}
for eng in $ENGINES; do
  attack "POST /analysis (engine $eng): benchmark, level, model, filter value" -u "$U/analysis" --method POST \
    -H "Content-Type: application/json" \
    --data "{\"benchmark\":\"mmlu-redux*\",\"levels\":[\"subject*\"],\"models\":[\"$MODEL*\"],\"filters\":{\"subject\":[\"anatomy*\"]},\"engine\":\"$eng\"}"
done
attack "POST /benchmarks/{benchmark}/metadata/options: benchmark, level1, value" \
  -u "$U/benchmarks/mmlu-redux*/metadata/options" --method POST -H "Content-Type: application/json" \
  --data '{"level1":"subject*","level1_values":["anatomy*"]}'
attack "GET /benchmarks/{benchmark}/metadata" -u "$U/benchmarks/mmlu-redux*/metadata"

status=0
# sqlmap reports a finding as "... appears to be injectable" or "... is vulnerable"
if grep -Eq "appears to be .*injectable|is vulnerable|sqlmap identified the following injection" "$LOG"; then
  echo "FAILED: sqlmap found an injection:" >&2
  grep -E "injectable|vulnerable|identified" "$LOG" >&2
  status=1
fi
grep -A1 "HTTP error codes detected" "$LOG" | grep -v "HTTP error codes\|^--" | sed 's/^/  answers other than 200: /' || true
counts=$(curl -s "$U/metrics" | grep '^evalhouse_http_request_duration_seconds_count' || true)
total=$(echo "$counts" | awk '{s+=$2} END {print s+0}')
fivexx=$(echo "$counts" | awk '/status_code="5/ {s+=$2} END {print s+0}')
tested=$(grep -c 'does not seem to be injectable' "$LOG" || true)
echo "requests answered: $total; 5xx: $fivexx; parameters tested and not injectable: $tested"
if [ "$fivexx" != 0 ]; then
  echo "FAILED: the server answered $fivexx requests with a 5xx:" >&2
  echo "$counts" | grep 'status_code="5' >&2
  status=1
fi
[ "$status" = 0 ] && echo "ok: nothing injectable, no 5xx"
exit "$status"
