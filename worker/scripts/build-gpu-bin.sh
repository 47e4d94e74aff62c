#!/usr/bin/env bash
# Builds make-tiny-model and candle-bench with --features cuda on a machine with no
# GPU and no CUDA toolkit, into gpu-bin/, for gpu-check.sh to run on a GPU machine that
# has no Rust toolchain (and no network). Needs: cargo, python3 -m pip (PyPI), gcc.
#
#   bash worker/scripts/build-gpu-bin.sh      (from the repository root; 30 min on 2 busy cores)
#
# gpu-bin/ must be ignored by git (e.g. `echo /gpu-bin/ >> .git/info/exclude`) to be carried.
#
# CUDA comes from NVIDIA's PyPI wheels, version CUDA_VERSION (default 13.0): candle's
# kernels are PTX that the GPU's driver compiles when loaded, so they must come from an
# nvcc no newer than the driver (driver 580 = CUDA 13.0). libcuda (the driver) is only
# needed to link: a stub with the driver API's names stands in; the real one is loaded
# on the GPU machine, cuBLAS/cuRAND/NVRTC from PyTorch's wheels there (gpu-check.sh
# adds them to LD_LIBRARY_PATH). CUDA_COMPUTE_CAP defaults to 90 (H100/H200).

set -euo pipefail
cd "$(dirname "$0")/../.."
CUDA_VERSION="${CUDA_VERSION:-13.0}"
TOOLS="${TOOLS:-$PWD/target/cuda-pip}"
ROOT="$TOOLS/site/nvidia/cu${CUDA_VERSION%%.*}"
mkdir -p "$TOOLS" gpu-bin

if [ ! -x "$ROOT/bin/nvcc" ]; then
    python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux2014_x86_64 \
        --platform manylinux_2_17_x86_64 -d "$TOOLS" \
        "nvidia-cuda-nvcc==$CUDA_VERSION.*" "nvidia-cuda-runtime==$CUDA_VERSION.*" "nvidia-cuda-crt==$CUDA_VERSION.*" \
        "nvidia-nvvm==$CUDA_VERSION.*" "nvidia-cuda-nvrtc==$CUDA_VERSION.*" "nvidia-cuda-cccl==$CUDA_VERSION.*" \
        "nvidia-cublas==$CUDA_VERSION.*" nvidia-curand
    for wheel in "$TOOLS"/*.whl; do unzip -q -o "$wheel" -d "$TOOLS/site"; done
    chmod +x "$ROOT"/bin/* "$ROOT"/bin/crt/* "$ROOT"/nvvm/bin/* 2>/dev/null || true
fi
# The linker wants unversioned names.
for lib in "$ROOT"/lib/lib*.so.*; do
    base="${lib%%.so.*}.so"
    [ -e "$base" ] || ln -s "$(basename "$lib")" "$base"
done
# A link-time stand-in for libcuda.so.1 with every driver function cudarc declares.
if [ ! -f "$ROOT/lib/stubs/libcuda.so" ]; then
    mkdir -p "$ROOT/lib/stubs"
    sys="$(find "${CARGO_HOME:-$HOME/.cargo}/registry/src" -path '*cudarc-*/src/driver/sys/mod.rs' | sort | tail -1)"
    grep -oE '^\s+fn cu[A-Za-z0-9_]+\(' "$sys" | sed -E 's/^\s+fn (cu[A-Za-z0-9_]+)\(/int \1(void){return 999;}/' | sort -u \
        > "$TOOLS/cuda_stub.c"
    gcc -shared -fPIC -o "$ROOT/lib/stubs/libcuda.so" -Wl,-soname,libcuda.so.1 "$TOOLS/cuda_stub.c"
fi

export CUDA_ROOT="$ROOT" PATH="$ROOT/bin:$PATH" CUDA_COMPUTE_CAP="${CUDA_COMPUTE_CAP:-90}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target/gpu}"
cargo fetch
cargo build --release -p arena-candle --features cuda --example make-tiny-model --example candle-bench
# Stripped and xz-compressed: 100 MB of binaries (mostly PTX text) become 13 MB, which
# fits the 64 MiB that may travel to a GPU machine. gpu-check.sh unpacks them.
for bin in make-tiny-model candle-bench; do
    cp "$CARGO_TARGET_DIR/release/examples/$bin" gpu-bin/
    strip gpu-bin/"$bin"
    xz -T0 -6 -f gpu-bin/"$bin"
done
ls -la gpu-bin
echo "build-gpu-bin: done; carry gpu-bin (and .whl, diffusers wheels, if any) to the GPU machine and run worker/scripts/gpu-check.sh"
