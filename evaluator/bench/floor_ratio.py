"""How many times `wc -l`'s time `arena leaderboard` takes on one file, measured in
alternation (`wc -l`, then ours, N times) so that both see the same moments of a noisy
machine. Prints the fastest of each, their ratio, and the median and spread of the
per-pair ratios.

    python3 evaluator/bench/floor_ratio.py N FILE ARENA_BINARY
"""

import statistics
import subprocess
import sys
import time


def main():
    n, path, arena = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    floor = ["wc", "-l", path]
    ours = [arena, "leaderboard", "--input", path, "--method", "bt", "--ci", "sandwich",
            "--output", "json"]

    def timed(cmd):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
        return time.perf_counter() - start

    pairs = [(timed(floor), timed(ours)) for _ in range(n)]
    w = [a for a, _ in pairs]
    o = [b for _, b in pairs]
    r = sorted(b / a for a, b in pairs)
    print(f"wc -l: fastest {min(w) * 1e3:.1f} ms, median {statistics.median(w) * 1e3:.1f} ms; "
          f"ours: fastest {min(o) * 1e3:.1f} ms, median {statistics.median(o) * 1e3:.1f} ms; "
          f"fastest ÷ fastest {min(o) / min(w):.2f}; per-pair ratio median "
          f"{statistics.median(r):.2f} (10th–90th percentile {r[n // 10]:.2f}–{r[9 * n // 10]:.2f})")


if __name__ == "__main__":
    main()
