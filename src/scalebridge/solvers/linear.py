"""Exact solution of linear constant-coefficient systems ``dy/dt = A y + b``.

Compartment models, linearised kinetics and other linear ODEs need no time stepping: the
solution from ``y(0) = y0`` is

    y(t) = exp(A t) y0 + integral_0^t exp(A s) ds b.

:class:`LinearPropagator` evaluates it at any set of times.  When A is diagonalisable with a
well-conditioned eigenvector matrix V (A = V diag(w) V^-1) it uses

    y(t) = V [exp(w t) * (V^-1 y0) + t phi1(w t) * (V^-1 b)],   phi1(z) = (e^z - 1) / z,

which needs no inverse of A (a singular A, such as a closed compartment model, is fine); when
A is invertible the forcing is folded into the steady state y_s = -A^-1 b instead,
y(t) = y_s + V exp(w t) V^-1 (y0 - y_s), in real arithmetic when the eigenvalues are real, with
the exponentials of an evenly spaced output grid accumulated as powers (see _exponentials).
Otherwise (a defective or nearly defective A) it falls back to :func:`scipy.linalg.expm` of the
augmented matrix ``[[A, b], [0, 0]]``, whose exponential carries both terms.  Units: A in 1/s, b
in units of y per second, times in seconds.

Example
-------
>>> import numpy as np
>>> A = np.array([[-1.0, 0.0], [1.0, -0.5]])  # compartment 1 drains into compartment 2
>>> y = LinearPropagator(A).propagate(np.array([1.0, 0.0]), [0.0, 1.0])
>>> bool(np.isclose(y[1, 0], np.exp(-1.0)))
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.linalg
from numpy.typing import ArrayLike, NDArray

from scalebridge.solvers.errors import NumericalFailure

__all__ = ["EIGEN_CONDITION_LIMIT", "LinearPropagator"]

FloatArray = NDArray[np.float64]
ComplexArray = NDArray[np.complex128]

#: Largest condition number of the eigenvector matrix for which the eigendecomposition is
#: trusted.  Its rounding error grows like cond(V) * eps, so 1e4 keeps the result within about
#: 1e-12 of the exact exponential; beyond it the slower expm is used.
EIGEN_CONDITION_LIMIT = 1e4


def _phi1(z: ComplexArray) -> ComplexArray:
    """``(e^z - 1) / z`` without cancellation near 0 (numpy's complex expm1 is accurate)."""
    safe = np.where(z == 0.0, 1.0, z)
    result: ComplexArray = np.where(z == 0.0, 1.0, np.expm1(safe) / safe)
    return result


def _exponentials(w: NDArray[np.float64] | ComplexArray, t: FloatArray
                  ) -> NDArray[np.float64] | ComplexArray:
    """exp(w t) for every member, time and eigenvalue, shape (m, T, n).

    For a large batch on evenly spaced times from 0 (the usual output grid) the powers of
    exp(w dt) are accumulated by multiplication, one time at a time over the whole batch: an
    exponential costs some twenty multiplications here.  Powers that fall below 1e-290 are
    set to zero (they would otherwise turn subnormal, which is slow, and they are zero to any
    precision a result carries).  The rounding this adds, about k machine epsilons at the k-th
    time, stays far below 1e-10.  A small problem, or complex eigenvalues, take the
    exponentials directly (a Python loop over times would cost more than it saves).
    """
    steps = np.diff(t)
    uniform = (t.size > 2 and t[0] == 0.0
               and bool(np.all(np.abs(steps - steps[0]) <= 1e-12 * abs(steps[0]))))
    if not uniform or w.size < 2048 or np.iscomplexobj(w):
        with np.errstate(under="ignore"):
            exponentials: Any = np.exp(w[:, np.newaxis, :] * t[np.newaxis, :, np.newaxis])
        return exponentials  # type: ignore[no-any-return]
    ratio = np.exp(w * steps[0])  # (m, n)
    powers: Any = np.empty((w.shape[0], t.size, w.shape[1]), dtype=w.dtype)
    powers[:, 0, :] = 1.0
    current = np.ones_like(ratio)
    with np.errstate(under="ignore"):
        for k in range(1, t.size):
            np.multiply(current, ratio, out=current)
            current[np.abs(current) < 1e-290] = 0.0
            powers[:, k, :] = current
    return powers  # type: ignore[no-any-return]


class LinearPropagator:
    """The exact flow of ``dy/dt = A y + b`` with constant A (1/s) and b (units of y per s).

    ``A`` has shape ``(n, n)``, or ``(m, n, n)`` for a batch of m independent systems; ``b``
    (optional, zero by default) has shape ``(n,)`` or ``(m, n)``.  The decomposition is done
    once, here, so propagating many initial states is cheap.

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
        self._A = stack
        self._b = np.array(forcing)

        eigenvalues, vectors = np.linalg.eig(stack)
        with np.errstate(all="ignore"):
            condition = np.linalg.cond(vectors)
        #: Which members use the eigendecomposition (the others use expm), shape (m,).
        self.eigen_members: NDArray[np.bool_] = np.isfinite(condition) & (
            condition <= EIGEN_CONDITION_LIMIT
        )
        good = self.eigen_members
        # Real arithmetic when every eigenvalue is real (compartment models usually): a
        # quarter of the work of complex arithmetic, and half the memory.
        self._real = bool(np.all(eigenvalues[good].imag == 0.0))
        kind = np.float64 if self._real else np.complex128
        self._w = (eigenvalues[good].real if self._real else eigenvalues[good]).astype(kind)
        self._V = (vectors[good].real if self._real else vectors[good]).astype(kind)
        # With b, y = y_s + exp(A t) (y0 - y_s) where A y_s = -b: the steady state shifts the
        # problem to a homogeneous one.  A (nearly) singular A keeps the phi1 form instead.
        forcing_good = self._b[good]
        forced = np.any(forcing_good != 0.0, axis=1)
        with np.errstate(all="ignore"):
            invertible = np.abs(self._w).min(axis=1, initial=np.inf) > 1e-12 * np.maximum(
                np.abs(self._w).max(axis=1, initial=0.0), 1e-300)
        self._shifted = ~forced | invertible
        steady = np.zeros_like(forcing_good)
        rows = forced & invertible
        if np.any(rows):
            steady[rows] = -np.linalg.solve(stack[good][rows], forcing_good[rows][..., None])[
                ..., 0]
        self._steady = steady
        self._Vb = np.linalg.solve(
            vectors[good].astype(np.complex128), forcing_good[..., np.newaxis]
        )[..., 0]
        # The augmented generator [[A, b], [0, 0]] for the members that need expm.
        bad = ~good
        augmented = np.zeros((int(bad.sum()), n + 1, n + 1))
        augmented[:, :n, :n] = stack[bad]
        augmented[:, :n, n] = self._b[bad]
        self._augmented = augmented

    def propagate(self, y0: ArrayLike, times: Sequence[float] | FloatArray) -> FloatArray:
        """States at ``times`` (seconds, ascending, from the initial time 0) from ``y(0) = y0``.

        ``y0`` has shape ``(n,)``, or for a batch ``(m, n)`` (an ``(n,)`` state is shared by
        every member).  Returns ``(len(times), n)``, or ``(m, len(times), n)`` for a batch.

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
            start = np.broadcast_to(start, (members, n))
        if start.shape != (members, n):
            expected = f"({members}, {n}) or ({n},)" if self.batched else f"({n},)"
            raise ValueError(f"y0 must have shape {expected}, got {np.shape(y0)}")

        states = np.empty((members, t.size, n))
        with np.errstate(over="ignore", invalid="ignore"):
            states[self.eigen_members] = self._eigen(start[self.eigen_members], t)
            states[~self.eigen_members] = self._expm(start[~self.eigen_members], t)
        # V (V^-1 y0) is y0 only to round-off; the initial state itself is known exactly.
        states[:, t == 0.0, :] = start[:, np.newaxis, :]
        self._check(states, t)
        return states if self.batched else states[0]

    def _eigen(self, start: FloatArray, t: FloatArray) -> FloatArray:
        states = np.empty((start.shape[0], t.size, self.size))
        shifted = self._shifted
        if np.any(shifted):
            states[shifted] = self._homogeneous(start[shifted], t, shifted)
        if not np.all(shifted):
            states[~shifted] = self._phi(start[~shifted], t, ~shifted)
        return states

    def _homogeneous(self, start: FloatArray, t: FloatArray, which: NDArray[np.bool_]
                     ) -> FloatArray:
        """y_s + V diag(exp(w t)) V^-1 (y0 - y_s), for members ``which``."""
        w, vectors, steady = self._w[which], self._V[which], self._steady[which]
        coefficients = np.linalg.solve(vectors, (start - steady)[..., np.newaxis])[..., 0]
        growth = _exponentials(w, t)  # (m, T, n)
        # y(t)_i = sum_k G_ik e_k(t) with G = V diag(c): one stacked matrix product per member
        # (contiguous operands, so that NumPy hands each to BLAS).
        modes = vectors * coefficients[:, np.newaxis, :]
        if self._real:
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

    def _phi(self, start: FloatArray, t: FloatArray, which: NDArray[np.bool_]) -> FloatArray:
        """V [exp(w t) (V^-1 y0) + t phi1(w t) (V^-1 b)] for a singular A with b."""
        w = self._w[which].astype(np.complex128)
        vectors = self._V[which].astype(np.complex128)
        coefficients = np.linalg.solve(vectors, start[..., np.newaxis].astype(np.complex128))
        z = w[:, np.newaxis, :] * t[np.newaxis, :, np.newaxis]  # (m, T, n)
        modal = np.exp(z) * coefficients[..., 0][:, np.newaxis, :]
        modal += t[np.newaxis, :, np.newaxis] * _phi1(z) * self._Vb[which][:, np.newaxis, :]
        # A real A has conjugate eigenpairs whose imaginary parts cancel to round-off.
        states: FloatArray = np.matmul(modal, np.swapaxes(vectors, 1, 2)).real
        return states

    def _expm(self, start: FloatArray, t: FloatArray) -> FloatArray:
        if start.shape[0] == 0:
            return np.empty((0, t.size, self.size))
        n = self.size
        generators = self._augmented[:, np.newaxis] * t[np.newaxis, :, np.newaxis, np.newaxis]
        flows = scipy.linalg.expm(generators)  # (m, T, n + 1, n + 1)
        states: FloatArray = np.einsum("mtij,mj->mti", flows[..., :n, :n], start)
        states += flows[..., :n, n]
        return states

    def _check(self, states: FloatArray, t: FloatArray) -> None:
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
