#!/usr/bin/env bash
# The vote cycle under load, in one run on one machine (BENCHMARKS.md, "Vote cycle
# under load"): the database's own ceiling first — pgbench's rate of single-row insert
# transactions on the same Postgres — then `arena bench` (VOTERS simulated voters, no
# think time: battle → both images → vote, plus leaderboard and model-page readers)
# against the release `arena serve` on that Postgres and on SQLite, each arena with its
# pool drawn first by its embedded worker; then again with THINK_MS (default 2000) of
# thinking before each vote — voters who look at the images, as people do — for the
# latencies of an arena that is busy but not saturated. With PROFILE=1 it also samples where the
# CPU goes during the Postgres run (perf, system-wide, by process, then the server's
# own hottest symbols).
#
#   server/benches/vote_cycle.sh [DIR]      (files go to DIR, default /tmp/arena-vote-bench)
#
# VOTERS (default 200), DURATION seconds per run (default 30), PGBENCH_CLIENTS
# (default 16), POSTGRES (default postgres://postgres@127.0.0.1:5432), ARENA_BIN
# (default: the release binary built here).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=${1:-/tmp/arena-vote-bench}
voters=${VOTERS:-200}
duration=${DURATION:-30}
pgbench_clients=${PGBENCH_CLIENTS:-16}
think=${THINK_MS:-2000}
postgres=${POSTGRES:-postgres://postgres@127.0.0.1:5432}
token=vote-cycle-bench-admin-token-0123456789
rm -rf "$dir" && mkdir -p "$dir"

if [ -z "${ARENA_BIN:-}" ]; then
    (cd "$root" && cargo build --release -p arena-server --bin arena)
fi
arena=${ARENA_BIN:-${CARGO_TARGET_DIR:-$root/target}/release/arena}
db=arena_vote_bench_$$
server=
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
    psql -q "$postgres/postgres" -c "drop database if exists $db" >/dev/null 2>&1 || true
}
trap cleanup EXIT
psql -q "$postgres/postgres" -c "create database $db"

echo "== pgbench: single-row insert transactions, $pgbench_clients clients, ${duration} s" >&2
psql -q "$postgres/$db" -c "create table pgbench_vote (id bigserial primary key, \
    battle text not null, winner text not null, created_at timestamptz not null)"
cat > "$dir/insert.sql" <<'SQL'
insert into pgbench_vote (battle, winner, created_at) values (md5(random()::text), 'a', now());
SQL
pgbench -n -c "$pgbench_clients" -j 2 -T "$duration" -f "$dir/insert.sql" "$postgres/$db" \
    > "$dir/pgbench.txt" 2>&1
pgbench_tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$dir/pgbench.txt" | head -n1)
echo "pgbench: $pgbench_tps insert transactions/s" >&2

# Starts `arena serve` on database $1 in data dir $2; sets $server and $base.
start_arena() {
    local url=$1 data=$2
    mkdir -p "$data"
    cat > "$data/arena.toml" <<TOML
bind = "127.0.0.1:0"
min_view_ms = 0
admin_token = "$token"
[queue]
pool_images = 1
[limits]
enabled = false
TOML
    "$arena" serve --database-url "$url" --data-dir "$data" --config "$data/arena.toml" \
        2> "$data/server.log" &
    server=$!
    base=
    for _ in $(seq 1 600); do
        base=$(sed -n 's/.*Arena is running at \(http[^ ]*\).*/\1/p' "$data/server.log" | head -n1)
        [ -n "$base" ] && break
        sleep 0.1
    done
    [ -n "$base" ] || { cat "$data/server.log" >&2; exit 1; }
    # The whole pool first, so that the embedded worker is idle during the run.
    for _ in $(seq 1 1800); do
        if curl -sf -H "Authorization: Bearer $token" "$base/api/v1/admin/queue" \
            | python3 -c 'import json,sys; m=json.load(sys.stdin)["models"]; sys.exit(0 if m and all(x["queued"]+x["leased"]==0 and x["done"]>0 for x in m) else 1)'
        then
            return
        fi
        sleep 1
    done
    echo "the pool was not drawn in 30 minutes" >&2
    exit 1
}

stop_arena() {
    kill "$server" && wait "$server" 2>/dev/null || true
    server=
}

# Runs the bench against $base with think time $2 ms; the JSON report goes to $1.
run_bench() {
    "$arena" bench --target "$base" --voters "$voters" --duration "$duration" \
        --think-ms "${2:-0}" --admin-token "$token" --output json > "$1"
}

echo "== arena on Postgres: $voters voters, ${duration} s" >&2
start_arena "$postgres/$db" "$dir/pg"
if [ "${PROFILE:-0}" = 1 ]; then
    run_bench "$dir/pg.json" &
    bench=$!
    sleep $((duration / 3))
    perf record -a -F 499 -o "$dir/perf.data" -- sleep $((duration / 3)) 2> /dev/null
    wait "$bench"
    perf report -i "$dir/perf.data" --stdio --sort comm,dso 2>/dev/null | grep -v '^#' \
        | grep -v '^$' | head -n 25 > "$dir/profile-by-process.txt"
    perf report -i "$dir/perf.data" --stdio --no-children --pid "$server" --sort symbol \
        2>/dev/null | grep -v '^#' | grep -v '^$' | head -n 40 > "$dir/profile-server.txt"
else
    run_bench "$dir/pg.json"
fi
run_bench "$dir/pg-think.json" "$think"
stop_arena

echo "== arena on SQLite: $voters voters, ${duration} s" >&2
start_arena "sqlite:$dir/sqlite/arena.db" "$dir/sqlite"
run_bench "$dir/sqlite.json"
run_bench "$dir/sqlite-think.json" "$think"
stop_arena

python3 - "$dir" "$pgbench_tps" "$voters" "$duration" "$think" <<'PY'
import json, sys
d, tps, voters, duration, think = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
ms = lambda x: "–" if x is None else f"{x:.1f} ms"
def tables(title, runs):
    print(f"{title}\n")
    print("| database | votes/s | battles/s | p50 | p99 | errors | acknowledged | stored once |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for name, r in runs:
        c = r["check"]
        print(f"| {name} | {r['votes_per_s']:,.0f} | {r['battles_per_s']:,.0f} | {ms(r['p50_ms'])} "
              f"| {ms(r['p99_ms'])} | {r['errors']} | {r['acknowledged_votes']:,} "
              f"| {'yes' if c and c['stored_exactly_once'] else 'NO'} |")
    print()
    names = sorted(e for e in set().union(*(r["per_endpoint"].keys() for _, r in runs))
                   if any(r["per_endpoint"].get(e, {}).get("requests") for _, r in runs))
    print("| endpoint | " + " | ".join(f"{n} p50 / p99 (requests)" for n, _ in runs) + " |")
    print("|---|" + "---:|" * len(runs))
    for e in names:
        cells = []
        for _, r in runs:
            p = r["per_endpoint"].get(e)
            cells.append(f"{ms(p['p50_ms'])} / {ms(p['p99_ms'])} ({p['requests']:,})" if p else "–")
        print(f"| {e} | " + " | ".join(cells) + " |")
    print()

load = lambda f: json.load(open(f"{d}/{f}"))
print(f"pgbench single-row inserts: {tps:,.0f}/s; a vote cycle is two transactions, so "
      f"the database's ceiling is {tps/2:,.0f} cycles/s and a quarter of pgbench is {tps/4:,.0f}/s.\n")
tables(f"{voters} voters, no think time ({duration} s):",
       [("Postgres", load("pg.json")), ("SQLite", load("sqlite.json"))])
tables(f"{voters} voters, {think} ms think time ({duration} s):",
       [("Postgres", load("pg-think.json")), ("SQLite", load("sqlite-think.json"))])
PY
for f in profile-by-process.txt profile-server.txt; do
    [ -f "$dir/$f" ] && { echo; echo "$f:"; cat "$dir/$f"; }
done
