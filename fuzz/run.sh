#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 60), starting from the seeds in
# seeds/<target>/. Not part of CI. A crash stops that target and leaves its input in
# artifacts/<target>/; the script then goes on and exits 1 at the end.
# vote_readers_agree also fails when the fast vote readers and the reference reader
# disagree on an input (different votes, or a refusal on one side or at another line).
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`). With a nightly toolchain the targets
# run under AddressSanitizer; without one, on stable with `--sanitizer none`
# (panics, hangs and runaway memory are still caught). FUZZ_TOOLCHAIN overrides.
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-60}"
if [ -n "${FUZZ_TOOLCHAIN:-}" ]; then
    toolchain="$FUZZ_TOOLCHAIN"
elif rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    toolchain=nightly
else
    toolchain=stable
fi
if [ "$toolchain" = stable ]; then sanitizer=none; else sanitizer=address; fi
echo "fuzzing with +$toolchain, sanitizer $sanitizer, $secs s per target"
status=0
for target in $(cargo "+$toolchain" fuzz list); do
    mkdir -p "corpus/$target"
    if [ -d "seeds/$target" ]; then
        cp -n "seeds/$target"/* "corpus/$target"/ 2>/dev/null || true
    fi
    echo "== $target"
    if ! cargo "+$toolchain" fuzz run --sanitizer "$sanitizer" "$target" "corpus/$target" -- \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1; then
        echo "!! $target failed: the input is in fuzz/artifacts/$target/"
        status=1
    fi
done
exit "$status"
