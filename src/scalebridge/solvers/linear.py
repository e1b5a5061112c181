"""Exact solution of linear constant-coefficient systems ``dy/dt = A y + b``.

Compartment models, linearised kinetics and other linear ODEs need no time stepping: the
solution from ``y(0) = y0`` is

    y(t) = exp(A t) y0 + integral_0^t exp(A s) ds b.

:class:`LinearPropagator` evaluates it at any set of times, by one of two methods.

*Evenly spaced times* ``t_k = t0 + k dt`` (the usual output grid, also any one or two times)
use the one-step propagator.  With the augmented generator ``G = [[A, b], [0, 0]]`` and the
state ``z = [y; 1]``, ``z(t_k) = P^k z(t0)`` where ``P = exp(G dt)`` and
``z(t0) = exp(G t0) z(0)`` (b = 0 drops the extra row), both by :func:`scipy.linalg.expm` for
a few systems and by a batched Pade scaling and squaring for many.
The orbit ``P^k z`` is computed in blocks with matrix-matrix products rather than one
matrix-vector product per time: with the powers ``P^0 .. P^B`` at hand, the states at the block
starts ``z_{jB}`` are themselves the orbit of ``P^B`` (computed the same way, recursively), and
all states follow from one product per member, ``z_{jB+i} = P^i z_{jB}``.  Every output then
costs n multiply-adds in one large matrix product, and no eigendecomposition is needed, so a
defective or singular A is no special case.

*Other times* use the eigendecomposition A = V diag(w) V^-1 when V is well conditioned:

    y(t) = V [exp(w t) * (V^-1 y0) + t phi1(w t) * (V^-1 b)],   phi1(z) = (e^z - 1) / z,

which needs no inverse of A (a singular A, such as a closed compartment model, is fine); when
A is invertible the forcing is folded into the steady state y_s = -A^-1 b instead,
y(t) = y_s + V exp(w t) V^-1 (y0 - y_s), in real arithmetic when the eigenvalues are real.
Otherwise (a defective or nearly defective A) it falls back to :func:`scipy.linalg.expm` of the
augmented matrix at every time.  The decomposition is computed on the first such call only.
Units: A in 1/s, b in units of y per second, times in seconds.

Example
-------
>>> import numpy as np
>>> A = np.array([[-1.0, 0.0], [1.0, -0.5]])  # compartment 1 drains into compartment 2
>>> y = LinearPropagator(A).propagate(np.array([1.0, 0.0]), [0.0, 1.0])
>>> bool(np.isclose(y[1, 0], np.exp(-1.0)))
True
>>> uneven = LinearPropagator(A).propagate(np.array([1.0, 0.0]), [0.0, 0.5, 2.0])
>>> bool(np.isclose(uneven[2, 0], np.exp(-2.0)))
True
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg
from numpy.typing import ArrayLike, NDArray

from scalebridge.solvers.errors import NumericalFailure

__all__ = ["EIGEN_CONDITION_LIMIT", "PARALLEL_OUTPUTS", "THREADS", "LinearPropagator"]

FloatArray = NDArray[np.float64]
ComplexArray = NDArray[np.complex128]

#: Largest condition number of the eigenvector matrix for which the eigendecomposition is
#: trusted.  Its rounding error grows like cond(V) * eps, so 1e4 keeps the result within about
#: 1e-12 of the exact exponential; beyond it the slower expm is used.
EIGEN_CONDITION_LIMIT = 1e4

# Blocked orbit parameters, measured on a 2-core x86 VM with OpenBLAS (15 states, 1 and 1000
# members, 1000 times; see benchmarks/pbpk_propagator.py).  _BLOCK is the number of powers
# P^0 .. P^(B-1) applied per block start; the powers cost about B n^3 multiply-adds per member,
# the block starts (count / B) n^2, so B near sqrt(count / n) balances them, and 8 suits
# hundreds to thousands of times.  Orbits of at most _SEQUENTIAL states are stepped one
# matrix-vector product at a time: a blocked level costs about a dozen NumPy calls, which a
# few sequential steps undercut.
_BLOCK = 8
_SEQUENTIAL = 16
#: Threads that share a large batch on an evenly spaced grid (fewer where fewer CPUs are free
#: to the process).  NumPy's matrix products release the GIL, and the threads write to one
#: preallocated result.  Two is all that was measured (on a 2-core VM, 1000 PBPK members:
#: 1.1x to 1.4x faster than one thread; the Python between NumPy calls still takes turns).
THREADS = 2
#: Outputs (members x times x states) from which a batch is shared between threads; below it
#: the thread start-up and the hand-over cost more than they save.
PARALLEL_OUTPUTS = 1_000_000
# Members per chunk of the even-grid path (see LinearPropagator._even).  For 15 states a
# chunk's powers, block starts and right-hand factors take about 0.5 MB per level, within a
# 1 MB L2 cache; 64 members measured 1.4x slower than 32, 16 and 24 about as fast.
_CHUNK = 32
# From this many members scipy.linalg.expm, a Python loop over 15 x 15 matrices at about
# 20 us each that holds the GIL, gives way to _batched_exponential.
_BATCHED_EXPM = 8
# Tolerance on an even grid, relative to the last time: linspace and arange place t_k within
# an ulp or two of t0 + k dt.  A time within 16 eps t_end of its grid point is taken as on it,
# an error in the state of order 16 eps |A| t_end, the size of the error that evaluating
# exp(w t) at a rounded t makes anyway.
_EVEN_TOLERANCE = 16 * float(np.finfo(np.float64).eps)


def _phi1(z: ComplexArray) -> ComplexArray:
    """``(e^z - 1) / z`` without cancellation near 0 (numpy's complex expm1 is accurate)."""
    safe = np.where(z == 0.0, 1.0, z)
    result: ComplexArray = np.where(z == 0.0, 1.0, np.expm1(safe) / safe)
    return result


def _even_step(t: FloatArray) -> float | None:
    """The step dt (s) if ``t`` is an evenly spaced grid ``t0 + k dt``, else None.

    One time is a grid of one point (step 0); two times always are a grid.
    """
    if t.size == 1:
        return 0.0
    step = float(t[-1] - t[0]) / (t.size - 1)
    if t.size == 2:
        return step
    grid = t[0] + step * np.arange(t.size)
    if np.max(np.abs(t - grid)) <= _EVEN_TOLERANCE * abs(float(t[-1])):
        return step
    return None


# Pade approximant of degree 13 and its scaling threshold (Higham 2005, "The scaling and
# squaring method for the matrix exponential revisited", SIAM J. Matrix Anal. Appl. 26:1179,
# table 2.3 and eq. 2.3): for ||X||_1 <= theta_13 its backward error is below 2^-53.
_PADE13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0,
           1187353796428800.0, 129060195264000.0, 10559470521600.0, 670442572800.0,
           33522128640.0, 1323241920.0, 40840800.0, 960960.0, 16380.0, 182.0, 1.0)
_THETA13 = 5.371920351148152


def _batched_exponential(generators: FloatArray) -> FloatArray:
    """exp of each matrix of a (m, N, N) stack (dimensionless entries), by scaling and squaring.

    Higham's 2005 algorithm with the degree-13 Pade approximant for every member, each scaled
    by its own 2^-s: a dozen stacked NumPy products and one stacked solve for the whole
    stack, which release the GIL, where scipy.linalg.expm loops over the members in Python.
    scipy's newer scaling (Al-Mohy and Higham 2009) squares less often for very non-normal
    matrices; for the systems here the two agree to about 1e-14.
    """
    size = generators.shape[1]
    norm = np.abs(generators).sum(axis=1).max(axis=1)  # 1-norm of each member
    with np.errstate(divide="ignore"):
        halvings = np.maximum(0.0, np.ceil(np.log2(norm / _THETA13)))
    # A non-finite generator has no exponential; leave it unscaled, its result non-finite.
    halvings[~np.isfinite(halvings)] = 0.0
    x = generators * np.ldexp(1.0, -halvings.astype(np.int64))[:, np.newaxis, np.newaxis]
    c = _PADE13
    eye = np.eye(size)
    x2 = np.matmul(x, x)
    x4 = np.matmul(x2, x2)
    x6 = np.matmul(x4, x2)
    odd = np.matmul(x, np.matmul(x6, c[13] * x6 + c[11] * x4 + c[9] * x2)
                    + c[7] * x6 + c[5] * x4 + c[3] * x2 + c[1] * eye)
    even = (np.matmul(x6, c[12] * x6 + c[10] * x4 + c[8] * x2)
            + c[6] * x6 + c[4] * x4 + c[2] * x2 + c[0] * eye)
    result: FloatArray = np.linalg.solve(even - odd, even + odd)
    counts = halvings.astype(np.int64)
    for round_ in range(1, int(counts.max(initial=0)) + 1):
        if np.all(counts >= round_):
            result = np.matmul(result, result)
        else:
            which = np.flatnonzero(counts >= round_)
            result[which] = np.matmul(result[which], result[which])
    return result


def _exponential(generators: FloatArray) -> FloatArray:
    """exp of each matrix of a (m, N, N) stack: scipy's expm for a few, batched for many."""
    if generators.shape[0] >= _BATCHED_EXPM:
        return _batched_exponential(generators)
    result: FloatArray = scipy.linalg.expm(generators)
    return result


def _powers(P: FloatArray, count: int) -> FloatArray:  # noqa: N803 - a propagator matrix
    """``P^0 .. P^(count-1)`` stacked by rows, shape (m, count N, N), for count >= 2.

    Rows j N .. (j+1) N - 1 of member i hold P[i]^j.  Doubling: with the first k powers known,
    the next k are those times P^k (powers of one matrix commute), one product per member,
    so that the whole stack costs log2(count) rounds of products.
    """
    members, size = P.shape[0], P.shape[1]
    stack = np.empty((members, count * size, size))
    stack[:, :size] = np.eye(size)
    stack[:, size:2 * size] = P
    known = 2
    while known < count:
        new = min(known, count - known)
        # P^known, from the last power known: one n x n product per member.
        step = np.matmul(stack[:, (known - 1) * size:known * size], P)
        stack[:, known * size:(known + 1) * size] = step
        if new > 1:
            np.matmul(stack[:, size:new * size], step,
                      out=stack[:, (known + 1) * size:(known + new) * size])
        known += new
    return stack


def _orbit(P: FloatArray, z0: FloatArray, out: FloatArray) -> None:  # noqa: N803
    """``out[i, k] = (P[i]^k z0[i])[:keep]`` for every k < ``out.shape[1]``.

    ``P`` is (m, N, N), ``z0`` (m, N) and ``out`` (m, count, keep) with keep <= N, contiguous
    within each member (a block of members of a larger result is fine).
    """
    members, count, keep = out.shape
    size = P.shape[1]
    transposed = np.swapaxes(P, 1, 2)  # row vectors: z_{k+1}^T = z_k^T P^T
    if count <= _SEQUENTIAL and keep == size:
        out[:, 0] = z0
        for k in range(1, count):
            np.matmul(out[:, k - 1:k], transposed, out=out[:, k:k + 1])
        return
    if count <= _SEQUENTIAL:
        state = z0[:, np.newaxis, :]
        out[:, 0] = z0[:, :keep]
        for k in range(1, count):
            state = np.matmul(state, transposed)
            out[:, k] = state[:, 0, :keep]
        return
    powers = _powers(P, _BLOCK + 1)
    blocks = -(-count // _BLOCK)
    starts = np.empty((members, blocks, size))
    _orbit(powers[:, _BLOCK * size:], z0, starts)  # the orbit of P^B
    # right[i, l, j keep + r] = (P[i]^j)[r, l], so that starts @ right lays out, for each block
    # start, the states at its B times one after another: (time, state) order, as the result
    # wants it.  A contiguous copy: OpenBLAS multiplies it faster than the transposed view.
    right = np.ascontiguousarray(
        powers[:, :_BLOCK * size].reshape(members, _BLOCK, size, size)[:, :, :keep, :]
        .transpose(0, 3, 1, 2)
    ).reshape(members, size, _BLOCK * keep)
    full = count // _BLOCK
    # out[:, :full B] seen as (m, full, B keep), a view for an output contiguous within each
    # member, so that the product writes straight into the result.  (A reshape that had to
    # copy would silently lose it, hence the check.)
    rows = out[:, :full * _BLOCK].reshape(members, full, _BLOCK * keep)
    if not np.may_share_memory(rows, out):
        raise ValueError("the orbit's output must be contiguous within each member")
    np.matmul(starts[:, :full], right, out=rows)
    tail = count - full * _BLOCK
    if tail:
        last = np.matmul(starts[:, full:], right[:, :, :tail * keep])
        out[:, full * _BLOCK:] = last.reshape(members, tail, keep)


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@dataclass(frozen=True)
class _Spectral:
    """The eigendecomposition, for times that are not evenly spaced (see the module)."""

    members: NDArray[np.bool_]  # (m,) which members use it (the others use expm)
    real: bool  # every eigenvalue of those members is real
    w: NDArray[Any]  # (k, n) eigenvalues, float or complex
    V: NDArray[Any]  # (k, n, n) eigenvectors
    shifted: NDArray[np.bool_]  # (k,) folded into the steady state (else the phi1 form)
    steady: FloatArray  # (k, n) y_s = -A^-1 b where shifted and forced, else 0
    Vb: ComplexArray  # (k, n) V^-1 b
    augmented: FloatArray  # (m - k, n + 1, n + 1) [[A, b], [0, 0]] of the expm members


def _decompose(stack: FloatArray, forcing: FloatArray) -> _Spectral:
    eigenvalues, vectors = np.linalg.eig(stack)
    with np.errstate(all="ignore"):
        condition = np.linalg.cond(vectors)
    good = np.isfinite(condition) & (condition <= EIGEN_CONDITION_LIMIT)
    # Real arithmetic when every eigenvalue is real (compartment models usually): a quarter of
    # the work of complex arithmetic, and half the memory.
    real = bool(np.all(eigenvalues[good].imag == 0.0))
    kind = np.float64 if real else np.complex128
    w = (eigenvalues[good].real if real else eigenvalues[good]).astype(kind)
    V = (vectors[good].real if real else vectors[good]).astype(kind)  # noqa: N806
    # With b, y = y_s + exp(A t) (y0 - y_s) where A y_s = -b: the steady state shifts the
    # problem to a homogeneous one.  A (nearly) singular A keeps the phi1 form instead.
    forcing_good = forcing[good]
    forced = np.any(forcing_good != 0.0, axis=1)
    with np.errstate(all="ignore"):
        invertible = np.abs(w).min(axis=1, initial=np.inf) > 1e-12 * np.maximum(
            np.abs(w).max(axis=1, initial=0.0), 1e-300)
    steady = np.zeros_like(forcing_good)
    rows = forced & invertible
    if np.any(rows):
        steady[rows] = -np.linalg.solve(stack[good][rows], forcing_good[rows][..., None])[
            ..., 0]
    Vb = np.linalg.solve(  # noqa: N806
        vectors[good].astype(np.complex128), forcing_good[..., np.newaxis])[..., 0]
    n = stack.shape[1]
    bad = ~good
    augmented = np.zeros((int(bad.sum()), n + 1, n + 1))
    augmented[:, :n, :n] = stack[bad]
    augmented[:, :n, n] = forcing[bad]
    return _Spectral(good, real, w, V, ~forced | invertible, steady, Vb, augmented)


class LinearPropagator:
    """The exact flow of ``dy/dt = A y + b`` with constant A (1/s) and b (units of y per s).

    ``A`` has shape ``(n, n)``, or ``(m, n, n)`` for a batch of m independent systems; ``b``
    (optional, zero by default) has shape ``(n,)`` or ``(m, n)``.  Construction only checks
    and stores them: evenly spaced times need no decomposition, and the eigendecomposition
    other times use is computed once, on first use.

    Example
    -------
    >>> import numpy as np
    >>> decay = LinearPropagator(np.array([[-2.0]]), np.array([4.0]))  # relaxes to y = 2
    >>> np.round(decay.propagate([0.0], [0.0, 50.0]), 12).tolist()
    [[0.0], [2.0]]
    """

    def __init__(
        self,
        A: ArrayLike,  # noqa: N803 - the matrix of dy/dt = A y + b
        b: ArrayLike | None = None,
        *,
        submodel: str | None = None,
        field: str | None = None,
    ) -> None:
        matrix = np.asarray(A, dtype=np.float64)
        self.batched = matrix.ndim == 3
        stack = matrix if self.batched else matrix[np.newaxis]
        if stack.ndim != 3 or stack.shape[1] != stack.shape[2] or stack.shape[1] == 0:
            raise ValueError(f"A must have shape (n, n) or (m, n, n), got {matrix.shape}")
        if not np.all(np.isfinite(stack)):
            raise ValueError("A must be finite")
        members, n = stack.shape[0], stack.shape[1]
        forcing = np.zeros((members, n)) if b is None else np.asarray(b, dtype=np.float64)
        if forcing.shape == (n,):
            forcing = np.broadcast_to(forcing, (members, n))
        if forcing.shape != (members, n) or not np.all(np.isfinite(forcing)):
            raise ValueError(f"b must be finite with shape ({n},) or ({members}, {n})")
        self.size = n
        self.submodel = submodel
        self.field = field
        self._A = np.array(stack)  # a copy: the caller may change A afterwards
        self._b = np.array(forcing)
        self._forced = bool(np.any(self._b != 0.0))
        self._spectral: _Spectral | None = None

    @property
    def eigen_members(self) -> NDArray[np.bool_]:
        """Which members use the eigendecomposition, shape (m,).

        It serves times that are not evenly spaced; the other members then use expm at every
        time.  (Evenly spaced times use neither.)  Reading it computes the decomposition if
        no call has needed it yet.
        """
        return self._decomposition().members

    def _decomposition(self) -> _Spectral:
        if self._spectral is None:
            self._spectral = _decompose(self._A, self._b)
        return self._spectral

    def propagate(self, y0: ArrayLike, times: Sequence[float] | FloatArray) -> FloatArray:
        """States at ``times`` (seconds, ascending, from the initial time 0) from ``y(0) = y0``.

        ``y0`` has shape ``(n,)``, or for a batch ``(m, n)`` (an ``(n,)`` state is shared by
        every member).  Returns ``(len(times), n)``, or ``(m, len(times), n)`` for a batch.
        Evenly spaced times (``numpy.linspace``, ``numpy.arange``) take the fast blocked
        propagator; others the eigendecomposition (see the module).

        Example
        -------
        >>> import numpy as np
        >>> batch = LinearPropagator(np.array([[[-1.0]], [[-2.0]]]))
        >>> batch.propagate([1.0], [0.0, 1.0]).shape
        (2, 2, 1)
        """
        t = np.asarray(times, dtype=np.float64).ravel()
        if t.size == 0 or not np.all(np.isfinite(t)) or t[0] < 0.0 or np.any(np.diff(t) < 0.0):
            raise ValueError("times must be finite and ascending from the initial time 0")
        members, n = self._A.shape[0], self.size
        start = np.asarray(y0, dtype=np.float64)
        if start.shape == (n,):
            start = start[np.newaxis] if members == 1 else np.broadcast_to(start, (members, n))
        if start.shape != (members, n):
            expected = f"({members}, {n}) or ({n},)" if self.batched else f"({n},)"
            raise ValueError(f"y0 must have shape {expected}, got {np.shape(y0)}")

        step = _even_step(t)
        finite = False
        if step is not None:
            states, finite = self._even(start, float(t[0]), step, t.size)
        else:
            spectral = self._decomposition()
            good = spectral.members
            states = np.empty((members, t.size, n))
            with np.errstate(over="ignore", invalid="ignore"):
                states[good] = self._eigen(spectral, start[good], t)
                states[~good] = self._expm(spectral, start[~good], t)
        # V (V^-1 y0) is y0 only to round-off; the initial state itself is known exactly.
        # (The times ascend from 0, so the zeros lead.)
        zeros = int(np.searchsorted(t, 0.0, side="right"))
        if zeros:
            states[:, :zeros] = start[:, np.newaxis, :]
        if not finite:
            self._check(states, t)
        return states if self.batched else states[0]

    def _even(self, start: FloatArray, t0: float, step: float, count: int
              ) -> tuple[FloatArray, bool]:
        """The states at t0 + k step (s), k < count, as the blocked orbit of exp(G step).

        Returns them with whether every one is finite (then _check has nothing to find).
        Members go in chunks of _CHUNK: each chunk's temporaries (the powers, some megabytes
        for a whole batch) stay in the cache and are reused rather than freshly mapped, and a
        large batch shares its chunks between THREADS threads.  The result is allocated once
        and first touched chunk by chunk by the thread that computes it, so that the
        kernel's page faults and zeroing (about a third of the cost of writing a fresh 120 MB
        array) are shared between the threads too.
        """
        members, n = start.shape
        states = np.empty((members, count, n))
        chunks = [slice(i, min(i + _CHUNK, members)) for i in range(0, members, _CHUNK)]
        finite = [True] * len(chunks)

        def run(index: int) -> None:
            rows = chunks[index]
            out = states[rows]
            self._even_chunk(start[rows], rows, t0, step, out)
            # A sum is finite only if every term is (inf and nan propagate); taken while the
            # chunk is still in the cache.
            finite[index] = bool(np.isfinite(np.sum(out)))

        threads = min(THREADS, _cpus(), len(chunks))
        if threads < 2 or states.size < PARALLEL_OUTPUTS:
            with np.errstate(over="ignore", invalid="ignore"):
                for index in range(len(chunks)):
                    run(index)
            return states, all(finite)
        pending = iter(range(len(chunks)))
        lock = threading.Lock()

        def drain() -> None:
            # NumPy's error state is per thread: an overflow is reported by _check, with its
            # time, rather than as a warning from whichever thread met it.
            with np.errstate(over="ignore", invalid="ignore"):
                while True:
                    # Chunks are handed out one at a time, to whichever thread is free: a
                    # thread that the OS sets aside for a while then costs only its chunk.
                    with lock:
                        index = next(pending, None)
                    if index is None:
                        return
                    run(index)

        with ThreadPoolExecutor(max_workers=threads - 1) as pool:
            helpers = [pool.submit(drain) for _ in range(threads - 1)]
            drain()
            for helper in helpers:
                helper.result()
        return states, all(finite)

    def _even_chunk(self, start: FloatArray, rows: slice, t0: float, step: float,
                    out: FloatArray) -> None:
        """_even for the members ``rows``: ``out`` (k, count, n) receives their states."""
        chunk, n = start.shape
        # The augmented generator [[A, b], [0, 0]] carries the forcing in its last column,
        # acting on the constant last component 1 of the state; without forcing it is A.
        size = n + 1 if self._forced else n
        generator = np.zeros((chunk, size, size))
        generator[:, :n, :n] = self._A[rows]
        state = np.ones((chunk, size))
        state[:, :n] = start
        if self._forced:
            generator[:, :n, n] = self._b[rows]
        if t0 > 0.0:
            state = np.matmul(_exponential(generator * t0), state[..., np.newaxis])[..., 0]
            state[:, n:] = 1.0  # exact: the bottom row of exp(G t) is [0 .. 0 1]
        if out.shape[1] == 1:
            out[:, 0] = state[:, :n]
            return
        propagator = _exponential(generator * step)
        if self._forced:
            propagator[:, n, :] = 0.0  # as for exp(G t0): exactly [0 .. 0 1]
            propagator[:, n, n] = 1.0
        _orbit(propagator, state, out)

    def _eigen(self, spectral: _Spectral, start: FloatArray, t: FloatArray) -> FloatArray:
        states = np.empty((start.shape[0], t.size, self.size))
        shifted = spectral.shifted
        if np.any(shifted):
            states[shifted] = self._homogeneous(spectral, start[shifted], t, shifted)
        if not np.all(shifted):
            states[~shifted] = self._phi(spectral, start[~shifted], t, ~shifted)
        return states

    def _homogeneous(self, spectral: _Spectral, start: FloatArray, t: FloatArray,
                     which: NDArray[np.bool_]) -> FloatArray:
        """y_s + V diag(exp(w t)) V^-1 (y0 - y_s), for members ``which``."""
        w, vectors, steady = spectral.w[which], spectral.V[which], spectral.steady[which]
        coefficients = np.linalg.solve(vectors, (start - steady)[..., np.newaxis])[..., 0]
        with np.errstate(under="ignore"):
            growth = np.exp(w[:, np.newaxis, :] * t[np.newaxis, :, np.newaxis])  # (m, T, n)
        # y(t)_i = sum_k G_ik e_k(t) with G = V diag(c): one stacked matrix product per member
        # (contiguous operands, so that NumPy hands each to BLAS).
        modes = vectors * coefficients[:, np.newaxis, :]
        if spectral.real:
            states = np.matmul(growth, np.ascontiguousarray(np.swapaxes(modes, 1, 2)))
        else:
            # Re(G e) = Re G Re e - Im G Im e: two real products are several times faster
            # than one complex product of stacked matrices.
            states = np.matmul(np.ascontiguousarray(growth.real),
                               np.ascontiguousarray(np.swapaxes(modes.real, 1, 2)))
            states -= np.matmul(np.ascontiguousarray(growth.imag),
                                np.ascontiguousarray(np.swapaxes(modes.imag, 1, 2)))
        result: FloatArray = states + steady[:, None, :]
        return result

    def _phi(self, spectral: _Spectral, start: FloatArray, t: FloatArray,
             which: NDArray[np.bool_]) -> FloatArray:
        """V [exp(w t) (V^-1 y0) + t phi1(w t) (V^-1 b)] for a singular A with b."""
        w = spectral.w[which].astype(np.complex128)
        vectors = spectral.V[which].astype(np.complex128)
        coefficients = np.linalg.solve(vectors, start[..., np.newaxis].astype(np.complex128))
        z = w[:, np.newaxis, :] * t[np.newaxis, :, np.newaxis]  # (m, T, n)
        modal = np.exp(z) * coefficients[..., 0][:, np.newaxis, :]
        modal += t[np.newaxis, :, np.newaxis] * _phi1(z) * spectral.Vb[which][:, np.newaxis, :]
        # A real A has conjugate eigenpairs whose imaginary parts cancel to round-off.
        states: FloatArray = np.matmul(modal, np.swapaxes(vectors, 1, 2)).real
        return states

    def _expm(self, spectral: _Spectral, start: FloatArray, t: FloatArray) -> FloatArray:
        if start.shape[0] == 0:
            return np.empty((0, t.size, self.size))
        n = self.size
        generators = spectral.augmented[:, np.newaxis] * t[np.newaxis, :, np.newaxis, np.newaxis]
        flows = scipy.linalg.expm(generators)  # (m, T, n + 1, n + 1)
        states: FloatArray = np.einsum("mtij,mj->mti", flows[..., :n, :n], start)
        states += flows[..., :n, n]
        return states

    def _check(self, states: FloatArray, t: FloatArray) -> None:
        # A sum is finite only if every term is (inf and nan propagate), and it reads the
        # result once without a temporary: far cheaper than isfinite over a large batch.
        # Finite values whose sum overflows fall through to the exact search, which passes.
        with np.errstate(over="ignore", invalid="ignore"):
            if np.isfinite(np.sum(states)):
                return
        finite = np.all(np.isfinite(states), axis=(0, 2))
        if not np.all(finite):
            first = float(t[int(np.argmin(finite))])
            raise NumericalFailure(
                "the exact linear solution overflows (an eigenvalue of A has a large positive "
                "real part)",
                submodel=self.submodel,
                field=self.field,
                time=first,
            )
