#!/usr/bin/env bash
# The GPU check, for a machine with an NVIDIA GPU (it may have no network and nothing to install):
# runs the GPU-marked tests and the CuPy benchmarks against PyTorch CUDA (MLP at batch 128 and
# 1024, digits at batch 32, RBM CD-1, LIF, LSTM) and prints one table, in under 8 minutes; on
# the way it probes whether one training step can be captured as a CUDA graph.
#
#   bash bench/gpu_check.sh            # uses python3 as it is; PYTHON=... picks another
#   BENCH_ONLY='rbm lstm' bash bench/gpu_check.sh   # a subset of the benchmarks
#
# It installs nothing: the project goes on PYTHONPATH and the machine's own Python must have
# numpy, scipy, CuPy, PyTorch, pytest and hypothesis (no PySide6 or pyqtgraph needed: the engine's
# GPU tests and benchmarks import no Qt). On a machine without a GPU it says so and exits 3.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-python3}
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
export DENDRITE_PLUGIN_PATH=${DENDRITE_PLUGIN_PATH:-$PWD/tests/_no_user_plugins}
began=$(date +%s)

echo "== machine"
"$PYTHON" - <<'PY'
import platform, sys
print(f"python {platform.python_version()} ({sys.executable})")
for name in ("numpy", "scipy", "cupy", "torch", "pytest", "hypothesis"):
    try:
        module = __import__(name)
        print(f"  {name} {getattr(module, '__version__', '?')}")
    except Exception as exc:  # report every missing piece, then decide
        print(f"  {name}: not importable ({type(exc).__name__}: {exc})")
PY
if ! "$PYTHON" -c 'import cupy, sys; sys.exit(cupy.cuda.runtime.getDeviceCount() < 1)' 2>/dev/null; then
    echo "gpu_check: no NVIDIA GPU with a working CuPy here; nothing to check (exit 3)."
    exit 3
fi
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
"$PYTHON" -c 'from engines.backend import select_backend; print("engine:", select_backend("auto")[1])'

echo "== GPU tests (the gpu-marked test files; no GUI tests)"
mapfile -t gpu_files < <(grep -rl --include='test_*.py' 'pytest.mark.gpu' tests | grep -v '^tests/gui/' | sort)
limits=()
"$PYTHON" -c 'import pytest_timeout' 2>/dev/null && limits=(-p timeout --timeout 90)
timeout 200 "$PYTHON" -m pytest -q -rfE --tb=short -p no:cacheprovider "${limits[@]}" "${gpu_files[@]}"
tests=$?

echo "== CUDA-graph capture probe (one MLP step captured and replayed)"
timeout 60 "$PYTHON" bench/cuda_graph_probe.py

echo "== CuPy benchmarks against PyTorch CUDA (each side in its own process)"
mkdir -p bench/results
out=bench/results/gpu-$(date +%Y%m%d-%H%M%S).json
timeout 240 "$PYTHON" bench/run_all.py --engine cupy --quick --only ${BENCH_ONLY:-mlp rbm lif lstm} --out "$out"
bench=$?

echo "== summary"
echo "GPU tests: $([[ $tests == 0 ]] && echo passed || echo "FAILED (exit $tests)")"
echo "benchmarks: $([[ $bench == 0 ]] && echo "done, figures in $out" || echo "FAILED (exit $bench)")"
echo "total: $(( $(date +%s) - began )) s"
[[ $tests == 0 && $bench == 0 ]]
