"""LinearPropagator against scipy.linalg.expm and closed forms."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

from scalebridge.solvers.errors import NumericalFailure
from scalebridge.solvers.linear import LinearPropagator

TIMES = np.array([0.0, 0.1, 1.0, 7.5, 30.0])


def expm_reference(
    matrix: np.ndarray, b: np.ndarray, y0: np.ndarray, times: np.ndarray
) -> np.ndarray:
    """y(t) from the exponential of the augmented generator [[A, b], [0, 0]]."""
    n = matrix.shape[0]
    generator = np.zeros((n + 1, n + 1))
    generator[:n, :n] = matrix
    generator[:n, n] = b
    start = np.append(y0, 1.0)
    return np.array([(scipy.linalg.expm(generator * t) @ start)[:n] for t in times])


def compartments() -> tuple[np.ndarray, np.ndarray]:
    """Four compartments (e.g. blood, liver, tissue, urine) with transfer rates in 1/s.

    Column j holds the outflows of compartment j; a constant infusion b enters compartment 0.
    """
    rates = {(0, 1): 0.8, (1, 0): 0.3, (0, 2): 0.25, (2, 0): 0.05, (1, 3): 0.12, (0, 3): 0.02}
    A = np.zeros((4, 4))
    for (source, target), rate in rates.items():
        A[target, source] += rate
        A[source, source] -= rate
    return A, np.array([0.5, 0.0, 0.0, 0.0])


def relative_error(result: np.ndarray, reference: np.ndarray) -> float:
    return float(np.max(np.abs(result - reference)) / np.max(np.abs(reference)))


def test_compartment_model_with_input_matches_expm() -> None:
    A, b = compartments()
    y0 = np.array([10.0, 0.0, 0.0, 0.0])
    propagator = LinearPropagator(A, b)
    assert propagator.eigen_members.tolist() == [True]  # the fast path was taken
    result = propagator.propagate(y0, TIMES)
    assert result.shape == (5, 4)
    assert np.array_equal(result[0], y0)  # exactly the initial state, not V (V^-1 y0)
    assert relative_error(result, expm_reference(A, b, y0, TIMES)) < 1e-10
    # Column sums of A are zero (a closed system apart from the infusion), so the total grows
    # exactly by the infused amount, although A is singular (urine only accumulates).
    assert result.sum(axis=1) == pytest.approx(10.0 + 0.5 * TIMES, rel=1e-12)


def test_oscillating_non_normal_system_matches_expm() -> None:
    rng = np.random.default_rng(4)
    A = rng.normal(size=(5, 5)) - 0.5 * np.eye(5)
    assert np.iscomplexobj(np.linalg.eigvals(A))  # complex pairs exercise the real part
    b, y0 = rng.normal(size=5), rng.normal(size=5)
    result = LinearPropagator(A, b).propagate(y0, TIMES[:4])
    assert relative_error(result, expm_reference(A, b, y0, TIMES[:4])) < 1e-10


def test_jordan_block_falls_back_to_expm_and_matches_the_closed_form() -> None:
    lam = -0.7
    A = np.array([[lam, 1.0, 0.0], [0.0, lam, 1.0], [0.0, 0.0, lam]])
    propagator = LinearPropagator(A)
    assert propagator.eigen_members.tolist() == [False]
    y0 = np.array([1.0, -2.0, 3.0])
    result = propagator.propagate(y0, TIMES)
    for t, y in zip(TIMES, result, strict=True):
        flow = np.exp(lam * t) * np.array([[1.0, t, t * t / 2.0], [0.0, 1.0, t], [0.0, 0.0, 1.0]])
        assert y == pytest.approx(flow @ y0, rel=1e-10, abs=1e-14)


def test_defective_augmented_system_grows_linearly() -> None:
    # A singular (pure transfer, no loss) with a source in its null space: y grows like t.
    A = np.array([[-1.0, 1.0], [1.0, -1.0]])
    b = np.array([1.0, 1.0])
    result = LinearPropagator(A, b).propagate(np.array([2.0, 0.0]), TIMES)
    assert result.sum(axis=1) == pytest.approx(2.0 + 2.0 * TIMES, rel=1e-12)
    expected = expm_reference(A, b, np.array([2.0, 0.0]), TIMES)
    assert relative_error(result, expected) < 1e-10


def test_batched_propagation_equals_looping() -> None:
    rng = np.random.default_rng(9)
    jordan = np.array([[-1.0, 1.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, -2.0]])
    members = np.stack([rng.normal(size=(3, 3)) - 2.0 * np.eye(3) for _ in range(4)] + [jordan])
    b = rng.normal(size=(5, 3))
    y0 = rng.normal(size=(5, 3))
    batch = LinearPropagator(members, b)
    assert batch.eigen_members.tolist() == [True, True, True, True, False]
    result = batch.propagate(y0, TIMES)
    assert result.shape == (5, 5, 3)
    for m in range(5):
        alone = LinearPropagator(members[m], b[m]).propagate(y0[m], TIMES)
        assert result[m] == pytest.approx(alone, rel=1e-12, abs=1e-14)
        assert relative_error(result[m], expm_reference(members[m], b[m], y0[m], TIMES)) < 1e-10


def test_batch_shares_a_single_initial_state_and_forcing() -> None:
    members = np.stack([-np.eye(2), -2.0 * np.eye(2)])
    result = LinearPropagator(members, np.array([1.0, 2.0])).propagate([0.0, 0.0], [1.0])
    expected = np.array([[1.0, 2.0]]) * (1.0 - np.exp(-np.array([[1.0], [2.0]]))) / [[1.0], [2.0]]
    assert result[:, 0, :] == pytest.approx(expected, rel=1e-12)


def test_times_must_ascend_from_zero_and_shapes_must_match() -> None:
    propagator = LinearPropagator(-np.eye(2))
    with pytest.raises(ValueError, match="ascending"):
        propagator.propagate(np.ones(2), [1.0, 0.5])
    with pytest.raises(ValueError, match="ascending"):
        propagator.propagate(np.ones(2), [-1.0])
    with pytest.raises(ValueError, match="y0 must have shape"):
        propagator.propagate(np.ones(3), [1.0])
    with pytest.raises(ValueError, match="A must have shape"):
        LinearPropagator(np.ones((2, 3)))
    with pytest.raises(ValueError, match="b must"):
        LinearPropagator(-np.eye(2), np.ones(3))


def test_overflow_is_a_numerical_failure_with_the_time() -> None:
    propagator = LinearPropagator(np.array([[800.0]]), field="c")
    with pytest.raises(NumericalFailure, match="overflows") as caught:
        propagator.propagate([1.0], [0.0, 0.5, 1.0, 2.0])
    assert caught.value.time == 1.0
    assert caught.value.field == "c"


def test_a_large_batch_on_an_even_grid_matches_expm_through_the_power_recurrence() -> None:
    # Real eigenvalues (symmetric negative definite exchange matrices, from 0.01 to about
    # 100 per unit time) and m * n >= 2048: the exponentials of the even output grid are
    # accumulated as powers, with the fast modes flushed to zero.
    rng = np.random.default_rng(7)
    members, n = 160, 15
    half = rng.normal(size=(members, n, n))
    a = -(half @ np.swapaxes(half, 1, 2)) - 0.01 * np.eye(n)
    b = rng.uniform(0.0, 1.0, size=(members, n))
    y0 = rng.uniform(0.0, 1.0, size=(members, n))
    times = np.linspace(0.0, 20.0, 401)
    propagator = LinearPropagator(a, b)
    assert propagator.eigen_members.all() and propagator._real  # the path under test
    found = propagator.propagate(y0, times)
    for member in (0, 57, 159):
        augmented = np.zeros((n + 1, n + 1))
        augmented[:n, :n], augmented[:n, n] = a[member], b[member]
        for k in (1, 200, 400):
            flow = scipy.linalg.expm(augmented * times[k])
            exact = flow[:n, :n] @ y0[member] + flow[:n, n]
            scale = np.abs(exact).max()
            assert np.abs(found[member, k] - exact).max() <= 1e-10 * scale
