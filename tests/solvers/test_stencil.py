"""The explicit diffusion-reaction step: both backends against an independent formula, against
the discrete operator's exact eigenvalues, and against the periodic mass balance."""

from __future__ import annotations

import importlib.util
import sys
import tracemalloc
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from scalebridge.solvers import stencil
from scalebridge.solvers.errors import NumericalFailure
from scalebridge.solvers.stencil import (
    diffusion_reaction_run,
    diffusion_reaction_step_numba,
    diffusion_reaction_step_numpy,
    max_stable_dt,
)

HAS_NUMBA = importlib.util.find_spec("numba") is not None
needs_numba = pytest.mark.skipif(not HAS_NUMBA, reason="numba (optional extra) not installed")

# The NumPy backend is the reference and always runs; numba runs wherever it is installed.
BACKENDS = ["numpy", pytest.param("numba", marks=needs_numba)]
STEPS = {"numpy": diffusion_reaction_step_numpy, "numba": diffusion_reaction_step_numba}

SHAPES = [(1, 1), (1, 5), (6, 1), (2, 2), (3, 7), (33, 64)]


def padded_reference(
    u: NDArray[np.float64], *, dt: float, diffusivity: float, dx: float, dy: float,
    rate: float, source: float, boundary: str,
) -> NDArray[np.float64]:
    """The same step written the obvious way: a one-cell halo made by np.pad."""
    p = np.pad(u, 1, mode="wrap" if boundary == "periodic" else "constant")
    lap = ((p[1:-1, :-2] - 2 * u + p[1:-1, 2:]) / dx**2
           + (p[:-2, 1:-1] - 2 * u + p[2:, 1:-1]) / dy**2)
    result: NDArray[np.float64] = u + dt * (diffusivity * lap - rate * u + source)
    return result


PARAMETERS: dict[str, Any] = {
    "dt": 0.01, "diffusivity": 0.7, "dx": 0.5, "dy": 0.3, "rate": 0.2, "source": 0.1,
}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("boundary", ["dirichlet", "periodic"])
@pytest.mark.parametrize("shape", SHAPES)
def test_step_matches_padded_reference(backend: str, boundary: str, shape: tuple[int, int]) -> None:
    u = np.random.default_rng(1).random(shape)
    before = u.copy()
    out = np.full_like(u, np.nan)
    result = STEPS[backend](u, out, boundary=boundary, **PARAMETERS)
    assert result is out
    expected = padded_reference(u, boundary=boundary, **PARAMETERS)
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-14)
    np.testing.assert_array_equal(u, before)  # the input is read only


@needs_numba
@pytest.mark.parametrize("boundary", ["dirichlet", "periodic"])
@pytest.mark.parametrize("shape", [*SHAPES, (257, 130)])
def test_numba_and_numpy_agree(boundary: str, shape: tuple[int, int]) -> None:
    u0 = np.random.default_rng(2).random(shape)
    kwargs: dict[str, Any] = {**PARAMETERS, "dt": 0.9 * max_stable_dt(0.7, 0.5, 0.3, 0.2)}
    by_numpy = diffusion_reaction_run(u0, 20, boundary=boundary, backend="numpy", **kwargs)
    by_numba = diffusion_reaction_run(u0, 20, boundary=boundary, backend="numba", **kwargs)
    np.testing.assert_allclose(by_numba, by_numpy, rtol=0, atol=1e-12)


@needs_numba
def test_numba_accepts_non_contiguous_arrays() -> None:
    u = np.asfortranarray(np.random.default_rng(3).random((9, 12)))
    out = np.empty((9, 12))
    diffusion_reaction_step_numba(u, out, **PARAMETERS)
    np.testing.assert_allclose(out, padded_reference(u, boundary="dirichlet", **PARAMETERS),
                               rtol=0, atol=1e-14)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("p", "q"), [(1, 1), (2, 3)])
def test_dirichlet_sine_mode_decays_at_the_discrete_eigenvalue(
    backend: str, p: int, q: int
) -> None:
    # With zero halos, sin(p pi (j + 1) / (nx + 1)) is an eigenvector of the 1-D second
    # difference with eigenvalue -(4 / dx^2) sin^2(p pi / (2 (nx + 1))); the 2-D mode is the
    # product, and each step multiplies it by exactly 1 + dt (D lam - k).
    ny, nx, dx, dy, diffusivity, rate = 23, 31, 0.05, 0.08, 0.3, 0.4
    lam = (-(4 / dx**2) * np.sin(p * np.pi / (2 * (nx + 1))) ** 2
           - (4 / dy**2) * np.sin(q * np.pi / (2 * (ny + 1))) ** 2)
    mode = np.outer(np.sin(q * np.pi * np.arange(1, ny + 1) / (ny + 1)),
                    np.sin(p * np.pi * np.arange(1, nx + 1) / (nx + 1)))
    dt = 0.5 * max_stable_dt(diffusivity, dx, dy, rate)
    steps = 20
    u = diffusion_reaction_run(mode, steps, dt=dt, diffusivity=diffusivity, dx=dx, dy=dy,
                               rate=rate, backend=backend)
    factor = (1 + dt * (diffusivity * lam - rate)) ** steps
    assert factor < 0.95  # the mode really decays over these steps
    np.testing.assert_allclose(u, factor * mode, rtol=0, atol=1e-13)


@pytest.mark.parametrize("backend", BACKENDS)
def test_periodic_cosine_mode_decays_at_the_discrete_eigenvalue(backend: str) -> None:
    ny, nx, dx, dy, diffusivity = 16, 20, 0.1, 0.1, 1.0
    j = np.arange(nx)
    mode = np.ones((ny, 1)) * np.cos(2 * np.pi * 3 * j / nx)  # varies along x only
    lam = -(4 / dx**2) * np.sin(np.pi * 3 / nx) ** 2
    dt = 0.9 * max_stable_dt(diffusivity, dx, dy)
    u = diffusion_reaction_run(mode, 4, dt=dt, diffusivity=diffusivity, dx=dx, dy=dy, rate=0.0,
                               boundary="periodic", backend=backend)
    np.testing.assert_allclose(u, (1 + dt * diffusivity * lam) ** 4 * mode, rtol=0, atol=1e-13)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("source", [0.0, 2.5])
def test_periodic_mass_changes_exactly_by_the_reaction(backend: str, source: float) -> None:
    # Diffusion only moves mass between cells: summed over a periodic grid the Laplacian is
    # zero, so M(t + dt) = (1 - k dt) M + dt s N for the total M = sum(u) over N cells.
    u = np.random.default_rng(4).random((40, 24)) * 5.0
    dt, rate = 1e-3, 3.0
    kwargs: dict[str, Any] = {"dt": dt, "diffusivity": 2.0, "dx": 0.1, "dy": 0.2,
                              "rate": rate, "source": source, "boundary": "periodic"}
    out = np.empty_like(u)
    STEPS[backend](u, out, **kwargs)
    expected = (1 - rate * dt) * u.sum() + dt * source * u.size
    assert out.sum() == pytest.approx(expected, rel=1e-13)
    assert not np.allclose(out, (1 - rate * dt) * u + dt * source)  # diffusion did act
    mass = u.sum()
    for _ in range(50):
        mass = (1 - rate * dt) * mass + dt * source * u.size
    run = diffusion_reaction_run(u, 50, backend=backend, **kwargs)
    assert run.sum() == pytest.approx(mass, rel=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_dirichlet_loses_mass_through_the_walls(backend: str) -> None:
    u0 = np.ones((20, 20))
    u = diffusion_reaction_run(u0, 5, dt=1e-3, diffusivity=1.0, dx=0.1, dy=0.1, rate=0.0,
                               backend=backend)
    assert u.sum() < u0.sum()
    assert u[10, 10] == 1.0  # five steps from the walls, the centre has not felt them
    assert u.min() >= 0.0


@pytest.mark.parametrize("backend", BACKENDS)
def test_stability_limit_keeps_a_spike_non_negative(backend: str) -> None:
    u0 = np.zeros((9, 9))
    u0[4, 4] = 1.0
    dt = max_stable_dt(1.0, 0.1, 0.2, 5.0)
    # At the limit itself the centre's weight is zero up to round-off, which could leave
    # -1e-18 behind: stay just below it.
    u = diffusion_reaction_run(u0, 30, dt=0.999 * dt, diffusivity=1.0, dx=0.1, dy=0.2, rate=5.0,
                               backend=backend)
    assert u.min() >= 0.0
    with pytest.raises(NumericalFailure, match="stability limit"):
        diffusion_reaction_run(u0, 1, dt=1.01 * dt, diffusivity=1.0, dx=0.1, dy=0.2, rate=5.0,
                               backend=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_run_leaves_u0_alone_and_zero_steps_copy(backend: str) -> None:
    u0 = np.random.default_rng(5).random((6, 7))
    before = u0.copy()
    same = diffusion_reaction_run(u0, 0, dt=0.01, diffusivity=1.0, dx=1.0, dy=1.0, rate=0.0,
                                  backend=backend)
    assert same is not u0
    np.testing.assert_array_equal(same, u0)
    diffusion_reaction_run(u0, 3, dt=0.01, diffusivity=1.0, dx=1.0, dy=1.0, rate=0.0,
                           backend=backend)
    np.testing.assert_array_equal(u0, before)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_4096_run_holds_at_most_five_grid_arrays(backend: str) -> None:
    u0 = np.random.default_rng(6).random((4096, 4096))
    grid = u0.nbytes
    # Compile (numba) before measuring.
    diffusion_reaction_run(u0[:8, :8], 1, dt=0.01, diffusivity=1.0, dx=1.0, dy=1.0, rate=0.0,
                           backend=backend)
    # NumPy reports its allocations to tracemalloc (numba's few internal ones are not: the
    # numba kernel allocates one row).
    tracemalloc.start()
    try:
        u = diffusion_reaction_run(u0, 2, dt=0.01, diffusivity=1.0, dx=1.0, dy=1.0, rate=0.1,
                                   backend=backend)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert u.shape == u0.shape
    # Two ping-pong buffers plus the NumPy backend's scratch block (512 KiB).
    assert peak <= 2 * grid + 2 * 2**20
    assert u0.nbytes + peak <= 5 * grid


def test_auto_backend_falls_back_to_numpy_without_numba(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing() -> None:
        raise ImportError("no numba here")

    monkeypatch.setattr(stencil, "_numba_kernel", missing)
    assert not stencil.numba_available()
    u0 = np.random.default_rng(7).random((5, 6))
    u = diffusion_reaction_run(u0, 2, dt=0.01, diffusivity=1.0, dx=1.0, dy=1.0, rate=0.0)
    expected = diffusion_reaction_run(u0, 2, dt=0.01, diffusivity=1.0, dx=1.0, dy=1.0, rate=0.0,
                                      backend="numpy")
    np.testing.assert_array_equal(u, expected)
    with pytest.raises(ImportError, match="no numba here"):
        diffusion_reaction_run(u0, 2, dt=0.01, diffusivity=1.0, dx=1.0, dy=1.0, rate=0.0,
                               backend="numba")


def test_missing_numba_gives_the_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    # A None entry in sys.modules makes `import numba` fail, as on a machine without it;
    # __wrapped__ bypasses the cache of a kernel this process may already have compiled.
    monkeypatch.setitem(sys.modules, "numba", None)
    with pytest.raises(ImportError, match=r"scalebridge\[numba\]"):
        stencil._numba_kernel.__wrapped__()


@pytest.mark.parametrize("backend", BACKENDS)
def test_bad_arguments_are_refused(backend: str) -> None:
    step = STEPS[backend]
    u = np.zeros((4, 5))
    kwargs: dict[str, Any] = {"dt": 0.01, "diffusivity": 1.0, "dx": 1.0, "dy": 1.0, "rate": 0.0}
    with pytest.raises(ValueError, match="overlap"):
        step(u, u, **kwargs)
    with pytest.raises(ValueError, match="same non-empty shape"):
        step(u, np.zeros((5, 4)), **kwargs)
    with pytest.raises(ValueError, match="float64"):
        step(u.astype(np.float32), np.zeros((4, 5), dtype=np.float32), **kwargs)
    with pytest.raises(ValueError, match="boundary"):
        step(u, np.zeros_like(u), boundary="neumann", **kwargs)
    with pytest.raises(ValueError, match="dx and dy"):
        step(u, np.zeros_like(u), **{**kwargs, "dx": 0.0})
    with pytest.raises(ValueError, match="finite"):
        step(u, np.zeros_like(u), **{**kwargs, "rate": np.nan})
    with pytest.raises(ValueError, match="backend"):
        diffusion_reaction_run(u, 1, backend="cuda", **kwargs)
    with pytest.raises(ValueError, match="2-D"):
        diffusion_reaction_run(np.zeros(5), 1, backend=backend, **kwargs)
