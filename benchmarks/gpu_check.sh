#!/usr/bin/env bash
# Everything a session lent the GPU machine should learn, in one device call:
#
#     run(command="OUT=$OUT bash benchmarks/gpu_check.sh", timeout_s=420)
#
# No install step (that machine has no package registry): minicnn runs from the checkout
# (PYTHONPATH), and the pure-Python helpers that may be missing there (tqdm, threadpoolctl) get
# small stand-ins under $OUT/shims. Steps run in order of importance, each bounded by its own
# limit and all by BUDGET (default 370 s), so the script finishes within 6.5 minutes and always
# leaves its logs: $OUT/summary.txt (one line a step) and $OUT/logs.tgz ($OUT/<step>.log, env.log, tables).
#   1. env: nvidia-smi, Python, NumPy, CuPy (and whether it has NCCL), PyTorch and its CUDA
#   2. tests-ops, tests-api (at once): every gpu-marked test case of the suite, on the real CuPy
#   3. models-tf32-off: benchmarks/models.py --device cuda (LeNet-5 b128, cifar10_VGG16 b64,
#      VGG-16 224x224 b32, ResNet-50 224x224 b32) against PyTorch CUDA, TF32 off on both sides,
#      with peak GPU memory from both allocators
#   4. models-tf32-on: the same with TF32 on for both (no memory)
#   5. profile: benchmarks/gpu_profile.py on VGG-16 (per op, per conv helper; im2col's and the GEMMs' rates)
#   6. vgg-xp-im2col: the VGG-16 step with the CUDA kernels off (the xp code), against step 5's;
#      vgg-rebuild: the same step with every piece's columns rebuilt in backward (GPU_KEEP_FRACTION 0)
#   7. ops: benchmarks/ops.py --device cuda
#   8. cpu16: benchmarks/models.py on the CPU with 16 threads against PyTorch at 16 threads
#      (no developer machine has more than 2 cores)
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:-gpu-out}
mkdir -p "$OUT"
BUDGET=${BUDGET:-370}
END=$((SECONDS + BUDGET))
PY=${PY:-python3}
SUM="$OUT/summary.txt"
: > "$SUM"
export PYTHONPATH="$PWD:$OUT/shims${PYTHONPATH:+:$PYTHONPATH}" MINICNN_OFFLINE=1 PYTHONUNBUFFERED=1

step() {    # step NAME LIMIT COMMAND...: at most LIMIT seconds, and never past the budget
  local name=$1 limit=$2; shift 2
  local left=$((END - SECONDS - 5))
  (( limit > left )) && limit=$left
  if (( limit < 15 )); then echo "$name: skipped, the budget is spent" | tee -a "$SUM"; return; fi
  local start=$SECONDS
  timeout -s INT -k 10 "$limit" "$@" > "$OUT/$name.log" 2>&1
  local rc=$?
  local note=""; (( rc == 124 || rc == 130 )) && note=" (cut at its limit; the log holds what it finished)"
  echo "$name: exit $rc after $((SECONDS - start)) s of $limit$note | $(tail -n 3 "$OUT/$name.log" | tr '\n' ' ' | cut -c1-400)" \
    | tee -a "$SUM"
}

# shims for pure-Python helpers the machine may lack: minicnn's progress bar and the benchmarks' thread pinning
mkdir -p "$OUT/shims"
if ! $PY -c "import tqdm" 2>/dev/null; then
  mkdir -p "$OUT/shims/tqdm"
  printf 'class tqdm:\n    def __init__(self, *a, **k): pass\n    def update(self, n=1): pass\n    def set_postfix(self, *a, **k): pass\n    def close(self): pass\n' > "$OUT/shims/tqdm/auto.py"
  cp "$OUT/shims/tqdm/auto.py" "$OUT/shims/tqdm/__init__.py"
fi
if ! $PY -c "import threadpoolctl" 2>/dev/null; then
  printf 'def threadpool_limits(*a, **k):\n    return None\n\n\ndef threadpool_info():\n    return []\n' > "$OUT/shims/threadpoolctl.py"
fi

step env 30 bash -c "nvidia-smi; $PY - <<'EOF'
import importlib, sys
print('python', sys.version.split()[0])
for name in ('numpy', 'cupy', 'torch', 'pytest', 'hypothesis', 'tqdm', 'threadpoolctl', 'PIL', 'matplotlib'):
    try:
        print(name, getattr(importlib.import_module(name), '__version__', 'present'))
    except Exception as exc:
        print(name, 'missing:', type(exc).__name__, exc)
import cupy, torch
from cupy.cuda import nccl
print('cupy CUDA runtime', cupy.cuda.runtime.runtimeGetVersion(), 'devices', cupy.cuda.runtime.getDeviceCount(),
      'nccl available', getattr(nccl, 'available', '?'))
print('torch CUDA', torch.version.cuda, torch.cuda.is_available(), torch.cuda.get_device_name(0))
EOF"

# two pytest processes at once: CuPy compiles its kernels on the CPU, and the machine has 16 cores
OPS="tests/test_conv.py tests/test_pool.py tests/test_norm.py tests/test_activation.py tests/test_loss.py tests/test_math.py tests/test_linear.py tests/test_dropout.py tests/test_layout.py tests/test_winograd.py"
step tests-ops 110 $PY -m pytest -o addopts= -m "gpu and not slow" -q -p no:cacheprovider --durations=10 \
  --junitxml="$OUT/tests-ops.xml" $OPS &
step tests-api 110 $PY -m pytest -o addopts= -m "gpu and not slow" -q -p no:cacheprovider --durations=10 \
  --continue-on-collection-errors --junitxml="$OUT/tests-api.xml" $(for f in $OPS; do echo --ignore="$f"; done) tests &
wait
step models-tf32-off 160 $PY benchmarks/models.py --device cuda --tf32 off --rounds 3 --markdown --json "$OUT/models-tf32-off.json"
step models-tf32-on 70 $PY benchmarks/models.py --device cuda --tf32 on --rounds 3 --no-memory --markdown --json "$OUT/models-tf32-on.json"
step profile 45 $PY benchmarks/gpu_profile.py --only vgg16,rates
MINICNN_CUDA_KERNELS=0 step vgg-xp-im2col 35 $PY benchmarks/gpu_profile.py --only vgg16 --steps 5 --step-only
step vgg-rebuild 35 $PY benchmarks/gpu_profile.py --only vgg16 --steps 5 --step-only --keep-fraction 0
step ops 40 $PY benchmarks/ops.py --device cuda --rounds 3 --markdown
step cpu16 60 $PY benchmarks/models.py --threads 16 --rounds 3 --no-memory --markdown --json "$OUT/cpu16.json"
nvidia-smi --query-gpu=name,memory.used,memory.total,utilization.gpu --format=csv >> "$OUT/env.log" 2>&1
echo "total: $SECONDS s" | tee -a "$SUM"
# the device tool brings back at most 8 files: every log and table in one archive, beside the summary
tar czf /tmp/gpu-logs.tgz -C "$OUT" --exclude=summary.txt --exclude=shims . \
  && rm -rf "$OUT"/shims && find "$OUT" -mindepth 1 -maxdepth 1 ! -name summary.txt -exec rm -rf {} + \
  && mv /tmp/gpu-logs.tgz "$OUT/logs.tgz"
