"""Exact solution of linear constant-coefficient systems ``dy/dt = A y + b``.

Compartment models, linearised kinetics and other linear ODEs need no time stepping: the
solution from ``y(0) = y0`` is

    y(t) = exp(A t) y0 + integral_0^t exp(A s) ds b.

:class:`LinearPropagator` evaluates it at any set of times.  When A is diagonalisable with a
well-conditioned eigenvector matrix V (A = V diag(w) V^-1) it uses

    y(t) = V [exp(w t) * (V^-1 y0) + t phi1(w t) * (V^-1 b)],   phi1(z) = (e^z - 1) / z,

which needs no inverse of A (a singular A, such as a closed compartment model, is fine).
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
        self._w: ComplexArray = eigenvalues[good].astype(np.complex128)
        self._V: ComplexArray = vectors[good].astype(np.complex128)
        self._Vb: ComplexArray = np.linalg.solve(self._V, self._b[good][..., np.newaxis])[..., 0]
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
        coefficients = np.linalg.solve(self._V, start[..., np.newaxis].astype(np.complex128))
        z = self._w[:, np.newaxis, :] * t[np.newaxis, :, np.newaxis]  # (m, T, n)
        modal = np.exp(z) * coefficients[..., 0][:, np.newaxis, :]
        modal += t[np.newaxis, :, np.newaxis] * _phi1(z) * self._Vb[:, np.newaxis, :]
        # A real A has conjugate eigenpairs whose imaginary parts cancel to round-off.
        states: FloatArray = np.einsum("mtk,mik->mti", modal, self._V).real
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
