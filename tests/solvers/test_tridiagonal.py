"""Tridiagonal: factored once with dgttrf, solved with dgttrs, checked against dense solves."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from numpy.typing import NDArray
from scipy.linalg import solve_banded

from scalebridge.errors import SolverError
from scalebridge.solvers.errors import NumericalFailure
from scalebridge.solvers.tridiagonal import SingularMatrixError, Tridiagonal


def dominant_system(
    n: int, seed: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Random (lower, diag, upper) with |diag| > |lower| + |upper| in every row, signs mixed."""
    rng = np.random.default_rng(seed)
    lower, upper = rng.uniform(-1, 1, n - 1), rng.uniform(-1, 1, n - 1)
    diag = (2.5 + rng.random(n)) * rng.choice([-1.0, 1.0], n)
    return lower, diag, upper


def dense(
    lower: NDArray[np.float64], diag: NDArray[np.float64], upper: NDArray[np.float64]
) -> NDArray[np.float64]:
    return np.diag(diag) + np.diag(lower, -1) + np.diag(upper, 1)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 17, 200])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_solve_matches_numpy_linalg_solve(n: int, seed: int) -> None:
    lower, diag, upper = dominant_system(n, seed)
    matrix = Tridiagonal(lower, diag, upper)
    assert matrix.shape == (n, n)
    np.testing.assert_array_equal(matrix.to_dense(), dense(lower, diag, upper))
    rng = np.random.default_rng(100 + seed)
    b = rng.standard_normal(n)
    expected = np.linalg.solve(dense(lower, diag, upper), b)
    x = matrix.solve(b)
    assert x.shape == (n,)
    np.testing.assert_allclose(x, expected, rtol=1e-12, atol=1e-12)
    # Many right-hand sides at once, and one at a time from the same factorisation.
    many = rng.standard_normal((n, 5))
    np.testing.assert_allclose(matrix.solve(many), np.linalg.solve(dense(lower, diag, upper),
                                                                   many), rtol=1e-12, atol=1e-12)
    for column in many.T:
        np.testing.assert_allclose(matrix.matvec(matrix.solve(column)), column,
                                   rtol=1e-12, atol=1e-12)


def test_pivoting_handles_a_zero_leading_diagonal() -> None:
    # Not diagonally dominant and d[0] == 0: only partial pivoting gets this right.
    lower, diag, upper = np.array([1.0, 2.0, 1.0]), np.array([0.0, 1.0, 3.0, 1.0]), \
        np.array([2.0, 1.0, 1.0])
    b = np.array([1.0, 2.0, 3.0, 4.0])
    x = Tridiagonal(lower, diag, upper).solve(b)
    np.testing.assert_allclose(x, np.linalg.solve(dense(lower, diag, upper), b), rtol=1e-13)


def test_from_banded_agrees_with_solve_banded() -> None:
    lower, diag, upper = dominant_system(50, 7)
    ab = np.zeros((3, 50))
    ab[0, 1:], ab[1], ab[2, :-1] = upper, diag, lower
    b = np.random.default_rng(8).standard_normal(50)
    x = Tridiagonal.from_banded(ab).solve(b)
    np.testing.assert_allclose(x, solve_banded((1, 1), ab, b), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(Tridiagonal.from_banded(ab).to_dense(),
                                  dense(lower, diag, upper))
    with pytest.raises(ValueError, match=r"\(3, n\)"):
        Tridiagonal.from_banded(np.zeros((2, 5)))


def test_overwrite_b_solves_in_place_and_default_does_not() -> None:
    lower, diag, upper = dominant_system(30, 3)
    matrix = Tridiagonal(lower, diag, upper)
    b = np.random.default_rng(9).standard_normal(30)
    kept = b.copy()
    x = matrix.solve(b)
    np.testing.assert_array_equal(b, kept)
    assert not np.shares_memory(x, b)
    y = matrix.solve(b, overwrite_b=True)
    assert np.shares_memory(y, b)
    np.testing.assert_allclose(y, x, rtol=1e-15)


def test_an_implicit_diffusion_loop_reuses_one_factorisation() -> None:
    # Backward Euler for u_t = u_xx on 100 cells, zero walls: the lowest sine mode decays by
    # 1 / (1 + r * 4 sin^2(pi / (2 (n + 1)))) per step.
    n, r = 100, 2.0
    implicit = Tridiagonal(np.full(n - 1, -r), np.full(n, 1 + 2 * r), np.full(n - 1, -r))
    mode = np.sin(np.pi * np.arange(1, n + 1) / (n + 1))
    u = mode.copy()
    for _ in range(10):
        u = implicit.solve(u, overwrite_b=True)
    factor = 1 / (1 + r * 4 * np.sin(np.pi / (2 * (n + 1))) ** 2)
    np.testing.assert_allclose(u, factor**10 * mode, rtol=1e-12, atol=1e-14)


def test_an_exactly_singular_matrix_is_refused() -> None:
    # The second row is a copy of the first.
    with pytest.raises(SingularMatrixError, match="singular") as caught:
        Tridiagonal([1.0, 0.0], [1.0, 1.0, 2.0], [1.0, 0.0], submodel="rod", field="T")
    assert isinstance(caught.value, NumericalFailure)
    assert isinstance(caught.value, SolverError)
    assert isinstance(caught.value, np.linalg.LinAlgError)
    assert str(caught.value).startswith("submodel 'rod', field 'T': ")
    copy = pickle.loads(pickle.dumps(caught.value))
    assert type(copy) is SingularMatrixError and copy.field == "T"
    with pytest.raises(SingularMatrixError, match="singular"):
        Tridiagonal([], [0.0], [])


def test_a_numerically_singular_matrix_is_refused() -> None:
    # A Neumann (no-flux) diffusion matrix with uneven conductances w: its rows sum to zero,
    # so it is singular, but elimination leaves a last pivot of round-off (about 1e-15), not
    # an exact zero; the condition estimate catches it.
    n = 64
    w = np.random.default_rng(0).uniform(0.5, 2.0, n - 1)
    diag = np.zeros(n)
    diag[:-1] += w
    diag[1:] += w
    with pytest.raises(SingularMatrixError, match="working precision"):
        Tridiagonal(-w, diag, -w)
    # With a little capacity added (an implicit time step) it is fine, and well conditioned.
    assert 1e-3 < Tridiagonal(-w, diag + 0.1, -w).rcond < 1.0


def test_bad_shapes_and_values_are_refused() -> None:
    with pytest.raises(ValueError, match="n - 1"):
        Tridiagonal([1.0], [1.0, 2.0, 3.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="at least one row"):
        Tridiagonal([], [], [])
    with pytest.raises(ValueError, match="non-finite"):
        Tridiagonal([1.0], [np.nan, 2.0], [1.0])
    matrix = Tridiagonal([1.0], [3.0, 3.0], [1.0])
    with pytest.raises(ValueError, match="shape"):
        matrix.solve(np.ones(3))
    with pytest.raises(ValueError, match="shape"):
        matrix.matvec(np.ones((2, 2, 2)))
