"""The atomistic/continuum handshake example: patch test, negative control, a pulse crossing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy

from scalebridge.diagnostics import Code
from scalebridge.pipeline import validate_files
from scalebridge.runner import load_solver, run_files

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "atomistic_continuum_handshake"
A = 3.822e-10  # m, the argon spacing


def test_the_badly_weighted_blend_is_refused_with_its_ghost_forces() -> None:
    report = validate_files([EXAMPLE / "bad_blend.ttl"], reasoner=False).report
    assert {Code.CONSERVATION_WEIGHTS, Code.CONSERVATION_GHOST_FORCES} <= set(report.codes)
    (ghosts,) = [d for d in report if d.code is Code.CONSERVATION_GHOST_FORCES]
    assert float(ghosts.actual or "0") > 0.1


def test_the_example_passes_the_patch_test_and_the_pulse_crosses(tmp_path: Path) -> None:
    outcome = run_files([EXAMPLE / "model.ttl"], out=tmp_path / "out", reasoner=False)
    assert outcome.directory is not None, [d.message for d in outcome.report]
    module = load_solver(outcome.directory / "solver.py")
    p = module.parameters()
    assert numpy.max(numpy.abs(module.ghost_forces(p))) <= 1e-10
    # relaxed under end displacements, a consistent handshake deforms homogeneously
    length = 140 * A
    u_chain, u_bar = module.system(p).relax(0.0, 1e-3 * length)
    assert numpy.max(numpy.abs(u_chain - 1e-3 * A * numpy.arange(61))) <= 1e-12 * 1e-3 * length
    assert numpy.max(numpy.abs(u_bar - 1e-3 * A * (50 + 2 * numpy.arange(46)))) <= \
        1e-12 * 1e-3 * length
    sidecar = json.loads((outcome.directory / "results.json").read_text(encoding="utf-8"))
    summary = sidecar["handshake"]["blend"]
    assert summary["reflected_energy_fraction"] < 1e-3
    assert summary["relative_energy_oscillation"] < 1e-3
    arrays = numpy.load(outcome.directory / "results.npz")
    chain = arrays["atoms/u_a"]  # declared unit m
    assert numpy.max(numpy.abs(chain[-1])) > 0.95 * 0.01 * A  # the pulse arrived whole


def test_a_set_value_that_breaks_the_handshake_is_reported_not_raised(tmp_path: Path) -> None:
    outcome = run_files([EXAMPLE / "model.ttl"], out=tmp_path / "out", reasoner=False,
                        overrides={"m_atom": -1.0})
    assert not outcome.ok
    (finding,) = [d for d in outcome.report if d.code is Code.STRUCTURE_HANDSHAKE]
    assert "mass" in finding.message
    assert not (tmp_path / "out").exists()  # nothing written


def test_a_four_times_deeper_well_runs_the_same_motion_twice_as_fast(tmp_path: Path) -> None:
    # Dimensional analysis, independent of the solver: every force (bonds, the Cauchy-Born bar)
    # scales with eps_LJ and the initial velocity with sqrt(eps_LJ / m), so with eps x 4 the
    # motion is the same at half the time; the stable step halves too, so the discrete
    # trajectories agree to round-off.
    import shutil

    base = run_files([EXAMPLE / "model.ttl"], out=tmp_path / "base", reasoner=False)
    assert base.directory is not None
    folder = tmp_path / "deep"
    shutil.copytree(EXAMPLE, folder)
    argon = folder / "argon.ttl"
    text = argon.read_text(encoding="utf-8")
    assert "sb:value 1.654e-21" in text
    argon.write_text(text.replace("sb:value 1.654e-21", "sb:value 6.616e-21"), encoding="utf-8")
    for name in ("chain.ttl", "bar.ttl"):
        path = folder / name
        text = path.read_text(encoding="utf-8")
        text = text.replace("sb:duration [ sb:value 20.0 ;", "sb:duration [ sb:value 10.0 ;")
        text = text.replace("sb:outputInterval [ sb:value 0.5 ;",
                            "sb:outputInterval [ sb:value 0.25 ;")
        path.write_text(text, encoding="utf-8")
    deep = run_files([folder / "model.ttl"], out=tmp_path / "deep_out", reasoner=False)
    assert deep.directory is not None, [d.message for d in deep.report]
    slow, fast = (numpy.load(o.directory / "results.npz") for o in (base, deep)
                  if o.directory is not None)
    for key in ("atoms/u_a", "continuum/u_b"):
        scale = numpy.max(numpy.abs(slow[key]))
        assert numpy.max(numpy.abs(fast[key] - slow[key])) <= 1e-8 * scale, key
    numpy.testing.assert_allclose(fast["atoms/time"], slow["atoms/time"] / 2, rtol=1e-12)
