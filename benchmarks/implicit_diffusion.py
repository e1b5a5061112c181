"""Implicit 1-D diffusion: our Tridiagonal against LAPACK called by hand, and general sparse.

Backward Euler for heat in a 1 m steel rod (thermal diffusivity D = 1.2e-5 m^2/s), 10^6 cells
(dx = 1 um), held at zero at both ends, dt = 0.01 s (so r = D dt / dx^2 = 1.2e5: far beyond
any explicit limit), from a hot middle tenth.  Every step solves the same tridiagonal system
``(1 + 2r) u_i - r u_{i-1} - r u_{i+1} = u_i(old)``.

In one process, best of ``--repeats`` interleaved rounds, the script times:

* our path: :class:`scalebridge.solvers.tridiagonal.Tridiagonal` built once (``dgttrf`` plus
  a ``dgtcon`` condition check), then ``solve(u, overwrite_b=True)`` each step;
* the hand-written baseline: ``scipy.linalg.lapack.dgttrf`` once and ``dgttrs`` each step,
  in place, exactly as one would write it without the library;

and prints the ratio ours / baseline (target <= 1.3).  For contrast, on a smaller problem
(``--sparse-cells``, ``--sparse-steps``), it prints the ratio to the same baseline of a general
sparse solve each step (``scipy.sparse.linalg.spsolve``, which refactors every time) and of
``scipy.linalg.solve_banded`` each step.  All results are checked against each other; the
peak resident memory is printed.  Times are printed, never asserted.

Usage::

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/implicit_diffusion.py
    .venv/bin/python benchmarks/implicit_diffusion.py --cells 1000 --steps 5
"""

from __future__ import annotations

import os

# Pin BLAS to one thread before NumPy loads (the Makefile does the same for the tests).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import resource
import sys
import time
from collections.abc import Callable, Sequence

import numpy as np
import scipy.sparse
import scipy.sparse.linalg
from numpy.typing import NDArray
from scipy.linalg import lapack, solve_banded

from scalebridge.solvers.tridiagonal import Tridiagonal

FloatArray = NDArray[np.float64]

LENGTH = 1.0  # m
DIFFUSIVITY = 1.2e-5  # m^2/s, steel
DT = 0.01  # s


def problem(cells: int) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """(lower, diag, upper, u0) of the backward-Euler system on ``cells`` cells."""
    dx = LENGTH / cells
    r = DIFFUSIVITY * DT / dx**2
    lower = np.full(cells - 1, -r)
    diag = np.full(cells, 1.0 + 2.0 * r)
    upper = np.full(cells - 1, -r)
    x = (np.arange(cells) + 0.5) * dx
    u0 = np.where(np.abs(x - LENGTH / 2) < LENGTH / 20, 1.0, 0.0)  # K above ambient
    return lower, diag, upper, u0


def ours(lower: FloatArray, diag: FloatArray, upper: FloatArray, u0: FloatArray,
         steps: int) -> FloatArray:
    matrix = Tridiagonal(lower, diag, upper)
    u = u0.copy()
    for _ in range(steps):
        u = matrix.solve(u, overwrite_b=True)
    return u


def lapack_by_hand(lower: FloatArray, diag: FloatArray, upper: FloatArray, u0: FloatArray,
                   steps: int) -> FloatArray:
    dl, d, du, du2, ipiv, info = lapack.dgttrf(lower, diag, upper)
    if info != 0:
        raise RuntimeError(f"dgttrf info {info}")
    u = u0.copy()
    for _ in range(steps):
        u, info = lapack.dgttrs(dl, d, du, du2, ipiv, u, overwrite_b=1)
        if info != 0:
            raise RuntimeError(f"dgttrs info {info}")
    return u


def sparse_each_step(lower: FloatArray, diag: FloatArray, upper: FloatArray, u0: FloatArray,
                     steps: int) -> FloatArray:
    matrix = scipy.sparse.diags_array([lower, diag, upper], offsets=[-1, 0, 1], format="csc")
    u = u0.copy()
    for _ in range(steps):
        u = scipy.sparse.linalg.spsolve(matrix, u)
    return u


def banded_each_step(lower: FloatArray, diag: FloatArray, upper: FloatArray, u0: FloatArray,
                     steps: int) -> FloatArray:
    ab = np.zeros((3, diag.size))
    ab[0, 1:], ab[1], ab[2, :-1] = upper, diag, lower
    u = u0.copy()
    for _ in range(steps):
        u = solve_banded((1, 1), ab, u, overwrite_b=True, check_finite=False)
    return u


Solver = Callable[[FloatArray, FloatArray, FloatArray, FloatArray, int], FloatArray]


def race(solvers: dict[str, Solver], cells: int, steps: int,
         repeats: int) -> tuple[dict[str, float], bool]:
    """Best seconds of each solver over interleaved rounds, and whether all results agree."""
    lower, diag, upper, u0 = problem(cells)
    best = dict.fromkeys(solvers, np.inf)
    results: dict[str, FloatArray] = {}
    for _ in range(repeats):
        for name, solve in solvers.items():
            start = time.perf_counter()
            results[name] = solve(lower, diag, upper, u0, steps)
            best[name] = min(best[name], time.perf_counter() - start)
    first, *others = results.values()
    agree = all(np.allclose(other, first, rtol=1e-10, atol=1e-12) for other in others)
    return best, agree


def _peak_mib() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=1_000_000)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--sparse-cells", type=int, default=100_000,
                        help="size of the contrast with general sparse and banded solves")
    parser.add_argument("--sparse-steps", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3,
                        help="interleaved rounds; each solver keeps its best")
    args = parser.parse_args(argv)
    print(f"load average before the run: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")

    best, agree = race({"ours": ours, "lapack": lapack_by_hand}, args.cells, args.steps,
                       args.repeats)
    print(f"{args.cells} cells, {args.steps} backward-Euler steps (factor once, solve each step)")
    for name, label in (("ours", "Tridiagonal (ours)"), ("lapack", "dgttrf + dgttrs by hand")):
        print(f"  {label:<34} {best[name] * 1e3:9.1f} ms  "
              f"{best[name] / args.steps * 1e3:7.3f} ms/step")
    print(f"  ratio ours / hand-written LAPACK: {best['ours'] / best['lapack']:.3f} "
          f"(target <= 1.3)")

    contrast, contrast_agree = race(
        {"lapack": lapack_by_hand, "spsolve": sparse_each_step, "banded": banded_each_step},
        args.sparse_cells, args.sparse_steps, args.repeats)
    agree &= contrast_agree
    print(f"{args.sparse_cells} cells, {args.sparse_steps} steps: general solvers each step")
    for name, label in (("spsolve", "scipy.sparse.linalg.spsolve"),
                        ("banded", "scipy.linalg.solve_banded")):
        print(f"  ratio {label} / hand-written LAPACK: "
              f"{contrast[name] / contrast['lapack']:.2f}  "
              f"({contrast[name] / args.sparse_steps * 1e3:.3f} ms/step)")
    print(f"peak resident memory: {_peak_mib():.0f} MiB")
    if not agree:
        print("RESULTS DISAGREE between the solvers")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
