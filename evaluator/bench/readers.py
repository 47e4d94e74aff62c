"""Times reading a vote file into a Bradley–Terry leaderboard, side by side in one
run: `arena leaderboard`, `wc -l` (the floor: reading the file and nothing else),
arena-rank 0.1.1 (pandas read + BradleyTerry with sandwich intervals) and FastChat
main's `compute_bt` (pandas read + fit, no intervals). Each row is the fastest of
several runs; peak memory is the maximum resident set size `/usr/bin/time -v`
reports. Prints a Markdown table. Called by readers.sh, which prepares everything."""

import argparse
import os
import subprocess
import sys
import time

ARENA_RANK = r"""
import sys, pandas as pd
from arena_rank.models.bradley_terry import BradleyTerry
from arena_rank.utils.data_utils import PairDataset
path = sys.argv[1]
df = pd.read_parquet(path, columns=["model_a", "model_b", "winner"]) if path.endswith(".parquet") \
    else pd.read_json(path, lines=True)
ds = PairDataset.from_pandas(df)
res = BradleyTerry(n_competitors=ds.n_competitors).compute_ratings_and_cis(ds, significance_level=0.05)
print(len(res["competitors"]) if "competitors" in res else len(res))
"""

FASTCHAT = r"""
import sys, pandas as pd
sys.path.insert(0, sys.argv[2])
from rating_systems import compute_bt
path = sys.argv[1]
df = pd.read_parquet(path, columns=["model_a", "model_b", "winner"]) if path.endswith(".parquet") \
    else pd.read_json(path, lines=True)
print(len(compute_bt(df)))
"""


def timed(cmd):
    """Wall seconds and peak resident memory (MiB) of one run of `cmd`."""
    start = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-v", *cmd], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{done.stderr[-3000:]}")
    rss_kib = next(int(l.split(":")[1]) for l in done.stderr.splitlines()
                   if "Maximum resident set size" in l)
    return wall, rss_kib / 1024


def fastest(cmd, runs):
    results = [timed(cmd) for _ in range(runs)]
    wall = min(w for w, _ in results)
    rss = max(m for _, m in results)
    return wall, rss


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--arena", required=True)
    p.add_argument("--python", required=True)
    p.add_argument("--fastchat", required=True, help="folder holding rating_systems.py")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--reference-runs", type=int, default=3)
    p.add_argument("files", nargs="+")
    a = p.parse_args()

    rows = []
    for path in a.files:
        size_mb = os.path.getsize(path) / 1e6
        # The Python tools take minutes on 10M votes: one run each there.
        large = size_mb > 300 or "-10m-" in os.path.basename(path)
        ref_runs = 1 if large else a.reference_runs
        tools = [
            ("`arena leaderboard` (BT + sandwich)",
             [a.arena, "leaderboard", "--input", path, "--method", "bt", "--ci", "sandwich",
              "--output", "json"], a.runs),
            ("arena-rank 0.1.1 (pandas + BT + sandwich)",
             [a.python, "-c", ARENA_RANK, path], ref_runs),
            ("FastChat main `compute_bt` (pandas + BT)",
             [a.python, "-c", FASTCHAT, path, a.fastchat], ref_runs),
        ]
        if not path.endswith(".parquet"):
            tools.insert(1, ("`wc -l` (the floor)", ["wc", "-l", path], a.runs))
        measured = {}
        for name, cmd, runs in tools:
            print(f"{os.path.basename(path)}: {name} × {runs}", file=sys.stderr, flush=True)
            measured[name] = (fastest(cmd, runs), runs)
        ours = measured[tools[0][0]][0][0]
        for name, ((wall, rss), runs) in measured.items():
            ratio = f"{wall / ours:.2f}" if wall < 10 * ours else f"{wall / ours:.0f}"
            rows.append((os.path.basename(path), f"{size_mb:.0f} MB", name, runs, wall, rss, ratio))

    load = os.getloadavg()
    print(f"\nLoad average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, "
          f"{os.cpu_count()} cores.\n")
    print("| file | size | tool | runs | fastest | peak memory | time ÷ ours |")
    print("|---|---:|---|---:|---:|---:|---:|")
    for f, size, name, runs, wall, rss, ratio in rows:
        print(f"| {f} | {size} | {name} | {runs} | {wall:.3f} s | {rss:.0f} MiB | {ratio} |")


if __name__ == "__main__":
    main()
