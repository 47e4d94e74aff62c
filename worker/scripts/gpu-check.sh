#!/usr/bin/env bash
# GPU check of the candle backend (issue 6): a model of Stable Diffusion 1.5's shapes
# with random f16 weights, 512x512, 25 DDIM steps, guidance 7.5, on CUDA: images/s and
# peak GPU memory; then the same with PyTorch diffusers on the same folder when
# diffusers imports (or installs from wheels in .whl/). Ends with one JSON line.
#
#   bash worker/scripts/gpu-check.sh            (from the repository root)
#
# Environment (all optional):
#   OUT       results folder (log, summary.json, one image per backend); default target/gpu-check
#   GPU_BIN   folder with make-tiny-model and candle-bench already built with --features cuda
#             (skips the cargo build, for machines without a Rust toolchain; default: unpacked
#             from gpu-bin/*.xz, which build-gpu-bin.sh writes). They find cuBLAS, cuRAND
#             and NVRTC in PyTorch's nvidia packages.
#   STEPS=25 SIZE=512x512 RUNS=3   the measured work
#   WORK      scratch folder for the 2 GB model (default /tmp/arena-gpu-check)
# Budget: build ~3-6 min on 16 cores (candle's CUDA kernels), model ~1 min, each
# backend ~1 min. Every phase has its own timeout so the script always reports.

set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
RESULTS="${OUT:-$PWD/target/gpu-check}"
WORK="${WORK:-/tmp/arena-gpu-check}"
STEPS="${STEPS:-25}" SIZE="${SIZE:-512x512}" RUNS="${RUNS:-3}"
mkdir -p "$RESULTS" "$WORK"
exec > >(tee "$RESULTS/gpu-check.log") 2>&1
MODEL="$WORK/sd15-random"
NOTES=()
note() { echo "gpu-check: $*"; NOTES+=("$*"); }

summary() {
    # One JSON line from what the phases left in $WORK.
    NOTES_TEXT="$(printf '%s\n' "${NOTES[@]+"${NOTES[@]}"}")" RESULTS="$RESULTS" WORK="$WORK" python3 - <<'PY' || echo '{"check":"candle-gpu","error":"python3 missing: see the log"}'
import json, os
work, notes = os.environ["WORK"], [n for n in os.environ.get("NOTES_TEXT", "").splitlines() if n]
def load(name):
    try:
        with open(os.path.join(work, name)) as f:
            lines = [l for l in f.read().splitlines() if l.startswith("{")]
        return json.loads(lines[-1]) if lines else None
    except (OSError, ValueError):
        return None
def peak(name):
    try:
        with open(os.path.join(work, name)) as f:
            used = [int(l.strip()) for l in f if l.strip().isdigit()]
        base = int(open(os.path.join(work, name + ".base")).read().strip())
        return max(used) - base if used else None
    except (OSError, ValueError):
        return None
out = {"check": "candle-gpu", "gpu": open(os.path.join(work, "gpu.txt")).read().strip() if os.path.exists(os.path.join(work, "gpu.txt")) else None}
for backend in ("candle", "diffusers"):
    figures = load(backend + ".json")
    if figures is not None:
        figures["peak_gpu_mib_nvidia_smi"] = peak(backend + "-mem.csv")
    out[backend] = figures
if out["candle"] and out["diffusers"] and out["diffusers"]["images_per_s"]:
    out["candle_vs_diffusers_speed"] = out["candle"]["images_per_s"] / out["diffusers"]["images_per_s"]
out["notes"] = notes
line = json.dumps(out)
with open(os.path.join(os.environ["RESULTS"], "summary.json"), "w") as f:
    f.write(line + "\n")
print(line)
PY
}
finish() { summary; exit "${1:-0}"; }

# Samples the GPU's used memory every 100 ms into $WORK/$1 while a backend runs.
start_sampler() {
    nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits | head -1 > "$WORK/$1.base"
    nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 100 > "$WORK/$1" 2>/dev/null &
    SAMPLER=$!
}
stop_sampler() { kill "$SAMPLER" 2>/dev/null; wait "$SAMPLER" 2>/dev/null; }

# 1. The GPU.
if ! command -v nvidia-smi >/dev/null; then note "nvidia-smi not found: no NVIDIA driver here"; finish 2; fi
nvidia-smi --query-gpu=name,memory.total,driver_version,compute_cap --format=csv,noheader | head -1 | tee "$WORK/gpu.txt"

# 2. The binaries: prebuilt ones (GPU_BIN), else cargo build --features cuda.
# gpu-bin/ holds them xz-compressed (build-gpu-bin.sh), to fit what travels to a GPU machine.
if [ -z "${GPU_BIN:-}" ] && [ -f gpu-bin/candle-bench.xz ] && [ -f gpu-bin/make-tiny-model.xz ]; then
    mkdir -p "$WORK/bin"
    for bin in candle-bench make-tiny-model; do
        python3 -c 'import lzma, sys; open(sys.argv[2], "wb").write(lzma.open(sys.argv[1]).read())' \
            "gpu-bin/$bin.xz" "$WORK/bin/$bin" && chmod +x "$WORK/bin/$bin"
    done
    GPU_BIN="$WORK/bin"
fi
# CUDA libraries that PyTorch's wheels bring (cuBLAS, cuRAND, NVRTC), for binaries built elsewhere.
NV_LIBS="$(python3 -c 'import glob, os, nvidia; print(":".join(sorted({os.path.dirname(p) for r in nvidia.__path__ for p in glob.glob(os.path.join(r, "**", "lib*.so*"), recursive=True)})))' 2>/dev/null)"
[ -n "$NV_LIBS" ] && export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$NV_LIBS"
if [ -n "${GPU_BIN:-}" ]; then
    BIN="$GPU_BIN"
else
    export PATH="$PATH:/usr/local/cuda/bin"
    if ! command -v nvcc >/dev/null; then
        note "nvcc not found: building candle with --features cuda needs the CUDA toolkit (nvcc); install it or set GPU_BIN to prebuilt binaries"
        finish 2
    fi
    nvcc --version | tail -2
    if ! command -v cargo >/dev/null; then
        note "cargo not found: this machine has no Rust toolchain; build make-tiny-model and candle-bench with --features cuda elsewhere and set GPU_BIN"
        finish 2
    fi
    CAP="$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -1 | tr -d .)"
    export CUDA_COMPUTE_CAP="${CUDA_COMPUTE_CAP:-$CAP}"
    echo "gpu-check: building (CUDA_COMPUTE_CAP=$CUDA_COMPUTE_CAP)"
    started=$(date +%s)
    if ! timeout 480 cargo build --release -p arena-candle --features cuda --example make-tiny-model --example candle-bench; then
        note "cargo build --features cuda failed or ran past 8 minutes (see the log)"
        finish 1
    fi
    note "build took $(( $(date +%s) - started )) s"
    BIN="${CARGO_TARGET_DIR:-target}/release/examples"
fi

# 3. The random SD-1.5-shaped model (f16 safetensors, ~2 GB), written once.
if [ ! -f "$MODEL/unet/diffusion_pytorch_model.safetensors" ]; then
    if ! timeout 300 "$BIN/make-tiny-model" "$MODEL" --preset sd15 --dtype f16; then
        note "writing the random SD-1.5-shaped model failed"
        finish 1
    fi
fi

# 4. candle.
start_sampler candle-mem.csv
RUST_LOG="${RUST_LOG:-info}" timeout 300 "$BIN/candle-bench" --model-dir "$MODEL" --steps "$STEPS" --size "$SIZE" \
    --dtype f16 --runs "$RUNS" --out-dir "$WORK/candle-images" > "$WORK/candle.json"
status=$?
stop_sampler
if [ $status -ne 0 ]; then note "candle-bench failed (exit $status)"; else cat "$WORK/candle.json"; fi
cp "$WORK/candle-images/candle-1.png" "$RESULTS/candle.png" 2>/dev/null

# 5. PyTorch diffusers on the same folder, if it is here (or its wheels are in .whl/).
if ! python3 -c "import diffusers, torch" 2>/dev/null && ls .whl/*.whl >/dev/null 2>&1; then
    python3 -m pip install -q --root-user-action=ignore --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/arena-site .whl/*.whl \
        && export PYTHONPATH="/tmp/arena-site${PYTHONPATH:+:$PYTHONPATH}"
fi
if python3 -c "import diffusers, torch; assert torch.cuda.is_available()" 2>/dev/null; then
    start_sampler diffusers-mem.csv
    PYTHONUNBUFFERED=1 timeout 300 python3 worker/scripts/diffusers_bench.py --model-dir "$MODEL" --steps "$STEPS" \
        --size "$SIZE" --runs "$RUNS" --out "$RESULTS/diffusers.png" > "$WORK/diffusers.json"
    status=$?
    stop_sampler
    if [ $status -ne 0 ]; then note "diffusers failed (exit $status; see the log)"; else cat "$WORK/diffusers.json"; fi
else
    note "PyTorch diffusers is not importable here (python3 -c 'import diffusers, torch' failed or no CUDA); skipped"
fi

finish 0
