"""Tridiagonal systems: factor once with LAPACK ``dgttrf``, solve many right-hand sides.

Implicit 1-D schemes (backward Euler or Crank-Nicolson diffusion with a fixed step) solve the
same tridiagonal matrix every step.  :class:`Tridiagonal` computes its LU factorisation with
partial pivoting once, in O(n), and each :meth:`Tridiagonal.solve` is then one O(n) call of
``dgttrs``.  A matrix that is singular, exactly or to working precision, is refused when it
is factored, with :class:`SingularMatrixError`.

The matrix is dimensionless here: its entries carry whatever unit the caller's scheme gives
them, and a solution has the unit of the right-hand side divided by that of the matrix.

Example
-------
Backward Euler for ``du/dt = D u''`` on 4 cells (zero Dirichlet walls) with
``r = D dt / dx**2 = 1``: ``(1 + 2r) u_i - r u_{i-1} - r u_{i+1} = u_i(old)``.

>>> import numpy as np
>>> n, r = 4, 1.0
>>> implicit = Tridiagonal(np.full(n - 1, -r), np.full(n, 1 + 2 * r), np.full(n - 1, -r))
>>> u = implicit.solve(np.array([0.0, 1.0, 1.0, 0.0]))
>>> bool(np.allclose(implicit.matvec(u), [0.0, 1.0, 1.0, 0.0]))
True
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.linalg import lapack

from scalebridge.solvers.errors import NumericalFailure

__all__ = ["SingularMatrixError", "Tridiagonal"]

FloatArray = NDArray[np.float64]

# SciPy's dgttrf wrapper rejects n < 3 (its bound for du2, n - 2, trips its size checks), so
# smaller matrices are padded with identity rows to this size; the padding is decoupled from
# the real unknowns and does not change their solution.
_MIN_LAPACK_SIZE = 3


class SingularMatrixError(NumericalFailure, np.linalg.LinAlgError):
    """The tridiagonal matrix is singular, or so ill-conditioned that a solve means nothing.

    It is the library's :class:`~scalebridge.solvers.errors.NumericalFailure` (so also a
    :class:`scalebridge.errors.SolverError`) and a :class:`numpy.linalg.LinAlgError`, so any
    of those ``except`` clauses catches it.

    >>> error = SingularMatrixError("zero pivot", field="T")
    >>> isinstance(error, np.linalg.LinAlgError), str(error)
    (True, "field 'T': zero pivot")
    """

    def __reduce__(self) -> tuple[Any, ...]:
        # NumericalFailure pickles as itself; keep the subclass across process boundaries.
        return (_rebuild_singular, (self.message, self.submodel, self.field, self.time))


def _rebuild_singular(
    message: str, submodel: str | None, field: str | None, time: float | None
) -> SingularMatrixError:
    return SingularMatrixError(message, submodel=submodel, field=field, time=time)


class Tridiagonal:
    """An n x n tridiagonal matrix, LU-factored once (LAPACK ``dgttrf``), for repeated solves.

    ``lower`` (length n - 1) is the sub-diagonal ``A[i + 1, i]``, ``diag`` (length n) the
    diagonal ``A[i, i]`` and ``upper`` (length n - 1) the super-diagonal ``A[i, i + 1]``.  The
    inputs are copied; the object is immutable afterwards.  The constructor checks that the
    entries are finite and raises :class:`SingularMatrixError` when the matrix is singular:
    an exactly zero pivot, or a reciprocal condition number (1-norm, LAPACK ``dgtcon``) below
    machine epsilon.  ``submodel`` and ``field`` name the matrix's owner in that error.

    >>> import numpy as np
    >>> a = Tridiagonal([1.0, 1.0], [4.0, 4.0, 4.0], [1.0, 1.0])
    >>> a.shape
    (3, 3)
    >>> x = a.solve([5.0, 6.0, 5.0])
    >>> x.tolist()
    [1.0, 1.0, 1.0]
    """

    __slots__ = ("_du2", "_factors", "_ipiv", "_matrix", "_n", "_pad", "rcond")

    def __init__(
        self,
        lower: ArrayLike,
        diag: ArrayLike,
        upper: ArrayLike,
        *,
        submodel: str | None = None,
        field: str | None = None,
    ) -> None:
        d = np.array(diag, dtype=np.float64).ravel()
        dl = np.array(lower, dtype=np.float64).ravel()
        du = np.array(upper, dtype=np.float64).ravel()
        n = d.size
        if n == 0:
            raise ValueError("a tridiagonal matrix needs at least one row")
        if dl.size != n - 1 or du.size != n - 1:
            raise ValueError(
                f"lower and upper need n - 1 = {n - 1} entries for a diagonal of {n}, "
                f"got {dl.size} and {du.size}"
            )
        if not (np.isfinite(d).all() and np.isfinite(dl).all() and np.isfinite(du).all()):
            raise ValueError("the tridiagonal matrix has a non-finite entry (NaN or inf)")
        self._n = n
        self._matrix = (dl, d, du)
        self._pad = max(0, _MIN_LAPACK_SIZE - n)
        if self._pad:
            d = np.concatenate([d, np.ones(self._pad)])
            dl = np.concatenate([dl, np.zeros(self._pad)])
            du = np.concatenate([du, np.zeros(self._pad)])
        fl, fd, fu, du2, ipiv, info = lapack.dgttrf(dl, d, du)
        if info < 0:  # pragma: no cover - an argument error would be a bug here
            raise ValueError(f"dgttrf rejected argument {-info}")
        if info > 0:
            raise SingularMatrixError(
                f"the {n} x {n} tridiagonal matrix is singular: its LU factor U has a zero "
                f"pivot in row {info - 1}",
                submodel=submodel,
                field=field,
            )
        self._factors = (fl, fd, fu)
        self._du2 = du2
        self._ipiv = ipiv
        rcond, info = lapack.dgtcon(fl, fd, fu, du2, ipiv, _one_norm(dl, d, du))
        self.rcond: float = float(rcond)
        """Estimated reciprocal condition number in the 1-norm (1 is perfect, 0 singular)."""
        if self.rcond < np.finfo(np.float64).eps:
            raise SingularMatrixError(
                f"the {n} x {n} tridiagonal matrix is singular to working precision "
                f"(reciprocal condition number {self.rcond:.1e})",
                submodel=submodel,
                field=field,
            )

    @classmethod
    def from_banded(
        cls, ab: ArrayLike, *, submodel: str | None = None, field: str | None = None
    ) -> Tridiagonal:
        """Build from the (3, n) band storage of :func:`scipy.linalg.solve_banded`, (l, u) = (1, 1).

        ``ab[0, 1:]`` is the super-diagonal, ``ab[1]`` the diagonal and ``ab[2, :-1]`` the
        sub-diagonal; ``ab[0, 0]`` and ``ab[2, -1]`` are unused.

        >>> import numpy as np
        >>> ab = np.array([[0.0, 1.0, 1.0], [4.0, 4.0, 4.0], [1.0, 1.0, 0.0]])
        >>> Tridiagonal.from_banded(ab).solve([5.0, 6.0, 5.0]).tolist()
        [1.0, 1.0, 1.0]
        """
        band = np.asarray(ab, dtype=np.float64)
        if band.ndim != 2 or band.shape[0] != 3:
            raise ValueError(f"banded storage must have shape (3, n), got {band.shape}")
        return cls(band[2, :-1], band[1], band[0, 1:], submodel=submodel, field=field)

    @property
    def shape(self) -> tuple[int, int]:
        """``(n, n)``."""
        return self._n, self._n

    def solve(self, b: ArrayLike, *, overwrite_b: bool = False) -> FloatArray:
        """Solve ``A x = b`` for one right-hand side (shape ``(n,)``) or many (``(n, k)``).

        Returns ``x`` with the shape of ``b``.  With ``overwrite_b=True`` and ``b`` a float64
        array that is Fortran-contiguous (any 1-D contiguous array is), ``x`` is written into
        ``b``'s memory and no copy is made, which is what a time loop wants.  NaN in ``b`` is
        not checked for: it propagates into ``x``.

        >>> import numpy as np
        >>> a = Tridiagonal([1.0], [2.0, 2.0], [0.0])
        >>> a.solve(np.array([[2.0, 4.0], [3.0, 6.0]])).tolist()
        [[1.0, 2.0], [1.0, 2.0]]
        """
        rhs = np.asarray(b, dtype=np.float64)
        if rhs.ndim not in (1, 2) or rhs.shape[0] != self._n:
            raise ValueError(f"b must have shape ({self._n},) or ({self._n}, k), got {rhs.shape}")
        if self._pad:
            padded = np.zeros((self._n + self._pad, *rhs.shape[1:]))
            padded[: self._n] = rhs
            rhs, overwrite_b = padded, True
        fl, fd, fu = self._factors
        x, info = lapack.dgttrs(fl, fd, fu, self._du2, self._ipiv, rhs, overwrite_b=overwrite_b)
        if info != 0:  # pragma: no cover - only an argument error, a bug here
            raise ValueError(f"dgttrs rejected argument {-info}")
        result: FloatArray = x[: self._n] if self._pad else x
        return result

    def matvec(self, x: ArrayLike) -> FloatArray:
        """``A @ x`` for ``x`` of shape ``(n,)`` or ``(n, k)``, from the unfactored entries.

        >>> Tridiagonal([1.0], [2.0, 3.0], [4.0]).matvec([1.0, 1.0]).tolist()
        [6.0, 4.0]
        """
        v = np.asarray(x, dtype=np.float64)
        if v.ndim not in (1, 2) or v.shape[0] != self._n:
            raise ValueError(f"x must have shape ({self._n},) or ({self._n}, k), got {v.shape}")
        dl, d, du = self._matrix
        column = (slice(None),) + (None,) * (v.ndim - 1)  # broadcast over right-hand sides
        y = d[column] * v
        y[:-1] += du[column] * v[1:]
        y[1:] += dl[column] * v[:-1]
        return y

    def to_dense(self) -> FloatArray:
        """The matrix as a dense ``(n, n)`` array (for checks and small problems).

        >>> Tridiagonal([1.0], [2.0, 3.0], [4.0]).to_dense().tolist()
        [[2.0, 4.0], [1.0, 3.0]]
        """
        dl, d, du = self._matrix
        return np.diag(d) + np.diag(du, 1) + np.diag(dl, -1)


def _one_norm(dl: FloatArray, d: FloatArray, du: FloatArray) -> float:
    """Largest absolute column sum of the tridiagonal matrix (the 1-norm, for ``dgtcon``)."""
    columns = np.abs(d)
    columns[:-1] += np.abs(dl)
    columns[1:] += np.abs(du)
    return float(columns.max())
