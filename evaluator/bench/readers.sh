#!/usr/bin/env bash
# Same-run benchmark of the vote-file readers: `arena leaderboard --input FILE --method
# bt --ci sandwich --output json` end to end against `wc -l` on the same file,
# arena-rank 0.1.1 and FastChat main's `compute_bt`, on 1M votes × 20 models and 10M
# × 200, as JSONL and Parquet. Prints the Markdown table of BENCHMARKS.md.
#
#   evaluator/bench/readers.sh [DIR]        (files go to DIR, default /tmp/arena-bench)
#
# Needs python3 (a virtual environment with arena-rank 0.1.1, pandas, pyarrow, scipy
# and tqdm is made in DIR/venv the first time) and FastChat's source: FASTCHAT_DIR
# (a checkout or a bare clone) or, without it, a shallow clone from GitHub. Only
# fastchat/serve/monitor/rating_systems.py is copied, into a temporary folder.
# RUNS (default 5) runs of ours and `wc -l`, REFERENCE_RUNS (default 3) of the
# Python tools (1 on the 10M files); SIZES="1m" skips the 10M files. ARENA_BIN
# measures another arena binary than the one built here.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=${1:-/tmp/arena-bench}
mkdir -p "$dir"
target=${CARGO_TARGET_DIR:-$root/target}

(cd "$root" && cargo build --release -p arena-server --bin arena \
    && cargo build --release -p arena-evaluator --bin arena-bench-evaluator)
arena=${ARENA_BIN:-$target/release/arena}

venv="$dir/venv"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q arena-rank==0.1.1 pandas pyarrow scipy tqdm
fi

fastchat=$(mktemp -d)
trap 'rm -rf "$fastchat"' EXIT
source_file=fastchat/serve/monitor/rating_systems.py
if [ -n "${FASTCHAT_DIR:-}" ] && [ -f "$FASTCHAT_DIR/$source_file" ]; then
    cp "$FASTCHAT_DIR/$source_file" "$fastchat/"
elif [ -n "${FASTCHAT_DIR:-}" ]; then
    git -C "$FASTCHAT_DIR" show "HEAD:$source_file" > "$fastchat/rating_systems.py"
else
    git clone -q --depth 1 https://github.com/lm-sys/FastChat "$fastchat/repo"
    cp "$fastchat/repo/$source_file" "$fastchat/"
    rm -rf "$fastchat/repo"
fi

files=()
for size in ${SIZES:-1m 10m}; do
    case $size in
        1m) models=20; votes=1000000 ;;
        10m) models=200; votes=10000000 ;;
        *) echo "unknown size $size" >&2; exit 2 ;;
    esac
    jsonl="$dir/votes-$size-$models.jsonl"
    parquet="$dir/votes-$size-$models.parquet"
    if [ ! -f "$jsonl" ]; then
        "$target/release/arena-bench-evaluator" generate --models "$models" --votes "$votes" \
            --seed 1 --out "$jsonl"
    fi
    if [ ! -f "$parquet" ]; then
        # The same votes; row groups of 64Ki rows, strings dictionary-encoded.
        "$venv/bin/python" - "$jsonl" "$parquet" <<'PY'
import sys
import pyarrow.json as pj, pyarrow.parquet as pq
table = pj.read_json(sys.argv[1])
pq.write_table(table, sys.argv[2], row_group_size=65536, compression="snappy")
PY
    fi
    files+=("$jsonl" "$parquet")
done

# Start-up: the binary's fixed cost, which every command pays.
python3 - "$arena" <<'PY'
import subprocess, sys, time
best = min((lambda s: (subprocess.run([sys.argv[1], "--version"], stdout=subprocess.DEVNULL),
                       time.perf_counter() - s)[1])(time.perf_counter()) for _ in range(20))
print(f"`arena --version`: fastest of 20 runs {best * 1000:.1f} ms")
PY

"$venv/bin/python" "$root/evaluator/bench/readers.py" --arena "$arena" \
    --python "$venv/bin/python" --fastchat "$fastchat" \
    --runs "${RUNS:-5}" --reference-runs "${REFERENCE_RUNS:-3}" "${files[@]}"
