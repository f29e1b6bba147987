"""The energy pack's fused CUDA kernels and CD-k on CuPy give NumPy's numbers (GPU only).

Sampling draws on each backend's own generator, so the CD test feeds both the same uniform
draws; everything else (fused bias + sigmoid, the momentum step, the error) must agree.
"""

from __future__ import annotations

import numpy as np
import pytest

import plugins.energy.rbm_core as rbm_core
from plugins.energy.kernels import bias_sigmoid_, momentum_step_, sigmoid_

pytestmark = pytest.mark.gpu



def test_fused_helpers_match_numpy(gpu):
    cp = gpu.xp
    rng = np.random.default_rng(0)
    x, bias = rng.normal(0, 4, (7, 5)), rng.normal(0, 1, 5)
    on_gpu = cp.asarray(x)
    np.testing.assert_allclose(sigmoid_(cp, cp.asarray(x), on_gpu).get(),
                               sigmoid_(np, x, x.copy()), rtol=1e-14)
    host, device = x.copy(), cp.asarray(x)
    np.testing.assert_allclose(bias_sigmoid_(cp, device, cp.asarray(bias)).get(),
                               bias_sigmoid_(np, host, bias), rtol=1e-14)
    velocity, gradient, param = (rng.normal(size=(4, 3)) for _ in range(3))
    device = [cp.asarray(a) for a in (velocity, gradient, param)]
    momentum_step_(np, velocity, gradient, param, 0.9, 0.01)
    momentum_step_(cp, *device, 0.9, 0.01)
    np.testing.assert_allclose(device[0].get(), velocity, rtol=1e-14)
    np.testing.assert_allclose(device[2].get(), param, rtol=1e-14)


@pytest.mark.parametrize("gains", [None, rbm_core.GainLimits(0.1, 10.0, 0.05, 0.95)],
                         ids=["momentum", "local_gains"])
@pytest.mark.parametrize("k", [1, 3])
def test_cd_updates_on_cupy_match_numpy(gpu, monkeypatch, gains, k):
    cp = gpu.xp
    rng = np.random.default_rng(1)
    W, a, b = rng.normal(0, 0.3, (12, 6)), rng.normal(0, 0.3, 12), rng.normal(0, 0.3, 6)
    data = (rng.random((10, 12)) < 0.4).astype(np.float64)
    draws = rng.random((400, 10, 12))
    results = []
    for xp in (np, cp):
        used = iter(range(len(draws)))

        def same_draws(xp_, generator, probs, uniform, out, xp=xp, used=used):
            shape = probs.shape
            return xp.less(xp.asarray(draws[next(used)][:shape[0], :shape[1]]), probs,
                           out=out)

        monkeypatch.setattr(rbm_core, "sample_bernoulli_", same_draws)
        params = [xp.asarray(p.copy()) for p in (W, a, b)]
        kernel = rbm_core.RBMKernel(xp, np.random.default_rng(0), *params, batch=10,
                                    dtype=np.float64, gains=gains)
        v = xp.asarray(data)
        errors = []
        for _ in range(5):
            h = kernel.hidden_probs(v, xp.zeros((10, 6))).copy()
            errors.append(float(kernel.cd_update(v, h, k=k, lr=0.1, momentum=0.5)[0]))
        results.append(([p.get() if xp is cp else p for p in params], errors))
    (cpu, cpu_errors), (device, device_errors) = results
    np.testing.assert_allclose(device_errors, cpu_errors, rtol=1e-12)
    for on_gpu, on_cpu in zip(device, cpu):
        np.testing.assert_allclose(on_gpu, on_cpu, rtol=1e-12, atol=1e-14)
