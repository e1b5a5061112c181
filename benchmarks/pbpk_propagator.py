"""A 15-compartment PBPK model over 24 h: the exact linear propagator against LSODA and by hand.

The model is a flow-limited whole-body PBPK model of a 70 kg adult (after the reference
values of Brown et al. 1997, Toxicol. Ind. Health 13:407, and ICRP 89), for a moderately
lipophilic drug given as a 100 mg intravenous bolus into venous blood.  Its 15 compartments:

=============  =========  ================  ====  =====================================
compartment    volume L   blood flow        Kp    notes
=============  =========  ================  ====  =====================================
venous blood   3.73       (all returns)     -     two thirds of 5.6 L of blood
arterial blood 1.87       Q_c = 390 L/h     -     one third
lung           0.50       Q_c               0.8   between venous and arterial blood
brain          1.45       12.0 % of Q_c     0.6
heart          0.33        4.0 %            1.2
muscle         29.0       17.0 %            0.9
adipose        13.0        5.0 %            8.0
skin           3.30        5.0 %            1.5
bone           10.0        5.0 %            0.5
kidney         0.31       19.0 %            2.0   renal clearance 6 L/h
liver          1.80        6.5 % arterial   3.0   receives gut, spleen and pancreas
                          (25.5 % in all)         outflow; hepatic clearance 30 L/h
gut            1.65       15.0 %            1.5   drains to the liver (portal vein)
spleen         0.15        3.0 %            1.0   drains to the liver
pancreas       0.14        1.0 %            1.2   drains to the liver
rest of body   2.77        7.5 %            1.0   the remainder of 70 kg (70 L)
=============  =========  ================  ====  =====================================

Q_c = 6.5 L/min is the cardiac output.  The state is the concentration in each compartment
(mg/L); a tissue's venous blood leaves at C/Kp (flow limitation), so
``V_i dC_i/dt = Q_i (C_in - C_i / Kp_i) - CL_i C_i / Kp_i``.  Without clearance the model
conserves the amount sum(V_i C_i) exactly, which the script checks.

In one process the script times, per 24 h solve at ``--points`` evenly spaced output times
(default 1000):

* ours: ``LinearPropagator(A).propagate(y0, times)``
  (:mod:`scalebridge.solvers.linear`, which for an even grid computes P = exp(A dt) once and
  the orbit P^k y0 in blocks of matrix products), construction included;
* ``scipy.integrate.solve_ivp(method="LSODA")`` with the analytic Jacobian A,
  rtol 1e-8, atol 1e-10 mg/L;
* a hand-written eigendecomposition, ``V exp(w t) V^-1 y0``, the fewest lines that do it;

and prints ms per solve (target for ours: <= 2 ms) and the ratios.  Then the ensemble:
``--members`` (default 1,000) variants with log-normally scattered flows, volumes, partition
coefficients and clearances (CV about 25 %), solved by one batched propagator against a loop
of single ones; it prints ms per member for both and the speed-up (target >= 10x), and the
batch once more on one thread (``linear.THREADS = 1``) to separate batching from threading.
Both sides do the same arithmetic per member: the batch wins only what it saves in per-call
Python and NumPy overhead, plus a second thread.  So the script also measures two floors for
the batch in the same process, with as many threads as the batched propagator uses:
allocating and writing an array of the result's shape (members x times x 15 float64), and
one batched matrix product of that output shape with 15-long inner products,
``(m, T/8, 15) @ (m, 15, 8*15)``, which is the arithmetic the blocked orbit cannot avoid
(15 multiply-adds per output).  Results are cross-checked; times
are printed, never asserted.  Peak resident memory is printed at the end.

Usage::

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/pbpk_propagator.py
    .venv/bin/python benchmarks/pbpk_propagator.py --points 50 --members 4
"""

from __future__ import annotations

import os

# Pin BLAS to one thread before NumPy loads: 15 x 15 matrices are far slower with threads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import resource
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray
from scipy.integrate import solve_ivp

from scalebridge.solvers import linear
from scalebridge.solvers.linear import LinearPropagator

FloatArray = NDArray[np.float64]

HOURS = 3600.0  # s
CARDIAC_OUTPUT = 390.0  # L/h
DOSE = 100.0  # mg, IV bolus into venous blood

VENOUS, ARTERIAL, LUNG = 0, 1, 2
TISSUES = ["brain", "heart", "muscle", "adipose", "skin", "bone", "kidney", "liver", "gut",
           "spleen", "pancreas", "rest"]
NAMES = ["venous blood", "arterial blood", "lung", *TISSUES]
INDEX = {name: i for i, name in enumerate(NAMES)}
PORTAL = ["gut", "spleen", "pancreas"]  # drain into the liver, not into venous blood


@dataclass(frozen=True)
class Physiology:
    """Parameters in L, L/h and dimensionless partition coefficients (tissue : blood)."""

    volume: FloatArray  # (15,) L
    flow_fraction: FloatArray  # (12,) fraction of cardiac output per tissue; liver: arterial
    kp: FloatArray  # (15,) partition coefficients (blood pools: 1)
    cardiac_output: float = CARDIAC_OUTPUT  # L/h
    hepatic_clearance: float = 30.0  # L/h, acting on the liver's venous concentration
    renal_clearance: float = 6.0  # L/h, acting on the kidney's venous concentration


REFERENCE = Physiology(
    volume=np.array([3.73, 1.87, 0.50, 1.45, 0.33, 29.0, 13.0, 3.30, 10.0, 0.31, 1.80, 1.65,
                     0.15, 0.14, 2.77]),
    flow_fraction=np.array([0.12, 0.04, 0.17, 0.05, 0.05, 0.05, 0.19, 0.065, 0.15, 0.03,
                            0.01, 0.075]),
    kp=np.array([1.0, 1.0, 0.8, 0.6, 1.2, 0.9, 8.0, 1.5, 0.5, 2.0, 3.0, 1.5, 1.0, 1.2, 1.0]),
)


def rate_matrix(p: Physiology) -> FloatArray:
    """A (1/s) of dC/dt = A C for the concentrations C (mg/L) of the 15 compartments."""
    n = len(NAMES)
    # Build the amount balance dN/dt = F C first (L/h), then divide each row by its volume.
    flux = np.zeros((n, n))
    flows = dict(zip(TISSUES, p.flow_fraction * p.cardiac_output, strict=True))
    qc = p.cardiac_output
    # Lung: venous blood in, out at C_lung / Kp into arterial blood.
    flux[LUNG, VENOUS] += qc
    flux[LUNG, LUNG] -= qc / p.kp[LUNG]
    flux[ARTERIAL, LUNG] += qc / p.kp[LUNG]
    flux[ARTERIAL, ARTERIAL] -= qc
    flux[VENOUS, VENOUS] -= qc
    liver = INDEX["liver"]
    for tissue in TISSUES:
        i, q = INDEX[tissue], flows[tissue]
        flux[i, ARTERIAL] += q  # arterial blood in (the liver's hepatic artery)
        flux[i, i] -= q / p.kp[i]
        # Venous outflow: portal organs feed the liver, everything else venous blood.
        flux[liver if tissue in PORTAL else VENOUS, i] += q / p.kp[i]
    # The liver's outflow carries its own arterial flow plus the portal flows.
    portal = sum(flows[t] for t in PORTAL)
    flux[liver, liver] -= portal / p.kp[liver]
    flux[VENOUS, liver] += portal / p.kp[liver]
    flux[liver, liver] -= p.hepatic_clearance / p.kp[liver]
    kidney = INDEX["kidney"]
    flux[kidney, kidney] -= p.renal_clearance / p.kp[kidney]
    return flux / p.volume[:, np.newaxis] / HOURS


def scattered(rng: np.random.Generator, cv: float = 0.25) -> Physiology:
    """One log-normal variant of the reference (flows renormalised to sum to one)."""
    sigma = np.sqrt(np.log1p(cv**2))

    def jitter(values: FloatArray) -> FloatArray:
        scaled: FloatArray = values * rng.lognormal(-sigma**2 / 2, sigma, np.shape(values))
        return scaled

    fractions = jitter(REFERENCE.flow_fraction)
    return replace(
        REFERENCE,
        volume=jitter(REFERENCE.volume),
        flow_fraction=fractions / fractions.sum(),
        kp=np.concatenate([[1.0, 1.0], jitter(REFERENCE.kp[2:])]),
        cardiac_output=float(jitter(np.array(CARDIAC_OUTPUT))),
        hepatic_clearance=float(jitter(np.array(REFERENCE.hepatic_clearance))),
        renal_clearance=float(jitter(np.array(REFERENCE.renal_clearance))),
    )


def bolus(p: Physiology) -> FloatArray:
    y0 = np.zeros(len(NAMES))
    y0[VENOUS] = DOSE / p.volume[VENOUS]
    return y0


def ours(a: FloatArray, y0: FloatArray, times: FloatArray) -> FloatArray:
    return LinearPropagator(a).propagate(y0, times)


def lsoda(a: FloatArray, y0: FloatArray, times: FloatArray) -> FloatArray:
    # The Jacobian is passed as a function: SciPy's LSODA wrapper tests ``jac or ...`` and
    # fails on an array.
    solution = solve_ivp(lambda _t, y: a @ y, (0.0, times[-1]), y0, method="LSODA",
                         t_eval=times, jac=lambda _t, _y: a, rtol=1e-8, atol=1e-10)
    if not solution.success:
        raise RuntimeError(solution.message)
    states: FloatArray = solution.y.T
    return states


def eigen_by_hand(a: FloatArray, y0: FloatArray, times: FloatArray) -> FloatArray:
    w, v = np.linalg.eig(a)
    coefficients = np.linalg.solve(v, y0.astype(complex))
    states: FloatArray = ((np.exp(np.outer(times, w)) * coefficients) @ v.T).real
    return states


Solve = Callable[[FloatArray, FloatArray, FloatArray], FloatArray]


def per_solve(solvers: dict[str, tuple[Solve, int]], a: FloatArray, y0: FloatArray,
              times: FloatArray, repeats: int) -> tuple[dict[str, float], dict[str, FloatArray]]:
    """Best seconds per solve for each (solver, solves per round), rounds interleaved."""
    best = dict.fromkeys(solvers, np.inf)
    results: dict[str, FloatArray] = {}
    for _ in range(repeats):
        for name, (solve, count) in solvers.items():
            start = time.perf_counter()
            for _ in range(count):
                results[name] = solve(a, y0, times)
            best[name] = min(best[name], (time.perf_counter() - start) / count)
    return best, results


def _threads(outputs: int) -> int:
    """Threads the batched propagator shares ``outputs`` states between (as it decides)."""
    if outputs < linear.PARALLEL_OUTPUTS:
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(linear.THREADS, cpus))


def floors(members: int, points: int, n: int, threads: int, repeats: int
           ) -> tuple[float, float]:
    """Best seconds for two lower bounds of the batch, members split between ``threads``.

    * writing: a fresh (members, points, n) float64 array filled with ones (the kernel maps
      and zeroes its pages on first touch: part of the cost of any fresh result);
    * product: a fresh array of that shape as the batched product (m, T/8, n) @ (m, n, 8n),
      the multiply-adds of the blocked orbit's last step, with random operands.
    """
    rng = np.random.default_rng(0)
    blocks = -(-points // 8)
    left = rng.random((members, blocks, n))
    right = rng.random((members, n, 8 * n))
    halves = np.array_split(np.arange(members), threads)
    bounds = [slice(int(h[0]), int(h[-1]) + 1) for h in halves if h.size]

    def write() -> None:
        out = np.empty((members, points, n))
        run(lambda rows: out[rows].fill(1.0))

    def product() -> None:
        out = np.empty((members, blocks, 8 * n))
        run(lambda rows: np.matmul(left[rows], right[rows], out=out[rows]))

    def run(task: Callable[[slice], object]) -> None:
        if len(bounds) == 1:
            task(bounds[0])
            return
        with ThreadPoolExecutor(max_workers=len(bounds) - 1) as pool:
            others = [pool.submit(task, rows) for rows in bounds[1:]]
            task(bounds[0])
            for other in others:
                other.result()

    best = [np.inf, np.inf]
    for _ in range(repeats):
        for i, step in enumerate((write, product)):
            start = time.perf_counter()
            step()
            best[i] = min(best[i], time.perf_counter() - start)
    return best[0], best[1]


def _peak_mib() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1000, help="output times over 24 h")
    parser.add_argument("--members", type=int, default=1000, help="ensemble size")
    parser.add_argument("--repeats", type=int, default=3,
                        help="interleaved rounds; each solver keeps its best")
    args = parser.parse_args(argv)
    print(f"load average before the run: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    ok = True

    a = rate_matrix(REFERENCE)
    closed = rate_matrix(replace(REFERENCE, hepatic_clearance=0.0, renal_clearance=0.0))
    leak = np.abs(REFERENCE.volume @ closed).max() / np.abs(closed).max()
    print(f"15-compartment PBPK model: mass balance without clearance closes to {leak:.1e}; "
          f"rates from {-np.linalg.eigvals(a).real.max() * HOURS:.3f} to "
          f"{-np.linalg.eigvals(a).real.min() * HOURS:.0f} 1/h")
    ok &= leak < 1e-12
    y0 = bolus(REFERENCE)
    times = np.linspace(0.0, 24 * HOURS, args.points)
    best, results = per_solve({"ours": (ours, 20), "lsoda": (lsoda, 2),
                               "eigen": (eigen_by_hand, 20)}, a, y0, times, args.repeats)
    scale = np.abs(results["ours"]).max()
    print(f"one solve, 24 h, {args.points} output times")
    for name, label in (("ours", "LinearPropagator (ours)"), ("lsoda", "solve_ivp LSODA + jac"),
                        ("eigen", "eigendecomposition by hand")):
        error = np.abs(results[name] - results["eigen"]).max() / scale
        print(f"  {label:<30} {best[name] * 1e3:8.3f} ms per solve  "
              f"(max deviation from the hand-written eigensolution {error:.1e} of the peak)")
    print(f"  ms per solve, ours: {best['ours'] * 1e3:.3f} (target <= 2 ms)")
    print(f"  ratio LSODA / ours: {best['lsoda'] / best['ours']:.1f}")
    print(f"  ratio ours / hand-written eigendecomposition: {best['ours'] / best['eigen']:.2f}")
    ok &= bool(np.allclose(results["ours"], results["eigen"], rtol=0, atol=1e-9 * scale))
    ok &= bool(np.allclose(results["lsoda"], results["eigen"], rtol=0, atol=1e-5 * scale))

    rng = np.random.default_rng(2024)
    variants = [scattered(rng) for _ in range(args.members)]
    stack = np.stack([rate_matrix(p) for p in variants])
    starts = np.stack([bolus(p) for p in variants])
    batched_best = loop_best = one_thread_best = np.inf
    batched = looped = np.empty(0)
    threads = linear.THREADS
    for _ in range(max(args.repeats, 1)):  # interleaved rounds, each keeps its best
        start = time.perf_counter()
        batched = LinearPropagator(stack).propagate(starts, times)
        batched_best = min(batched_best, time.perf_counter() - start)
        linear.THREADS = 1
        try:
            start = time.perf_counter()
            LinearPropagator(stack).propagate(starts, times)
            one_thread_best = min(one_thread_best, time.perf_counter() - start)
        finally:
            linear.THREADS = threads
        start = time.perf_counter()
        looped = np.stack([LinearPropagator(m).propagate(s, times)
                           for m, s in zip(stack, starts, strict=True)])
        loop_best = min(loop_best, time.perf_counter() - start)
    ok &= bool(np.allclose(batched, looped, rtol=0, atol=1e-10 * np.abs(looped).max()))
    threads = _threads(batched.size)
    write_best, product_best = floors(args.members, args.points, len(NAMES), threads,
                                      max(args.repeats, 3))
    per_member = 1e3 / args.members
    print(f"ensemble of {args.members} parameter variants, {args.points} output times each "
          f"(the batch runs on {threads} thread(s))")
    print(f"  batched propagator      {batched_best * 1e3:9.1f} ms "
          f"({batched_best * per_member:.3f} ms per member)")
    print(f"  batched, one thread     {one_thread_best * 1e3:9.1f} ms "
          f"({one_thread_best * per_member:.3f} ms per member)")
    print(f"  loop of single ones     {loop_best * 1e3:9.1f} ms "
          f"({loop_best * per_member:.3f} ms per single solve)")
    print(f"  speed-up batched over loop: {loop_best / batched_best:.2f}x (target >= 10x); "
          f"on one thread {loop_best / one_thread_best:.2f}x")
    print(f"  floor, writing a fresh array of the result's shape: {write_best * 1e3:.1f} ms")
    print(f"  floor, one batched product of the result's shape, 15 multiply-adds per output: "
          f"{product_best * 1e3:.1f} ms")
    print(f"  ratio batched / product floor: {batched_best / product_best:.2f}")
    print(f"  a 10x speed-up needs the batch within {loop_best / 10 * 1e3:.1f} ms")
    print(f"peak resident memory: {_peak_mib():.0f} MiB")
    if not ok:
        print("RESULTS DISAGREE (or the model does not conserve mass)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
