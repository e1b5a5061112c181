"""The solver benchmarks still run, at their tiniest sizes: each returns 0 (its variants agree
with each other) and prints its ratio lines.  Their times are printed, never asserted."""

from __future__ import annotations

import importlib.util
import math
import re
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from scalebridge.solvers.stencil import diffusion_reaction_step_numpy

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
HAS_NUMBA = importlib.util.find_spec("numba") is not None


def _load(name: str) -> ModuleType:
    # A prefixed module name, so that loading a script cannot shadow a real module; it is
    # registered in sys.modules because dataclasses look their module up there.
    module_name = f"_benchmark_{name}"
    spec = importlib.util.spec_from_file_location(module_name, BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def _numbers(pattern: str, text: str) -> list[float]:
    """Every number that follows ``pattern`` in ``text`` (and it must occur)."""
    found = [float(m) for m in re.findall(pattern + r"\s*([-+0-9.eE]+|inf|nan)", text)]
    assert found, f"no line matching {pattern!r} in:\n{text}"
    return found


def test_stencil_bandwidth_runs(capsys: pytest.CaptureFixture[str]) -> None:
    script = _load("stencil_bandwidth")
    assert script.main(["--sizes", "16", "24", "--steps", "3", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    fractions = _numbers(r"fraction of triad", out)
    # Per size: the numba kernel (where numba is installed), NumPy with out=, plain NumPy.
    assert len(fractions) == 2 * (3 if HAS_NUMBA else 2)
    assert all(math.isfinite(f) and f > 0 for f in fractions)
    assert out.count("NumPy with out= (ours)") == 2 and out.count("plain NumPy slicing") == 2
    assert ("numba kernel (ours)" in out) == HAS_NUMBA
    assert "triad a = b + s*c" in out and "grid arrays" in out
    assert _numbers(r"peak resident memory:", out)[0] > 0


def test_stencil_bandwidth_plain_step_is_the_same_scheme() -> None:
    # The plain-NumPy baseline must compute what the library computes, or its time means
    # nothing; main() checks this too, this says so on its own.
    script = _load("stencil_bandwidth")
    params = script._parameters(12)
    u = np.random.default_rng(0).random((12, 12))
    expected = diffusion_reaction_step_numpy(u, np.empty_like(u), **params)
    np.testing.assert_allclose(script.plain_numpy_step(u, **params), expected, atol=1e-14)


def test_implicit_diffusion_runs(capsys: pytest.CaptureFixture[str]) -> None:
    script = _load("implicit_diffusion")
    argv = ["--cells", "2000", "--steps", "3", "--sparse-cells", "300", "--sparse-steps", "2",
            "--repeats", "1"]
    assert script.main(argv) == 0
    out = capsys.readouterr().out
    ratios = [
        *_numbers(r"ratio ours / hand-written LAPACK:", out),
        *_numbers(r"ratio scipy.sparse.linalg.spsolve / hand-written LAPACK:", out),
        *_numbers(r"ratio scipy.linalg.solve_banded / hand-written LAPACK:", out),
    ]
    assert len(ratios) == 3 and all(math.isfinite(r) and r > 0 for r in ratios)
    assert _numbers(r"peak resident memory:", out)[0] > 0


def test_pbpk_propagator_runs(capsys: pytest.CaptureFixture[str]) -> None:
    script = _load("pbpk_propagator")
    assert script.main(["--points", "20", "--members", "3", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    for pattern in (r"ms per solve, ours:", r"ratio LSODA / ours:",
                    r"ratio ours / hand-written eigendecomposition:",
                    r"speed-up batched over loop:"):
        value = _numbers(pattern, out)[0]
        assert math.isfinite(value) and value > 0, pattern
    # The model's mass balance closes without clearance (main returns 1 otherwise).
    assert _numbers(r"mass balance without clearance closes to", out)[0] < 1e-12
    assert _numbers(r"peak resident memory:", out)[0] > 0


def test_pbpk_model_is_physiological() -> None:
    script = _load("pbpk_propagator")
    reference = script.REFERENCE
    assert len(script.NAMES) == 15
    assert reference.flow_fraction.sum() == pytest.approx(1.0)
    assert reference.volume.sum() == pytest.approx(70.0)  # L, a 70 kg adult
    a = script.rate_matrix(reference)
    # Every rate is a real decay (a stable, non-oscillating compartment system), and the
    # off-diagonal transfers are non-negative (a Metzler matrix).
    assert np.all(np.linalg.eigvals(a).real < 0)
    assert np.all(a - np.diag(np.diag(a)) >= 0)
