#!/usr/bin/env bash
# Compiles every CUDA source (cuda/*.cu, cuda/*.cc) and links every development harness
# (cuda/dev/*.cu) with nvcc for sm_80 and sm_90 (+ compute_90 PTX), warnings as errors. Compile and
# link only: nothing runs, so this works (and is what CI checks) on machines without a GPU.
# Exits 0 with a message when nvcc is absent. Objects and binaries go to build-cuda/compile-check/.
#
# --run-host: then also runs each harness's version 0, which executes the kernels' own tile/block/op
# code on the CPU (no GPU needed) against the harness's CPU reference.
#
# Env: NVCC (default: nvcc on PATH, else /usr/local/cuda/bin/nvcc), OUT_DIR, NVCC_THREADS (2).
set -euo pipefail
cd "$(dirname "$0")/.."

RUN_HOST=0
for arg in "$@"; do
  case "$arg" in
    --run-host) RUN_HOST=1 ;;
    *) echo "usage: $0 [--run-host]" >&2; exit 2 ;;
  esac
done

NVCC="${NVCC:-$(command -v nvcc || true)}"
if [[ -z "$NVCC" && -x /usr/local/cuda/bin/nvcc ]]; then NVCC=/usr/local/cuda/bin/nvcc; fi
if [[ -z "$NVCC" ]]; then
  echo "compile-cuda: SKIPPED: nvcc not found (set NVCC or put the CUDA toolkit on PATH); CUDA sources were not checked"
  exit 0
fi

OUT_DIR="${OUT_DIR:-build-cuda/compile-check}"
mkdir -p "$OUT_DIR/obj" "$OUT_DIR/bin"

# Same device flags as CMakeLists.txt: --fmad=false is the device twin of -ffp-contract=off.
ARCH=(-gencode arch=compute_80,code=sm_80 -gencode "arch=compute_90,code=[sm_90,compute_90]")
FLAGS=(-std=c++17 -O3 --fmad=false -I. -Inative/include -Inative --threads "${NVCC_THREADS:-2}"
       -Xcompiler -Wall,-Wextra,-Wno-unused-parameter,-Werror --Werror all-warnings)

echo "compile-cuda: $("$NVCC" --version | tail -n 2 | head -n 1)"
status=0
lib_objs=()
for src in cuda/*.cu cuda/*.cc; do
  [[ -e "$src" ]] || continue
  obj="$OUT_DIR/obj/$(basename "$src").o"
  echo "  nvcc -c $src"
  if "$NVCC" "${FLAGS[@]}" "${ARCH[@]}" -c "$src" -o "$obj"; then
    lib_objs+=("$obj")
  else
    echo "compile-cuda: FAILED to compile $src"
    status=1
  fi
done

if [[ $status -eq 0 ]]; then
  for src in cuda/dev/*.cu; do
    [[ -e "$src" ]] || continue
    bin="$OUT_DIR/bin/dev_$(basename "$src" .cu)"
    echo "  nvcc $src -> $bin"
    if ! "$NVCC" "${FLAGS[@]}" "${ARCH[@]}" "$src" "${lib_objs[@]}" -ldl -o "$bin"; then
      echo "compile-cuda: FAILED to build $src"
      status=1
    fi
  done
fi

if [[ $status -eq 0 && $RUN_HOST -eq 1 ]]; then
  mkdir -p "$OUT_DIR/log"
  for src in cuda/dev/*.cu; do
    name="dev_$(basename "$src" .cu)"
    bin="$OUT_DIR/bin/$name"
    log="$OUT_DIR/log/$name.host.log"
    echo "  $bin 0 (kernel code emulated on the CPU)"
    if ! "$bin" 0 > "$log" 2>&1; then
      cat "$log"
      echo "compile-cuda: FAILED: $bin 0"
      status=1
    fi
  done
fi

if [[ $status -eq 0 ]]; then
  echo "compile-cuda: OK (compiled and linked for sm_80, sm_90 + compute_90 PTX; nothing ran on a GPU)"
fi
exit $status
