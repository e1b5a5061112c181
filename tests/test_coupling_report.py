"""A proposed coupling leads the validation report: bridges, units, findings, verdict."""

from __future__ import annotations

import io
from pathlib import Path

from scalebridge.cli import main
from scalebridge.coupling_report import coupling_summary
from scalebridge.pipeline import validate_files

REPO = Path(__file__).resolve().parents[1]


def test_the_summary_names_bridges_units_and_verdict() -> None:
    v = validate_files([REPO / "examples" / "coupled_tanks" / "model.ttl"], reasoner=False)
    text = coupling_summary(v.model, v.report)
    assert text.splitlines() == [
        "coupling 'membrane' (concurrent): tank_a <-> tank_b",
        "  bridge 'a_to_b' (averaging): C_a [unit:MilliGM-PER-L] -> C_beyond_b "
        "[unit:MilliGM-PER-L]; same dimension",
        "  bridge 'b_to_a' (averaging): C_b [unit:MilliGM-PER-L] -> C_beyond_a "
        "[unit:MilliGM-PER-L]; same dimension",
        "  units and conservation across its bridges: no findings",
        "  timescales: overlapping, ratio 0.00833; runs as interact, its scales imply "
        "interact (accepted)",
    ]


def test_a_bad_bridge_is_flagged_in_the_summary_and_leads_the_output() -> None:
    path = REPO / "tests" / "resources" / "broken" / "units" / "bridge_metres_onto_seconds.ttl"
    out = io.StringIO()
    assert main(["validate", str(path), "--no-reasoner"], stdout=out) == 1
    text = out.getvalue()
    assert text.startswith(f"{path}: what the coupling adds\ncoupling 'c1' (concurrent)")
    assert "level [unit:M] -> tau [unit:SEC]; DIFFERENT dimensions" in text
    assert "findings on its bridges: UNITS_BRIDGE_MISMATCH (see below)" in text
    assert text.index("what the coupling adds") < text.index("error UNITS_BRIDGE_MISMATCH")


def test_a_model_without_couplings_has_no_summary() -> None:
    v = validate_files([REPO / "examples" / "heat_rod" / "model.ttl"], reasoner=False)
    assert coupling_summary(v.model, v.report) == ""
