"""A rod with periodic ends: the implicit 1-D path (a cyclic, not tridiagonal, matrix)."""

from __future__ import annotations

from pathlib import Path

import numpy

from scalebridge.composer import compose_files
from scalebridge.composer.interpret import interpret
from scalebridge.composer.ir import Method
from scalebridge.runner import load_solver

REPO = Path(__file__).resolve().parents[2]


def test_a_periodic_rod_runs_implicitly_and_conserves_its_energy(tmp_path: Path) -> None:
    text = (REPO / "examples" / "heat_rod" / "model.ttl").read_text(encoding="utf-8")
    text = text.replace("sb:condition [ a sb:Dirichlet ; sb:boundaryValue :T_hot ]",
                        "sb:condition [ a sb:Periodic ]")
    text = text.replace("sb:condition [ a sb:Robin ; sb:coefficient :h ; sb:ambient :T_air ]",
                        "sb:condition [ a sb:Periodic ]")
    text = text.replace('sb:initialValue "T_air"',
                        'sb:initialValue "T_air + (T_hot - T_air) * exp(-((x - x_c) / w_c)^2)"')
    text += (":x_c a sb:Parameter ; sb:value 0.1 ; sb:unit unit:M .\n"
             ":w_c a sb:Parameter ; sb:value 0.05 ; sb:unit unit:M .\n")
    assert text.count("sb:Periodic") == 2
    model = tmp_path / "ring.ttl"
    model.write_text(text, encoding="utf-8")
    composition = compose_files([model], reasoner=False)
    assert composition.program is not None and composition.source is not None
    assert composition.program.submodels[0].schedule.method is Method.IMPLICIT
    solver = tmp_path / "ring.py"
    solver.write_text(composition.source, encoding="utf-8")
    temperatures = load_solver(solver).run()["rod_model"][1]["T"]
    totals = temperatures.sum(axis=1)  # uniform capacity and cells: energy up to a factor
    assert numpy.max(numpy.abs(totals - totals[0])) <= 1e-12 * totals[0]
    assert numpy.ptp(temperatures[-1]) < 0.5 * numpy.ptp(temperatures[0])  # it spread
    interpreted = interpret(composition.program)["rod_model"][1]["T"]
    assert numpy.max(numpy.abs(temperatures - interpreted)) <= 1e-12 * totals[0]
