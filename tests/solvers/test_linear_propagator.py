"""LinearPropagator against scipy.linalg.expm and closed forms.

``TIMES`` is deliberately uneven: those tests exercise the eigendecomposition.  Evenly spaced
times (numpy.linspace) take the blocked orbit of exp(G dt), tested below at every time.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import scipy.linalg

from scalebridge.solvers import linear
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


# --- evenly spaced times: the blocked orbit of exp(G dt) ---------------------------------


def oscillating() -> np.ndarray:
    """4 x 4 with two complex pairs (decaying spirals), so no real eigenbasis."""
    return np.array([[-0.1, 1.0, 0.0, 0.0], [-1.0, -0.1, 0.5, 0.0],
                     [0.0, 0.0, -0.3, 2.0], [0.2, 0.0, -2.0, -0.3]])


def defective() -> np.ndarray:
    """A 3 x 3 Jordan block (no eigenbasis at all) and a separate decaying state."""
    return np.array([[-0.7, 1.0, 0.0, 0.0], [0.0, -0.7, 1.0, 0.0],
                     [0.0, 0.0, -0.7, 0.0], [0.0, 0.0, 0.0, -2.0]])


def mixed_batch() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The three kinds of system above, twice each with different forcing: (A, b, y0)."""
    closed, infusion = compartments()
    matrices = np.stack([oscillating(), defective(), closed] * 2)
    forcing = np.stack([np.zeros(4), np.zeros(4), infusion,
                        np.array([0.3, -0.2, 0.1, 0.0]), np.ones(4), 2.0 * infusion])
    starts = np.stack([np.array([1.0, 0.0, -1.0, 0.5]), np.array([1.0, -2.0, 3.0, 1.0]),
                       np.array([10.0, 0.0, 0.0, 0.0])] * 2)
    return matrices, forcing, starts


def assert_matches_expm(found: np.ndarray, matrix: np.ndarray, b: np.ndarray, y0: np.ndarray,
                        times: np.ndarray) -> None:
    """Every time, to 1e-10 of the largest state of the trajectory."""
    expected = expm_reference(matrix, b, y0, times)
    assert found.shape == expected.shape
    assert relative_error(found, expected) < 1e-10


# Counts around the block size B = 8 and the sequential cut-off 16: one time, two, a short
# sequential orbit, the cut-off itself, one above it (the first blocked level, with a tail),
# a multiple of B, two levels with a tail, three levels with a tail.
COUNTS = [1, 2, 7, 16, 17, 24, 131, 1001]


@pytest.mark.parametrize("count", COUNTS)
def test_even_grid_complex_eigenvalues_match_expm_at_every_time(count: int) -> None:
    assert np.iscomplexobj(np.linalg.eigvals(oscillating()))
    times = np.linspace(0.0, 40.0, count)
    y0 = np.array([1.0, 0.0, -1.0, 0.5])
    found = LinearPropagator(oscillating()).propagate(y0, times)
    assert_matches_expm(found, oscillating(), np.zeros(4), y0, times)
    assert np.array_equal(found[0], y0)  # exactly the initial state at t = 0


@pytest.mark.parametrize("count", COUNTS)
def test_even_grid_defective_matrix_matches_expm_at_every_time(count: int) -> None:
    times = np.linspace(0.0, 25.0, count)
    y0 = np.array([1.0, -2.0, 3.0, 1.0])
    found = LinearPropagator(defective(), np.ones(4)).propagate(y0, times)
    assert_matches_expm(found, defective(), np.ones(4), y0, times)


@pytest.mark.parametrize("count", COUNTS)
def test_even_grid_singular_closed_system_with_forcing_matches_expm(count: int) -> None:
    A, b = compartments()
    assert abs(np.linalg.det(A)) < 1e-15  # urine only accumulates: A is singular
    times = np.linspace(0.0, 60.0, count)
    y0 = np.array([10.0, 0.0, 0.0, 0.0])
    found = LinearPropagator(A, b).propagate(y0, times)
    assert_matches_expm(found, A, b, y0, times)
    # The columns of A sum to zero: the total grows exactly by the infused amount.
    assert found.sum(axis=1) == pytest.approx(10.0 + 0.5 * times, rel=1e-12)


@pytest.mark.parametrize("count", COUNTS)
def test_even_grid_mixed_batch_matches_expm_member_by_member(count: int) -> None:
    matrices, forcing, starts = mixed_batch()
    times = np.linspace(0.0, 30.0, count)
    found = LinearPropagator(matrices, forcing).propagate(starts, times)
    assert found.shape == (6, count, 4)
    for m in range(6):
        assert_matches_expm(found[m], matrices[m], forcing[m], starts[m], times)


@pytest.mark.parametrize("count", [1, 2, 16, 17, 131])
def test_even_grid_from_a_later_first_time_matches_expm(count: int) -> None:
    # t0 > 0: the grid starts after the initial time (state exp(G t0) z0, then P^k).
    matrices, forcing, starts = mixed_batch()
    times = 2.5 + np.arange(count) * 0.75
    found = LinearPropagator(matrices, forcing).propagate(starts, times)
    for m in range(6):
        assert_matches_expm(found[m], matrices[m], forcing[m], starts[m], times)
    assert not np.array_equal(found[:, 0], starts)  # t0 > 0 is not the initial state


def test_batched_even_grid_equals_single_solves() -> None:
    # Twelve members take the batched Pade exponential, single solves scipy's expm: the two
    # agree to round-off, and so do the orbits built on them.
    matrices, forcing, starts = mixed_batch()
    matrices = np.concatenate([matrices, 0.5 * matrices])
    forcing, starts = np.concatenate([forcing, forcing]), np.concatenate([starts, -starts])
    times = np.linspace(0.0, 20.0, 333)
    batch = LinearPropagator(matrices, forcing).propagate(starts, times)
    for m in range(len(matrices)):
        alone = LinearPropagator(matrices[m], forcing[m]).propagate(starts[m], times)
        assert np.abs(batch[m] - alone).max() <= 1e-12 * np.abs(alone).max()


def test_even_and_uneven_times_agree() -> None:
    # A grid perturbed by 1e-9 of its step is not even: the eigendecomposition takes it, and
    # both methods give the same states to round-off.
    A, b = compartments()
    y0 = np.array([10.0, 0.0, 0.0, 0.0])
    even = np.linspace(0.0, 30.0, 61)
    uneven = even.copy()
    uneven[7] += 0.5e-9
    propagator = LinearPropagator(A, b)
    assert linear._even_step(even) == pytest.approx(0.5)
    assert linear._even_step(uneven) is None
    found_even = propagator.propagate(y0, even)
    found_uneven = propagator.propagate(y0, uneven)
    assert relative_error(found_even, found_uneven) < 1e-9


def test_even_grid_needs_no_eigendecomposition(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: Any) -> None:
        raise AssertionError("the even grid must not decompose A")

    monkeypatch.setattr(linear, "_decompose", refuse)
    found = LinearPropagator(defective()).propagate(np.ones(4), np.linspace(0.0, 5.0, 50))
    assert found.shape == (50, 4)
    with pytest.raises(AssertionError, match="must not decompose"):
        LinearPropagator(defective()).propagate(np.ones(4), [0.0, 1.0, 3.0])


def test_a_large_batch_on_an_even_grid_matches_expm_across_threads() -> None:
    # Real eigenvalues from 0.01 to about 100 per unit time (symmetric negative definite
    # exchange matrices) and 170 x 401 x 15 > 10^6 outputs: the members go in chunks, shared
    # between two threads where two CPUs are free.
    rng = np.random.default_rng(7)
    members, n = 170, 15
    half = rng.normal(size=(members, n, n))
    a = -(half @ np.swapaxes(half, 1, 2)) - 0.01 * np.eye(n)
    b = rng.uniform(0.0, 1.0, size=(members, n))
    y0 = rng.uniform(0.0, 1.0, size=(members, n))
    times = np.linspace(0.0, 20.0, 401)
    assert members * times.size * n >= linear.PARALLEL_OUTPUTS
    found = LinearPropagator(a, b).propagate(y0, times)
    for member in (0, 57, 169):
        augmented = np.zeros((n + 1, n + 1))
        augmented[:n, :n], augmented[:n, n] = a[member], b[member]
        for k in (1, 200, 400):
            flow = scipy.linalg.expm(augmented * times[k])
            exact = flow[:n, :n] @ y0[member] + flow[:n, n]
            scale = np.abs(exact).max()
            assert np.abs(found[member, k] - exact).max() <= 1e-10 * scale


def test_threads_change_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    # Each chunk is computed the same way whichever thread takes it: bit for bit equal.
    matrices, forcing, starts = mixed_batch()
    matrices, forcing, starts = (np.concatenate([x] * 30) for x in (matrices, forcing, starts))
    times = np.linspace(0.0, 10.0, 200)
    monkeypatch.setattr(linear, "PARALLEL_OUTPUTS", 0)
    monkeypatch.setattr(linear, "_CHUNK", 16)
    monkeypatch.setattr(linear, "_cpus", lambda: 2)
    threaded = LinearPropagator(matrices, forcing).propagate(starts, times)
    monkeypatch.setattr(linear, "THREADS", 1)
    alone = LinearPropagator(matrices, forcing).propagate(starts, times)
    assert np.array_equal(threaded, alone)


@pytest.mark.parametrize("count", [5, 41, 401])
def test_even_grid_overflow_names_the_first_time(count: int) -> None:
    # exp(800 t) overflows after t = ln(1.8e308) / 800 = 0.887: the first grid time past it.
    times = np.linspace(0.0, 2.0, count)
    first = times[np.argmax(800.0 * times > np.log(np.finfo(float).max))]
    propagator = LinearPropagator(np.array([[800.0]]), field="c", submodel="gut")
    with pytest.raises(NumericalFailure, match="overflows") as caught:
        propagator.propagate([1.0], times)
    assert caught.value.time == first
    assert (caught.value.field, caught.value.submodel) == ("c", "gut")
    # In a batch, beside a decaying member, through the chunked path.
    batch = LinearPropagator(np.stack([[[-1.0]], [[800.0]]] + [[[-2.0]]] * 10), field="c")
    with pytest.raises(NumericalFailure, match="overflows") as caught:
        batch.propagate(np.ones(1), times)
    assert caught.value.time == first


def test_batched_exponential_matches_scipy() -> None:
    rng = np.random.default_rng(3)
    matrices = np.stack([
        np.zeros((4, 4)),  # exp(0) = I
        oscillating() * 0.01,  # tiny norm: no squaring
        oscillating() * 30.0,  # large norm: many squarings
        defective() * 5.0,
        compartments()[0] * 12.0,
        rng.normal(size=(4, 4)),
        -np.diag([1e-3, 1.0, 50.0, 400.0]),  # stiff, with an underflowing mode
    ])
    found = linear._batched_exponential(matrices)
    for member, matrix in enumerate(matrices):
        expected = scipy.linalg.expm(matrix)
        assert np.abs(found[member] - expected).max() <= 1e-13 * np.abs(expected).max()


def test_the_propagator_keeps_its_own_copy_of_the_matrix() -> None:
    matrix = np.array([[-1.0]])
    propagator = LinearPropagator(matrix)
    matrix[0, 0] = -5.0  # the caller reuses its array
    assert propagator.propagate([1.0], [0.0, 1.0])[-1, 0] == pytest.approx(np.exp(-1.0),
                                                                           rel=1e-12)
