"""The bridging-domain handshake: patch test, statics, energy, wave transmission, failures.

The chain is harmonic (k, spacing a, mass m) or Lennard-Jones, and the bar its Cauchy-Born limit
(EA = k a, line density m / a), so a consistent blend must show no ghost forces.  All in SI.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from scalebridge.solvers.errors import NumericalFailure
from scalebridge.solvers.handshake import (
    Bar,
    Blend,
    Chain,
    Handshake,
    reflected_energy_fraction,
)

K, A, M = 10.0, 2.5e-10, 6.6e-26  # N/m, m, kg
OMEGA = np.sqrt(K / M)  # rad/s; the chain's highest frequency is 2 * OMEGA
C = A * OMEGA  # m/s, long-wave speed of both descriptions

# Argon-like Lennard-Jones bonds, spacing at the energy minimum.
EPS, SIG = 1.65e-21, 3.4e-10  # J, m
A_LJ = 2.0 ** (1.0 / 6.0) * SIG


def lj_energy(s: np.ndarray) -> np.ndarray:
    r = A_LJ + s
    return 4.0 * EPS * ((SIG / r) ** 12 - (SIG / r) ** 6)


def lj_force(s: np.ndarray) -> np.ndarray:
    r = A_LJ + s
    return 4.0 * EPS * (-12.0 * SIG**12 / r**13 + 6.0 * SIG**6 / r**7)


def lj_stiffness(s: np.ndarray) -> np.ndarray:
    r = A_LJ + s
    return 4.0 * EPS * (156.0 * SIG**12 / r**14 - 42.0 * SIG**6 / r**8)


def harmonic_chain(first: int, last: int, bond_force: Callable[..., np.ndarray] | None = None
                   ) -> Chain:
    return Chain(
        A * np.arange(first, last + 1, dtype=float),
        M,
        lambda s: 0.5 * K * s**2,
        bond_force or (lambda s: K * s),
        lambda s: np.full_like(s, K),
    )


def harmonic_bar(first: int, last: int, step: int = 2) -> Bar:
    return Bar(
        A * np.arange(first, last + 1, step, dtype=float),
        M / A,
        lambda e: 0.5 * K * A * e**2,
        lambda e: K * A * e,
        lambda e: np.full_like(e, K * A),
    )


def standard(weights: tuple[float, float, float, float] | None = None) -> Handshake:
    """41 atoms on [0, 40a], bar nodes every 2a on [30a, 100a], overlap [30a, 40a]."""
    return Handshake(harmonic_chain(0, 40), harmonic_bar(30, 100),
                     Blend(30 * A, 40 * A, weights), submodel="rod")


def lennard_jones() -> Handshake:
    chain = Chain(A_LJ * np.arange(41.0), M, lj_energy, lj_force, lj_stiffness)
    bar = Bar(
        A_LJ * np.arange(30.0, 101.0, 2.0),
        M / A_LJ,
        lambda e: lj_energy(A_LJ * e) / A_LJ,  # Cauchy-Born: W(eps) = phi(a eps) / a
        lambda e: lj_force(A_LJ * e),
        lambda e: A_LJ * lj_stiffness(A_LJ * e),
    )
    return Handshake(chain, bar, Blend(30 * A_LJ, 40 * A_LJ))


def gaussian(centre: float, width: float, amplitude: float = 1e-2 * A
             ) -> tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]:
    def u(x: np.ndarray) -> np.ndarray:
        return amplitude * np.exp(-(((x - centre) / width) ** 2))

    def du(x: np.ndarray) -> np.ndarray:
        return -2.0 * (x - centre) / width**2 * u(x)

    return u, du


# --------------------------------------------------------------------------------------------
# 1-2. The patch test.
# --------------------------------------------------------------------------------------------


def test_consistent_blend_passes_the_patch_test() -> None:
    coupled = standard()
    ghost = coupled.ghost_forces(1e-3)
    assert ghost.shape == (41 + 36 - 2,)
    assert np.max(np.abs(ghost)) < 1e-10
    # The weights really blend: they sum to one wherever both descriptions carry energy.
    assert coupled.bond_weights[:30] == pytest.approx(np.ones(30), abs=0.0)
    assert coupled.bond_weights[30:] == pytest.approx(0.95 - 0.1 * np.arange(10), abs=1e-15)
    assert coupled.element_weights[:5] == pytest.approx(0.1 + 0.2 * np.arange(5), abs=1e-15)
    assert coupled.tied_atoms.tolist() == list(range(30, 41))
    # Masses: atoms w(x_i) m; nodes int w_b rho N_J, e.g. rho int_0^2a (x/10a)(1 - x/2a) dx.
    assert coupled.atom_masses[30:] == pytest.approx(M * (1.0 - 0.1 * np.arange(11)), abs=1e-40)
    assert coupled.node_masses[0] == pytest.approx(M / 15.0, rel=1e-14)
    assert coupled.node_masses[-1] == pytest.approx(M, rel=1e-14)  # half an element at each end
    assert coupled.node_masses.sum() == pytest.approx(M * (5.0 + 60.0), rel=1e-14)


def test_patch_test_with_the_chain_on_the_right() -> None:
    # The mirror image: the default weights must follow the side the chain is on.
    mirrored = Handshake(harmonic_chain(60, 100), harmonic_bar(0, 70), Blend(60 * A, 70 * A))
    assert mirrored.chain_side == "right"
    assert np.max(np.abs(mirrored.ghost_forces(-2e-3))) < 1e-10
    assert mirrored.bond_weights[0] == pytest.approx(0.05)
    u_chain, u_bar = mirrored.relax(-1e-3 * A, 2e-3 * A, guess=(np.zeros(41), np.zeros(36)))
    expected = -1e-3 * A + 3e-3 * A * mirrored.dof_positions / (100 * A)
    assert np.concatenate([u_chain, u_bar]) == pytest.approx(expected, rel=0, abs=1e-12 * 2e-3 * A)


def test_lennard_jones_chain_passes_the_patch_test() -> None:
    coupled = lennard_jones()
    for strain in (1e-3, -5e-3):
        assert np.max(np.abs(coupled.ghost_forces(strain))) < 1e-10


def test_weights_not_summing_to_one_give_ghost_forces() -> None:
    ghost = standard((1.0, 0.0, 0.5, 1.0)).ghost_forces(1e-3)
    assert np.max(np.abs(ghost)) > 1e-3
    # Order one, where the sum of the weights is wrong: at the start of the overlap.
    assert np.max(np.abs(ghost)) > 0.1


def test_ghost_forces_need_a_reference_force() -> None:
    with pytest.raises(ValueError, match="reference force"):
        standard().ghost_forces(0.0)
    assert np.all(standard().ghost_forces(0.0, reference_force=1.0) == 0.0)


def test_forces_are_the_negative_gradient_of_the_energy() -> None:
    coupled = lennard_jones()
    rng = np.random.default_rng(1)
    u_chain, u_bar = 1e-2 * A_LJ * rng.standard_normal(41), 1e-2 * A_LJ * rng.standard_normal(36)
    f_chain, f_bar = coupled.forces(u_chain, u_bar)
    step = 1e-6 * A_LJ
    for index in (0, 20, 35, 40):
        plus, minus = u_chain.copy(), u_chain.copy()
        plus[index] += step
        minus[index] -= step
        slope = (coupled.energy(plus, u_bar) - coupled.energy(minus, u_bar)) / (2 * step)
        assert -slope == pytest.approx(f_chain[index], rel=1e-6, abs=1e-9 * np.abs(f_chain).max())
    for index in (0, 3, 10, 35):
        plus, minus = u_bar.copy(), u_bar.copy()
        plus[index] += step
        minus[index] -= step
        slope = (coupled.energy(u_chain, plus) - coupled.energy(u_chain, minus)) / (2 * step)
        assert -slope == pytest.approx(f_bar[index], rel=1e-6, abs=1e-9 * np.abs(f_bar).max())


def test_region_energies_add_up_to_the_energy() -> None:
    coupled = standard()
    rng = np.random.default_rng(2)
    state = [1e-2 * A * rng.standard_normal(n) for n in (41, 36)]
    speeds = [C * 1e-3 * rng.standard_normal(n) for n in (41, 36)]
    parts = coupled.region_energies(*state, *speeds)
    assert sum(parts.values()) == pytest.approx(coupled.energy(*state, *speeds), rel=1e-13)
    assert all(value > 0.0 for value in parts.values())


# --------------------------------------------------------------------------------------------
# 3. Statics.
# --------------------------------------------------------------------------------------------


def test_relax_gives_the_linear_field_and_keeps_the_constraint() -> None:
    coupled = standard()
    strain = 1e-3
    expected = strain * coupled.dof_positions
    # From a zero guess, so that the KKT solve has to find the field.
    u_chain, u_bar = coupled.relax(0.0, strain * 100 * A, guess=(np.zeros(41), np.zeros(36)))
    error = np.max(np.abs(np.concatenate([u_chain, u_bar]) - expected))
    assert error <= 1e-12 * np.max(np.abs(expected))
    residual = coupled.constraint_residual(u_chain, u_bar)
    assert np.max(np.abs(residual)) <= 1e-15 * np.max(np.abs(expected))
    # The negative control: a blend whose weights do not sum to one bends the field.
    u_chain, u_bar = standard((1.0, 0.0, 0.5, 1.0)).relax(0.0, strain * 100 * A)
    error = np.max(np.abs(np.concatenate([u_chain, u_bar]) - expected))
    assert error > 1e-3 * np.max(np.abs(expected))


def test_relax_by_newton_for_lennard_jones_bonds() -> None:
    coupled = lennard_jones()
    strain = 2e-2
    expected = strain * coupled.dof_positions
    rng = np.random.default_rng(3)
    guess = expected + 0.05 * strain * A_LJ * rng.standard_normal(expected.size)
    u_chain, u_bar = coupled.relax(0.0, strain * 100 * A_LJ, guess=(guess[:41], guess[41:]))
    error = np.max(np.abs(np.concatenate([u_chain, u_bar]) - expected))
    assert error <= 1e-11 * np.max(np.abs(expected))
    with pytest.raises(NumericalFailure, match="did not converge"):
        coupled.relax(0.0, strain * 100 * A_LJ, guess=(guess[:41], guess[41:]), max_iter=1)


# --------------------------------------------------------------------------------------------
# 4. Energy conservation.
# --------------------------------------------------------------------------------------------


def test_verlet_conserves_its_energy_without_drift() -> None:
    coupled = standard()
    u, _ = gaussian(50 * A, 10 * A)  # long wave: width 10 a, at rest
    x_chain, x_bar = coupled.chain.positions, coupled.bar.nodes
    limit = coupled.stable_step()
    # At half the stability limit, 800 steps (two transits of the whole system): H itself
    # oscillates by O((omega dt)^2), but the scheme's own energy H - dt^2/8 A.M A, which it
    # conserves exactly for harmonic laws, does not drift.
    dt = 0.5 * limit
    times = dt * np.arange(0, 801, 10)
    result = coupled.run(u(x_chain), u(x_bar), 0 * x_chain, 0 * x_bar, times, dt=dt)
    energy, conserved = result["energy"], result["scheme_energy"]
    assert np.max(np.abs(conserved - conserved[0])) < 1e-12 * energy[0]
    a_chain, a_bar = coupled.accelerations(result["u_chain"][-1], result["u_bar"][-1])
    inertia = np.sum(coupled.atom_masses * a_chain**2) + np.sum(coupled.node_masses * a_bar**2)
    assert conserved[-1] == pytest.approx(energy[-1] - dt**2 / 8.0 * inertia, rel=1e-14)
    swing = np.abs(energy / energy[0] - 1.0)
    assert 1e-5 < swing.max() < 1e-2  # a visible O(dt^2) swing...
    half = energy.size // 2
    assert swing[half:].max() < 1.5 * swing[:half].max()  # ...bounded, not growing
    # With a step of 1 % of the limit, H itself stays within 1e-6 over a transit.
    dt = 0.01 * limit
    times = dt * np.arange(0, 6001, 100)
    energy = coupled.run(u(x_chain), u(x_bar), 0 * x_chain, 0 * x_bar, times, dt=dt)["energy"]
    assert np.max(np.abs(energy / energy[0] - 1.0)) < 1e-6


# --------------------------------------------------------------------------------------------
# 5-6. Waves through the overlap; the constraint in time.
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pulses() -> tuple[Handshake, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Left-moving Gaussian pulses launched in the bar at 250a towards the overlap [190a, 200a].

    Returned at t = 0, 100 a/c and 200 a/c: by then the transmitted pulse is around 50a in the
    chain and the reflection around 340a in the bar, both far from the free ends.
    """
    coupled = Handshake(harmonic_chain(0, 200), harmonic_bar(190, 500),
                        Blend(190 * A, 200 * A), submodel="rod")
    x_chain, x_bar = coupled.chain.positions, coupled.bar.nodes
    times = np.array([0.0, 100.0, 200.0]) / OMEGA
    results = []
    for width in (10 * A, 2 * A):
        u, du = gaussian(250 * A, width)
        # u(x + c t): moving towards smaller x.
        results.append(coupled.run(u(x_chain), u(x_bar), C * du(x_chain), C * du(x_bar), times))
    return coupled, results[0], results[1]


def test_long_waves_cross_the_overlap_and_short_ones_reflect(
    pulses: tuple[Handshake, dict[str, np.ndarray], dict[str, np.ndarray]],
) -> None:
    coupled, long_wave, short_wave = pulses
    assert reflected_energy_fraction(long_wave, coupled, "bar", index=0) == pytest.approx(1.0)
    reflected_long = reflected_energy_fraction(long_wave, coupled, "bar")
    reflected_short = reflected_energy_fraction(short_wave, coupled, "bar")
    assert reflected_long < 1e-3
    assert reflected_short > 1e-2
    assert reflected_short > 30.0 * reflected_long
    # The rest went on into the chain.
    assert reflected_energy_fraction(long_wave, coupled, "chain") > 0.999


def test_constraint_holds_at_every_output(
    pulses: tuple[Handshake, dict[str, np.ndarray], dict[str, np.ndarray]],
) -> None:
    coupled, *results = pulses
    for result in results:
        scale = np.max(np.abs(result["u_bar"]))
        for u_chain, u_bar, v_chain, v_bar in zip(
            result["u_chain"], result["u_bar"], result["v_chain"], result["v_bar"], strict=True
        ):
            assert np.max(np.abs(coupled.constraint_residual(u_chain, u_bar))) < 1e-13 * scale
            assert np.max(np.abs(coupled.constraint_residual(v_chain, v_bar))) < 1e-13 * C * 1e-2


def test_the_initial_state_is_projected_onto_the_constraint() -> None:
    coupled = standard()
    u, _ = gaussian(35 * A, 3 * A)  # sampled on atoms and nodes: they disagree in the overlap
    x_chain, x_bar = coupled.chain.positions, coupled.bar.nodes
    assert np.max(np.abs(coupled.constraint_residual(u(x_chain), u(x_bar)))) > 1e-4 * A
    seen: list[float] = []
    result = coupled.run(u(x_chain), u(x_bar), 0 * x_chain, 0 * x_bar, [0.0, 5 / OMEGA],
                         progress=seen.append)
    start = coupled.constraint_residual(result["u_chain"][0], result["u_bar"][0])
    assert np.max(np.abs(start)) < 1e-15 * A
    assert seen == [0.0, 1.0]


def test_a_step_above_the_stability_limit_is_refused() -> None:
    coupled = standard()
    limit = coupled.stable_step()
    # The coupled system's limit is that of the chain alone, 2 / (2 omega), give or take.
    assert 0.9 / OMEGA < limit < 1.1 / OMEGA
    zeros = [np.zeros(41), np.zeros(36)] * 2
    with pytest.raises(NumericalFailure, match="exceeds the stability limit") as caught:
        coupled.run(*zeros, [0.0, 10 / OMEGA], dt=1.01 * limit)
    assert caught.value.submodel == "rod"
    # Just below the limit the scheme is still stable: a rough start stays bounded.
    rng = np.random.default_rng(4)
    u_chain, u_bar = 1e-2 * A * rng.standard_normal(41), 1e-2 * A * rng.standard_normal(36)
    dt = 0.99 * limit
    energy = coupled.run(u_chain, u_bar, np.zeros(41), np.zeros(36),
                         dt * np.arange(0, 5001, 500), dt=dt)["energy"]
    assert np.all(energy < 10.0 * energy[0])
    # Outputs that are no whole number of steps apart: equal steps below dt, still stable.
    energy = coupled.run(u_chain, u_bar, np.zeros(41), np.zeros(36),
                         np.linspace(0.0, 5000.5 * dt, 11), dt=dt)["energy"]
    assert np.all(energy < 10.0 * energy[0])


def test_a_non_finite_state_is_a_numerical_failure_with_its_time() -> None:
    def brittle(s: np.ndarray) -> np.ndarray:  # a bond law that breaks down at 10 % stretch
        return np.where(np.abs(s) > 0.1 * A, np.nan, K * s)

    coupled = Handshake(harmonic_chain(0, 40, brittle), harmonic_bar(30, 100),
                        Blend(30 * A, 40 * A), submodel="rod")
    kick = np.zeros(41)
    kick[10] = 0.5 * C  # an atom thrown hard enough to overstretch its bonds
    with pytest.raises(NumericalFailure, match="not finite") as caught:
        coupled.run(np.zeros(41), np.zeros(36), kick, np.zeros(36), [0.0, 10 / OMEGA])
    assert caught.value.submodel == "rod"
    assert caught.value.time is not None and 0.0 < caught.value.time < 10 / OMEGA


# --------------------------------------------------------------------------------------------
# Bad inputs.
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Chain(A * np.array([0.0, 2.0, 1.0]), M, abs, abs, abs), "increasing"),
        (lambda: Chain(A * np.array([0.0, 1.0, 2.5]), M, abs, abs, abs), "equally spaced"),
        (lambda: Chain(A * np.arange(3.0), -M, abs, abs, abs), "positive"),
        (lambda: Bar(A * np.array([0.0, 1.0, 1.0]), M / A, abs, abs, abs), "increasing"),
        (lambda: Bar(A * np.array([0.0, np.nan]), M / A, abs, abs, abs), "finite"),
        (lambda: Blend(40 * A, 30 * A), "non-empty"),
        (lambda: Blend(30 * A, 40 * A, (1.0, 0.0, 0.0)), "four numbers"),  # type: ignore[arg-type]
        (lambda: Blend(30 * A, 40 * A, (1.5, 0.0, 0.0, 1.0)), "four numbers"),
        # the overlap reaches past the chain's end,
        (lambda: Handshake(harmonic_chain(0, 40), harmonic_bar(30, 100), Blend(30 * A, 45 * A)),
         "not inside the chain"),
        # or before the bar's first node (an atom there could not be tied to the bar),
        (lambda: Handshake(harmonic_chain(0, 40), harmonic_bar(30, 100), Blend(25 * A, 40 * A)),
         "not inside the bar"),
        # or lies outside both,
        (lambda: Handshake(harmonic_chain(0, 40), harmonic_bar(30, 100),
                           Blend(200 * A, 210 * A)), "not inside"),
        # one domain inside the other,
        (lambda: Handshake(harmonic_chain(40, 60), harmonic_bar(30, 100), Blend(40 * A, 50 * A)),
         "opposite sides"),
        # bar nodes with no inertia (zero weights on both sides of the overlap),
        (lambda: standard((0.0, 0.0, 0.0, 0.0)), "no inertia"),
        # atoms past the overlap on the bar's side (weight zero, no mass),
        (lambda: Handshake(harmonic_chain(0, 50), harmonic_bar(30, 100), Blend(30 * A, 40 * A)),
         "weight zero"),
    ],
)
def test_bad_inputs_are_refused(build: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()


def test_bad_states_are_refused() -> None:
    coupled = standard()
    with pytest.raises(ValueError, match="shapes"):
        coupled.energy(np.zeros(40), np.zeros(36))
    with pytest.raises(ValueError, match="shapes"):
        coupled.run(np.zeros(41), np.zeros(36), np.zeros(41), np.zeros(35), [0.0])
    with pytest.raises(ValueError, match="ascending"):
        coupled.run(np.zeros(41), np.zeros(36), np.zeros(41), np.zeros(36), [1e-12, 0.0])
    with pytest.raises(NumericalFailure, match="initial state"):
        coupled.run(np.full(41, np.nan), np.zeros(36), np.zeros(41), np.zeros(36), [0.0])
    with pytest.raises(ValueError, match="side"):
        reflected_energy_fraction({}, coupled, "middle")  # type: ignore[arg-type]
