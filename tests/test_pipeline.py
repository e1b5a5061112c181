"""validate_files: stage timings, and the garbage collector left as it was found."""

from __future__ import annotations

import gc
from pathlib import Path

from scalebridge.pipeline import validate_files

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "heat_rod" / "model.ttl"


def test_every_stage_is_timed_when_asked() -> None:
    timings: dict[str, float] = {}
    validation = validate_files([EXAMPLE], timings=timings)
    assert validation.ok()
    expected = {"parse", "shacl", "build", "structure", "units", "conservation", "timescales",
                "handshakes", "owl", "locate"}
    assert set(timings) == expected
    assert all(seconds >= 0.0 for seconds in timings.values())


def test_the_collector_is_restored_and_nothing_stays_frozen() -> None:
    assert gc.isenabled()
    validate_files([EXAMPLE], reasoner=False)
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.disable()
    try:
        validate_files([EXAMPLE], reasoner=False)
        assert not gc.isenabled()  # a caller that had it off keeps it off
    finally:
        gc.enable()
