"""Memory bandwidth of the explicit 2-D diffusion-reaction step, against a STREAM-like triad.

An explicit stencil step does a handful of flops per cell and is limited by memory traffic, so
its speed is best judged as a fraction of what the machine can stream.  For each grid size this
script runs, in one process:

* a STREAM-like triad ``a = b + s * c`` over grid-sized arrays (numba, parallel over both cores
  when numba is installed; otherwise NumPy with ``out=``, two passes), the yardstick;
* a STREAM-like scale ``a = s * c`` the same way: the stencil's own access pattern (read one
  array, write one), a second yardstick;
* our numba kernel (:func:`scalebridge.solvers.stencil.diffusion_reaction_step_numba`);
* our NumPy kernel (:func:`~scalebridge.solvers.stencil.diffusion_reaction_step_numpy`, ``out=``
  ufunc arguments, blocks of rows);
* plain NumPy slicing, the way the step is usually first written (``np.pad`` and whole-array
  expressions with temporaries).

Bytes are counted the STREAM way, as the bytes a perfect cache would move: a stencil step reads
``u`` and writes ``out``, 16 bytes per cell (the neighbours come from cache); a triad element
reads two arrays and writes one, 24 bytes.  Neither count includes the hardware's
read-for-ownership of the written array, so a kernel that streams as well as the triad scores
(2/3) / (3/4) = 0.89 of it, not 1.  The effective bandwidth is the counted bytes over the
time, and each kernel's is printed as a fraction of the triad's (target for the numba kernel:
>= 0.5) and of the scale's (16 bytes counted too).  Every variant's result is checked against
the NumPy reference.  The variants run in interleaved rounds (``--repeats``), each keeping its
best, so that bursts of other load on the machine hit them alike.

The script also prints how many grid-sized arrays each of our runs held (the growth of the
peak resident memory over the resident memory before the run, the peak being reset first
where Linux allows; limit 5), and the process's peak resident memory.  Times are printed,
never asserted.

Usage::

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/stencil_bandwidth.py
    .venv/bin/python benchmarks/stencil_bandwidth.py --sizes 256 --steps 10
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
from typing import Any

import numpy as np
from numpy.typing import NDArray

from scalebridge.solvers.stencil import (
    diffusion_reaction_run,
    diffusion_reaction_step_numba,
    diffusion_reaction_step_numpy,
    max_stable_dt,
    numba_available,
)

FloatArray = NDArray[np.float64]

# A dilute solute diffusing and decaying on a 1 mm x 1 mm grid: D = 1e-9 m^2/s (small molecule
# in water), k = 0.01 1/s, a constant source 1e-3 mol/(m^3 s); the step is 90% of the limit.
DIFFUSIVITY, RATE, SOURCE = 1e-9, 0.01, 1e-3
STENCIL_BYTES_PER_CELL = 16  # read u, write out
TRIAD_BYTES_PER_ELEMENT = 24  # read b and c, write a
SCALE_BYTES_PER_ELEMENT = 16  # read c, write a: the stencil's own pattern

Kernel = Callable[[FloatArray, FloatArray, FloatArray, float], None]


def _parameters(n: int) -> dict[str, Any]:
    dx = 1e-3 / n
    dt = 0.9 * max_stable_dt(DIFFUSIVITY, dx, dx, RATE)
    return {"dt": dt, "diffusivity": DIFFUSIVITY, "dx": dx, "dy": dx, "rate": RATE,
            "source": SOURCE, "boundary": "dirichlet"}


def _yardsticks() -> tuple[str, Kernel, Kernel]:
    """(name, triad a = b + s*c, scale a = s*c): numba-parallel when numba is there, else
    NumPy with out= (the triad then takes two passes)."""
    if numba_available():
        import numba

        @numba.njit(parallel=True, fastmath=False)
        def triad(a: FloatArray, b: FloatArray, c: FloatArray, s: float) -> None:
            for i in numba.prange(a.size):
                a[i] = b[i] + s * c[i]

        @numba.njit(parallel=True, fastmath=False)
        def scale(a: FloatArray, b: FloatArray, c: FloatArray, s: float) -> None:
            for i in numba.prange(a.size):
                a[i] = s * c[i]

        threads = numba.get_num_threads()
        return f"numba, {threads} thread{'s' if threads > 1 else ''}", triad, scale

    def numpy_triad(a: FloatArray, b: FloatArray, c: FloatArray, s: float) -> None:
        np.multiply(c, s, out=a)
        np.add(a, b, out=a)

    def numpy_scale(a: FloatArray, b: FloatArray, c: FloatArray, s: float) -> None:
        np.multiply(c, s, out=a)

    return "NumPy out=, no numba", numpy_triad, numpy_scale


def plain_numpy_step(u: FloatArray, *, dt: float, diffusivity: float, dx: float, dy: float,
                     rate: float, source: float, boundary: str) -> FloatArray:
    """The step as usually first written: a padded copy and whole-array temporaries."""
    p = np.pad(u, 1, mode="wrap" if boundary == "periodic" else "constant")
    lap = ((p[1:-1, :-2] - 2 * u + p[1:-1, 2:]) / dx**2
           + (p[:-2, 1:-1] - 2 * u + p[2:, 1:-1]) / dy**2)
    result: FloatArray = u + dt * (diffusivity * lap - rate * u + source)
    return result


def _yardstick_run(kernel: Kernel, cells: int, passes: int) -> Callable[[], None]:
    """``passes`` calls over grid-sized arrays (allocated, touched and compiled now)."""
    a, b, c = np.empty(cells), np.ones(cells), np.full(cells, 2.0)
    kernel(a, b, c, 3.0)

    def run() -> None:
        for _ in range(passes):
            kernel(a, b, c, 3.0)

    return run


def _ping_pong(step: Callable[..., FloatArray], u0: FloatArray, steps: int,
               params: dict[str, Any]) -> Callable[[], FloatArray]:
    """Steps with two preallocated buffers, as the run does (timing the kernel alone)."""
    a, b = u0.copy(), np.empty_like(u0)
    step(a, b, **params)  # touch both buffers and compile before the clock starts

    def run() -> FloatArray:
        nonlocal a, b
        np.copyto(a, u0)
        for _ in range(steps):
            step(a, b, **params)
            a, b = b, a
        return a

    return run


_EARLIER_PEAK_MIB = 0.0  # the largest peak before the last reset


def _rss_mib() -> float:
    """Current resident memory (Linux /proc; elsewhere the peak, which over-estimates)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            pages = int(statm.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError):
        return _peak_mib()


def _peak_mib() -> float:
    """Peak resident memory since the last :func:`_reset_peak` (ru_maxrss is in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak() -> None:
    """Restart the peak at the current resident memory (Linux >= 4.0; elsewhere a no-op, and
    the memory figures become upper bounds)."""
    global _EARLIER_PEAK_MIB  # noqa: PLW0603 - one process-wide record, like ru_maxrss itself
    _EARLIER_PEAK_MIB = max(_EARLIER_PEAK_MIB, _peak_mib())
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear_refs:
            clear_refs.write("5")
    except OSError:
        pass


PERIODIC_PLATE = """@prefix sb:   <https://w3id.org/scalebridge/ontology#> .
@prefix unit: <http://qudt.org/vocab/unit/> .
@prefix :     <https://example.org/benchmark#> .
:plate_model a sb:Submodel ; sb:onDomain :plate ; sb:hasEquation :balance ;
    sb:duration [ sb:value {duration!r} ; sb:unit unit:SEC ] ;
    sb:outputInterval [ sb:value {duration!r} ; sb:unit unit:SEC ] .
:plate a sb:Rectangle ; sb:cellsX {n} ; sb:cellsY {n} ;
    sb:width [ sb:value 1.0 ; sb:unit unit:MilliM ] ;
    sb:height [ sb:value 1.0 ; sb:unit unit:MilliM ] ;
    sb:boundary [ sb:at sb:Left ; sb:condition [ a sb:Periodic ] ] ,
                [ sb:at sb:Right ; sb:condition [ a sb:Periodic ] ] ,
                [ sb:at sb:Bottom ; sb:condition [ a sb:Periodic ] ] ,
                [ sb:at sb:Top ; sb:condition [ a sb:Periodic ] ] .
:c a sb:Field ; sb:on :plate ; sb:unit unit:MOL-PER-M3 ; sb:initialValue 0.0 .
:D a sb:Parameter ; sb:value {diffusivity!r} ; sb:unit unit:M2-PER-SEC .
:k a sb:Parameter ; sb:value {rate!r} ; sb:unit unit:PER-SEC .
:s a sb:Parameter ; sb:value {source!r} ; sb:unit "mol/(m3.s)" .
:balance a sb:Equation ; sb:rateOf :c ;
    sb:hasTerm [ a sb:Diffusion ; sb:coefficient :D ] ,
               [ a sb:Source ; sb:expression "s - k * c" ] .
"""


def generated_solver(n: int, steps: int) -> tuple[Callable[[FloatArray], FloatArray], float]:
    """The solver scalebridge generates for a periodic n x n plate, from Turtle, run for
    exactly ``steps`` steps (its duration is ``steps`` of its own stable steps): a function
    from the initial field to the final one, and the step it takes (s)."""
    import tempfile
    from pathlib import Path

    from scalebridge.composer import compose_files
    from scalebridge.runner import load_solver
    from scalebridge.solvers import time_stepping

    dx = 1e-3 / n
    limit = min(time_stepping.diffusion_step_limit(DIFFUSIVITY, (dx, dx)),
                time_stepping.reaction_step_limit(RATE))
    duration = steps * time_stepping.SAFETY * limit
    directory = Path(tempfile.mkdtemp(prefix="scalebridge-bench-"))
    model = directory / "plate.ttl"
    model.write_text(PERIODIC_PLATE.format(duration=duration, n=n, diffusivity=DIFFUSIVITY,
                                           rate=RATE, source=SOURCE), encoding="utf-8")
    composition = compose_files([model], reasoner=False)
    if composition.source is None:
        raise RuntimeError(composition.report.to_text())
    solver = directory / "solver.py"
    solver.write_text(composition.source, encoding="utf-8")
    module = load_solver(solver)
    p = module.parameters()
    times = np.array([0.0, duration])

    def run(u0: FloatArray) -> FloatArray:
        final: FloatArray = module.solve_0_0(p, times, initial=u0)[-1]
        return final

    return run, duration / steps


def measure(n: int, steps: int, repeats: int, yardsticks: tuple[str, Kernel, Kernel]) -> bool:
    """Run every variant on an n x n grid; print the table; False if a result disagrees."""
    kind, triad, scale = yardsticks
    params = _parameters(n)
    u0 = np.random.default_rng(0).random((n, n))
    grid_mib = u0.nbytes / 2**20
    cells = n * n
    print(f"{n} x {n} grid ({grid_mib:.0f} MiB per array), {steps} steps", flush=True)

    # Our runs first, each with the peak reset, so that the growth of the peak over the
    # resident memory before the run is what that run held (its result included).
    held: dict[str, float] = {}
    reference = np.empty(0)
    agree = True
    for backend in ["numpy", *(["numba"] if numba_available() else [])]:
        _reset_peak()
        rss_before = _rss_mib()
        result = diffusion_reaction_run(u0, steps, backend=backend, **params)
        held[backend] = (_peak_mib() - rss_before) / grid_mib + 1  # + 1: u0 itself
        if backend == "numpy":
            reference = result
        else:
            agree &= bool(np.allclose(result, reference, rtol=0, atol=1e-12))
        del result

    variants: list[tuple[str, Callable[[], object]]] = [
        (f"triad a = b + s*c ({kind})", _yardstick_run(triad, cells, steps)),
        (f"scale a = s*c ({kind})", _yardstick_run(scale, cells, steps)),
    ]
    if numba_available():
        variants.append(("numba kernel (ours)",
                         _ping_pong(diffusion_reaction_step_numba, u0, steps, params)))
    variants.append(("NumPy with out= (ours)",
                     _ping_pong(diffusion_reaction_step_numpy, u0, steps, params)))

    def plain() -> FloatArray:
        u = u0
        for _ in range(steps):
            u = plain_numpy_step(u, **params)
        return u

    variants.append(("plain NumPy slicing", plain))
    # The solver the composer writes for the same problem, from Turtle (periodic sides, so
    # its result is compared with the kernel's periodic run rather than the reference).  A
    # grid the composer can factor (512 x 512 cells or fewer) is stepped implicitly instead.
    if n * n > 512 * 512:
        solve, step = generated_solver(n, steps)
        periodic = {**params, "boundary": "periodic", "dt": step}
        agree &= bool(np.allclose(solve(u0), diffusion_reaction_run(u0, steps, **periodic),
                                  rtol=0, atol=1e-12))

        def composed() -> None:
            solve(u0)

        variants.append(("generated solver (composed from Turtle)", composed))
    # Rounds interleave the variants, so that a burst of other load on the machine hits them
    # alike; each variant keeps its best round.
    best = dict.fromkeys([name for name, _ in variants], np.inf)
    for _ in range(repeats):
        for name, run in variants:
            start = time.perf_counter()
            result = run()
            best[name] = min(best[name], time.perf_counter() - start)
            if isinstance(result, np.ndarray):
                agree &= bool(np.allclose(result, reference, rtol=0, atol=1e-12))
            del result
    (triad_label, triad_seconds), (scale_label, scale_seconds), *kernels = best.items()
    triad_gbs = TRIAD_BYTES_PER_ELEMENT * cells * steps / triad_seconds / 1e9
    scale_gbs = SCALE_BYTES_PER_ELEMENT * cells * steps / scale_seconds / 1e9
    print(f"  {triad_label:<40} {triad_gbs:6.1f} GB/s")
    print(f"  {scale_label:<40} {scale_gbs:6.1f} GB/s")
    for name, seconds in kernels:
        gbs = STENCIL_BYTES_PER_CELL * cells * steps / seconds / 1e9
        print(f"  {name:<40} {gbs:6.1f} GB/s  fraction of triad {gbs / triad_gbs:5.2f}"
              f"  of scale {gbs / scale_gbs:5.2f}  {seconds / steps * 1e3:8.3f} ms/step",
              flush=True)
    for backend, arrays in held.items():
        # Below a few MiB per array, allocator pools and page granularity swamp the signal.
        figure = f"{arrays:.2f}" if grid_mib >= 4 else "(grid too small to tell)"
        print(f"  memory: diffusion_reaction_run(backend={backend!r}) held {figure} grid "
              f"arrays, u0 included (limit 5)")
    if not agree:
        print("  RESULTS DISAGREE with the NumPy reference beyond 1e-12")
    return agree


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1024, 4096],
                        help="grid sizes n (n x n cells)")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3,
                        help="rounds of timings; each variant keeps its best")
    args = parser.parse_args(argv)
    yardsticks = _yardsticks()
    # Other work on the machine spoils bandwidth figures (and stalls the parallel kernels).
    print(f"load average before the run: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    if numba_available():
        import numba

        diffusion_reaction_run(np.zeros((4, 4)), 1, backend="numba", **_parameters(4))
        # The OpenMP layer's wait policy changes parallel timings a lot on a busy 2-CPU VM.
        print(f"numba: {numba.get_num_threads()} threads, threading layer "
              f"{numba.threading_layer()}, OMP_WAIT_POLICY="
              f"{os.environ.get('OMP_WAIT_POLICY', '(unset)')}")
    else:
        print("numba is not installed: no numba kernel, and a NumPy triad as the yardstick")
    ok = True
    for n in sorted(args.sizes):
        ok &= measure(n, args.steps, args.repeats, yardsticks)
    print(f"peak resident memory: {max(_EARLIER_PEAK_MIB, _peak_mib()):.0f} MiB")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
