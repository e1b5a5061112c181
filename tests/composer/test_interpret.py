"""The IR interpreter and the generated module agree; both agree with closed forms."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy
import pytest
import scipy.integrate
import scipy.linalg
import scipy.optimize

from scalebridge.composer import compose_files
from scalebridge.composer.interpret import interpret
from scalebridge.runner import load_solver
from scalebridge.solvers import time_stepping

REPO = Path(__file__).resolve().parents[2]


def _compose(path: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    composition = compose_files([path], reasoner=False)
    assert composition.program is not None and composition.source is not None
    solver = tmp_path / "solver.py"
    solver.write_text(composition.source, encoding="utf-8")
    return composition.program, load_solver(solver)


@pytest.mark.parametrize("example", ["heat_rod", "two_compartment"])
def test_interpreter_and_generated_module_agree_to_1e_12(example: str, tmp_path: Path) -> None:
    program, module = _compose(REPO / "examples" / example / "model.ttl", tmp_path)
    generated = module.run()
    interpreted = interpret(program)
    assert generated.keys() == interpreted.keys()
    for name, (times, states) in generated.items():
        other_times, other_states = interpreted[name]
        numpy.testing.assert_array_equal(times, other_times)
        assert states.keys() == other_states.keys()
        for state, values in states.items():
            scale = numpy.max(numpy.abs(values))
            assert numpy.max(numpy.abs(values - other_states[state])) <= 1e-12 * scale, state


def test_the_two_compartment_solution_is_the_matrix_exponential(tmp_path: Path) -> None:
    _program, module = _compose(REPO / "examples" / "two_compartment" / "model.ttl", tmp_path)
    times, states = module.run()["pk"]
    # The model written out by hand, in SI: V_b C_b' = Q C_t/Kp - (Q + CL) C_b, ...
    q, cl, kp, v_b, v_t = 60.0 / 3.6e6, 6.0 / 3.6e6, 2.0, 5e-3, 25e-3
    a = numpy.array([[-(q + cl) / v_b, q / (kp * v_b)], [q / v_t, -q / (kp * v_t)]])
    y0 = numpy.array([100e-6 / v_b, 0.0])
    for row, t in enumerate(times):
        exact = scipy.linalg.expm(a * t) @ y0
        found = numpy.array([states["C_b"][row], states["C_t"][row]])
        assert numpy.max(numpy.abs(found - exact)) <= 1e-10 * numpy.max(numpy.abs(y0))


def test_a_closed_two_compartment_system_conserves_its_total_to_1e_12(tmp_path: Path) -> None:
    _program, module = _compose(REPO / "examples" / "two_compartment" / "model.ttl", tmp_path)
    p = module.parameters({"CL": 0.0})  # no elimination: only the flows between compartments
    _times, states = module.run_0(p)
    capacities = module.capacities_0(p)
    total = capacities[0] * states["C_b"] + capacities[1] * states["C_t"]
    assert numpy.max(numpy.abs(total / total[0] - 1.0)) <= 1e-12
    assert states["C_t"][-1] > 0.1 * states["C_b"][-1]  # the drug did move


def test_the_rod_approaches_its_steady_profile(tmp_path: Path) -> None:
    text = (REPO / "examples" / "heat_rod" / "model.ttl").read_text(encoding="utf-8")
    longer = text.replace("sb:duration [ sb:value 3.0 ; sb:unit unit:HR ]",
                          "sb:duration [ sb:value 400.0 ; sb:unit unit:HR ]")
    longer = longer.replace("sb:outputInterval [ sb:value 60.0 ; sb:unit unit:SEC ]",
                            "sb:outputInterval [ sb:value 10.0 ; sb:unit unit:HR ]")
    assert longer != text
    model = tmp_path / "rod.ttl"
    model.write_text(longer, encoding="utf-8")
    _program, module = _compose(model, tmp_path)
    _times, states = module.run()["rod_model"]
    # Steady state: linear profile from T_hot at x=0 with -k T' = h (T(L) - T_air) at x=L.
    k, h, length, t_hot, t_air = 45.0, 25.0, 0.5, 373.15, 293.15
    slope = -h * (t_hot - t_air) / (k + h * length)
    x = (numpy.arange(50) + 0.5) * length / 50
    numpy.testing.assert_allclose(states["T"][-1], t_hot + slope * x, rtol=1e-9)


PLATE = Path(__file__).resolve().parent / "plate.ttl"


def _plate(tmp_path: Path, sink: str, step: bool = True) -> Path:
    text = PLATE.read_text(encoding="utf-8").replace('sb:expression "k * c"',
                                                     f'sb:expression "{sink}"')
    if not step:
        text = text.replace("sb:timeStep [ sb:value 0.5 ; sb:unit unit:SEC ] .", ".")
        text = text.replace('sb:unit unit:SEC ] ;\n    .', "sb:unit unit:SEC ] .")
    path = tmp_path / "plate.ttl"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("sink", "method"),
    [("k * c", "implicit"), ("k * c * c / (1 [mol/m3])", "explicit")],
)
def test_a_plate_agrees_between_interpreter_and_generated_code(
    tmp_path: Path, sink: str, method: str
) -> None:
    program, module = _compose(_plate(tmp_path, sink, step=method == "implicit"), tmp_path)
    (plate,) = program.submodels
    assert plate.schedule.method.value == method
    generated = module.run()["plate_model"][1]["c"]
    interpreted = interpret(program)["plate_model"][1]["c"]
    assert generated.shape == (11, 20, 10)
    assert numpy.max(numpy.abs(generated - interpreted)) <= 1e-12 * numpy.max(numpy.abs(generated))


def test_the_plate_mode_decays_at_the_rate_of_diffusion_and_reaction(tmp_path: Path) -> None:
    _program, module = _compose(_plate(tmp_path, "k * c"), tmp_path)
    times, states = module.run()["plate_model"]
    amplitude = states["c"][:, 10, 5] / states["c"][0, 10, 5]
    # sin(pi x) with zero-flux top and bottom: rate D pi^2 + k, less a second-order
    # space error and the first-order time error of backward Euler (0.5 s steps).
    exact = numpy.exp(-(1e-3 * numpy.pi**2 + 0.01) * times)
    numpy.testing.assert_allclose(amplitude, exact, rtol=0.02)
    # and the y direction stays flat (zero flux)
    assert numpy.ptp(states["c"][-1, 10, :]) <= 1e-12


def test_a_static_submodel_evaluates_and_solves_its_relations(tmp_path: Path) -> None:
    program, module = _compose(Path(__file__).resolve().parent / "static.ttl", tmp_path)
    assert program.submodels == ()  # nothing to integrate in time
    p = module.parameters()
    assert p["k"] == pytest.approx(200e9 * 1e-6 / 2.0, rel=1e-15)
    # the real root of k u + c3 u^3 = F, independently
    roots = numpy.roots([1e12, 0.0, p["k"], -5e3])
    real = roots[numpy.abs(roots.imag) < 1e-12].real
    assert p["u"] == pytest.approx(float(real[0]), rel=1e-10)
    # a stiffer spring stretches less, as it should
    assert module.parameters({"E": 400.0})["u"] < p["u"]


def test_run_reports_derived_quantities_in_their_units(tmp_path: Path) -> None:
    from scalebridge.runner import run_files

    outcome = run_files([Path(__file__).resolve().parent / "static.ttl"], tmp_path / "out",
                        reasoner=False)
    assert outcome.ok
    value, unit = outcome.derived["u"]
    # k u + c3 u^3 = F with k = E A / L, solved independently (u in m, reported in mm)
    roots = numpy.roots([1e12, 0.0, 200e9 * 1e-6 / 2.0, -5e3])
    metres = float(roots[numpy.abs(roots.imag) < 1e-12].real[0])
    assert unit == "unit:MilliM" and value == pytest.approx(metres * 1e3, rel=1e-10)
    with numpy.load(tmp_path / "out" / "results.npz") as arrays:
        assert float(arrays["derived/u"]) == pytest.approx(value, rel=1e-14)


def test_long_runs_report_their_progress(tmp_path: Path) -> None:
    _program, module = _compose(REPO / "examples" / "heat_rod" / "model.ttl", tmp_path)
    fractions: list[float] = []
    module.run_0(module.parameters(), progress=fractions.append)
    assert len(fractions) >= 50 and fractions[-1] == 1.0
    assert all(a <= b for a, b in itertools.pairwise(fractions))
    tanks = Path(__file__).resolve().parents[2] / "examples" / "coupled_tanks" / "model.ttl"
    _program, coupled = _compose(tanks, tmp_path)
    seen: list[float] = []
    coupled.run_coupled(coupled.parameters(), progress=seen.append)
    assert len(seen) == 120 and seen[-1] == 1.0


def test_the_progress_bar_draws_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    from scalebridge.runner import _ProgressBar

    bar = _ProgressBar("rod", width=10)
    for fraction in (0.0, 0.5, 0.5, 1.0):
        bar(fraction)
    err = capsys.readouterr().err
    assert err == ("\r  rod [..........]   0%\r  rod [#####.....]  50%"
                   "\r  rod [##########] 100%\n")


def _periodic_plate(tmp_path: Path, cells: tuple[int, int]) -> Path:
    text = PLATE.read_text(encoding="utf-8")
    for side, condition in (("Left", "sb:Dirichlet ; sb:boundaryValue :c0"),
                            ("Right", "sb:Dirichlet ; sb:boundaryValue :c0"),
                            ("Bottom", "sb:Neumann ; sb:flux :q0"),
                            ("Top", "sb:Neumann ; sb:flux :q0")):
        text = text.replace(f"sb:at sb:{side} ; sb:condition [ a {condition} ]",
                            f"sb:at sb:{side} ; sb:condition [ a sb:Periodic ]")
    text = text.replace("sb:cellsX 20 ; sb:cellsY 10", f"sb:cellsX {cells[0]} ; "
                        f"sb:cellsY {cells[1]}")
    text = text.replace("sb:timeStep [ sb:value 0.5 ; sb:unit unit:SEC ] .", ".")
    text = text.replace('sb:unit unit:SEC ] ;\n    .', "sb:unit unit:SEC ] .")
    text = text.replace(":D a sb:Parameter ; sb:value 1.0e-3",
                        ":D a sb:Parameter ; sb:value 1.0e-9")
    text = text.replace('sb:expression "k * c"', 'sb:expression "k * c - 0.001 [mol/(m3.s)]"')
    assert text.count("sb:Periodic") == 4 and "timeStep" not in text
    path = tmp_path / "periodic.ttl"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_large_periodic_plate_runs_on_the_stencil_kernel(tmp_path: Path) -> None:
    # 520 x 520 cells is too large to factor: explicit steps, on the stencil kernel.
    program, module = _compose(_periodic_plate(tmp_path, (520, 520)), tmp_path)
    (plate,) = program.submodels
    assert plate.schedule.method.value == "explicit"
    source = (tmp_path / "solver.py").read_text(encoding="utf-8")
    assert "stencil.diffusion_reaction_run(" in source
    times, states = module.run()["plate_model"]
    generated = states["c"]
    interpreted = interpret(program)["plate_model"][1]["c"]  # the finite-volume operators
    assert numpy.max(numpy.abs(generated - interpreted)) <= 1e-12 * numpy.max(numpy.abs(generated))
    # Periodic sides: the mean changes only by the reaction, step by forward-Euler step.
    mean = generated.reshape(len(times), -1).mean(axis=1)
    expected = [mean[0]]
    for k in range(1, len(times)):
        value = expected[-1]
        for dt in time_stepping.step_sizes(times[k] - times[k - 1], 0.9 * 100.0):
            value = value + dt * (-0.01 * value + 0.001)
        expected.append(value)
    numpy.testing.assert_allclose(mean, expected, rtol=1e-12)


def test_a_small_periodic_plate_is_stepped_implicitly(tmp_path: Path) -> None:
    program, _module = _compose(_periodic_plate(tmp_path, (20, 10)), tmp_path)
    assert program.submodels[0].schedule.method.value == "implicit"


def test_a_tabulated_clearance_is_interpolated_as_the_table_says(tmp_path: Path) -> None:
    # Saturable elimination: CL falls from 6 to 2 L/h as C_b rises from 5 to 15 mg/L.
    text = (REPO / "examples" / "two_compartment" / "model.ttl").read_text(encoding="utf-8")
    tabulated = text.replace(
        ':CL a sb:Parameter ; rdfs:label "clearance from blood" ;\n    sb:value 6.0 ;',
        ':CL a sb:Parameter ; rdfs:label "clearance from blood" ;\n'
        "    sb:table [ a sb:Table ; sb:argument :C_b ; sb:argumentValues ( 5 15 ) ;"
        " sb:values ( 6 2 ) ] ;",
    )
    assert tabulated != text
    model = tmp_path / "model.ttl"
    model.write_text(tabulated, encoding="utf-8")
    program, module = _compose(model, tmp_path)
    (pk,) = program.submodels
    assert pk.schedule.method.value == "stiff"  # the clearance depends on the state now
    times, states = module.run()["pk"]
    # The same model by hand, in SI, with numpy's interpolation (clamped at the ends).
    q, kp, v_b, v_t = 60.0 / 3.6e6, 2.0, 5e-3, 25e-3

    def rates(_t: float, y: numpy.ndarray) -> numpy.ndarray:
        cl = numpy.interp(y[0], [5e-3, 15e-3], [6.0 / 3.6e6, 2.0 / 3.6e6])
        return numpy.array([(q * y[1] / kp - (q + cl) * y[0]) / v_b,
                            (q * y[0] - q * y[1] / kp) / v_t])

    exact = scipy.integrate.solve_ivp(rates, (0.0, times[-1]), [100e-6 / v_b, 0.0],
                                      t_eval=times, method="LSODA", rtol=1e-10, atol=1e-14)
    numpy.testing.assert_allclose(states["C_b"], exact.y[0], rtol=1e-6, atol=1e-10)
    interpreted = interpret(program)["pk"][1]["C_b"]
    assert numpy.max(numpy.abs(states["C_b"] - interpreted)) <= 1e-12 * states["C_b"].max()


def test_an_algebraic_loop_is_solved_as_one_block(tmp_path: Path) -> None:
    program, module = _compose(Path(__file__).resolve().parent / "loop.ttl", tmp_path)
    p = module.parameters()
    # F1 = a - F2/2 and F2 = b + F1/3 with a = 7 N, b = 2 N: F1 = 36/7 N, F2 = 26/7 N
    assert p["F1"] == pytest.approx(36.0 / 7.0, rel=1e-14)
    assert p["F2"] == pytest.approx(26.0 / 7.0, rel=1e-14)
    assert all(d.residual is None for d in program.derived)  # closed forms, no root finding
    assert module.parameters({"a": 14.0})["F1"] == pytest.approx((14.0 - 1.0) * 6.0 / 7.0)


def test_an_energy_functional_gives_the_stiffness_of_its_relaxed_energy(
    tmp_path: Path,
) -> None:
    from scalebridge.composer.interpret import interpret_energies

    program, module = _compose(Path(__file__).resolve().parent / "energy.ttl", tmp_path)
    (energy,) = program.energies
    assert energy.units == (("kg m^-1 s^-2",) * 2,) * 2  # Pa, the strains are pure numbers
    found = module.ENERGIES["W"](module.parameters())
    oracle = interpret_energies(program)["W"]
    numpy.testing.assert_allclose(found["stiffness"], oracle["stiffness"], rtol=1e-12)
    # Independently: relax z by a scalar minimisation, then a central-difference Hessian.
    k1, k2, k3, mu, c = 100e9, 300e9, 5e5 * 1e9, 80e9, 20e9

    def relaxed(e1: float, e2: float) -> float:
        def w(z: float) -> float:
            return k1 * z**2 / 2 + k2 * (e1 - z) ** 2 / 2 + k3 * z**4 / 4

        best = scipy.optimize.minimize_scalar(w, bracket=(-1.0, 1.0), tol=1e-14)
        return float(best.fun) + mu * e2**2 / 2 + c * e1 * e2

    h = 1e-5
    e = (0.01, 0.0)
    hessian = numpy.empty((2, 2))
    for i in range(2):
        for j in range(2):
            def at(di: float, dj: float, i: int = i, j: int = j) -> float:
                point = list(e)
                point[i] += di
                point[j] += dj
                return relaxed(*point)

            hessian[i, j] = (at(h, h) - at(h, -h) - at(-h, h) + at(-h, -h)) / (4 * h * h)
    numpy.testing.assert_allclose(found["stiffness"], hessian, rtol=1e-4)
    # Without the internal relaxation the stiffness would be k2 along e1, not less:
    assert found["stiffness"][0, 0] < 0.99 * k2
    assert found["stiffness"][1, 1] == pytest.approx(mu, rel=1e-12)


def test_a_compartment_in_quasi_steady_state_is_eliminated(tmp_path: Path) -> None:
    text = (REPO / "examples" / "two_compartment" / "model.ttl").read_text(encoding="utf-8")
    quasi = text.replace("sb:rateOf :C_t ; sb:capacity :V_t .",
                         "sb:steadyStateOf :C_t ; sb:capacity :V_t .")
    assert quasi != text
    model = tmp_path / "model.ttl"
    model.write_text(quasi, encoding="utf-8")
    program, module = _compose(model, tmp_path)
    (pk,) = program.submodels
    assert pk.compartments is not None and pk.compartments.states == ("C_b",)
    assert [name for name, _expr in pk.compartments.steady] == ["C_t"]
    times, states = module.run()["pk"]
    # Tissue in equilibrium with blood, C_t = Kp C_b; the exchange then cancels in blood,
    # which only loses the clearance: C_b = C_b(0) exp(-CL t / V_b).
    numpy.testing.assert_allclose(states["C_t"], 2.0 * states["C_b"], rtol=1e-12)
    numpy.testing.assert_allclose(
        states["C_b"], 20e-3 * numpy.exp(-(6.0 / 3.6e6) * times / 5e-3), rtol=1e-10)
    interpreted = interpret(program)["pk"][1]
    for name in ("C_b", "C_t"):
        assert numpy.max(numpy.abs(states[name] - interpreted[name])) <= 1e-12 * 0.04
    capacities = module.capacities_0(module.parameters())
    assert capacities.tolist() == pytest.approx([5e-3, 25e-3])  # blood, then tissue
