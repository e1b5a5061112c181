"""The coupling driver: profiles passed by exchanges, quasi-steady components, the clock."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scalebridge.solvers.coupling import Component, Exchange, drive


def test_a_profile_exchange_interpolates_a_column_to_the_target_positions() -> None:
    at = (0.5, 1.5, 2.5, 3.5)
    to = (0.0, 1.0, 2.0, 3.0, 4.0)
    column = np.array([1.0, 2.0, 4.0, 8.0])
    exchange = Exchange("profile", (("coarse", "U/cells"), ("", "shift")), "inflow",
                        weights=(1.0, 1.0), positions=(at, to))
    found = exchange.value({"coarse": {"U/cells": column}}, {"shift": 10.0})
    # linear between the centres, constant beyond them; the parameter added everywhere
    assert found.tolist() == pytest.approx([11.0, 11.5, 13.0, 16.0, 18.0])


def test_a_quasi_steady_component_follows_the_inputs_of_each_macro_time() -> None:
    """A transient source y' = 1 (y = t) drives a steady component whose solution is twice
    its input: at every macro time it must show 2 t, with no lag of a macro step."""
    source = Component("source", initial=lambda p: 0.0,
                       advance=lambda p, y, t0, t1: y + (t1 - t0),
                       observe=lambda p, y: {"y": y}, duration=4.0)
    solved: list[tuple[float, float]] = []

    def solve(p: dict[str, float], state: float, t0: float, t1: float) -> float:
        assert t0 == t1  # a steady component is solved at a time, not over a span
        solved.append((t1, p["x"]))
        return 2.0 * p["x"]

    steady = Component("steady", initial=lambda p: math.nan, advance=solve,
                       observe=lambda p, y: {"z": y}, duration=0.0, steady=True)
    found = drive([source, steady], [Exchange("feed", (("source", "y"),), "x")], {"x": 0.0},
                  horizon=4.0, macro_step=1.0)
    times, states = found["steady"]
    assert times == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert states == pytest.approx([0.0, 2.0, 4.0, 6.0, 8.0])
    assert [t for t, _x in solved] == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_the_clock_sets_time_varying_quantities_before_each_exchange() -> None:
    seen: list[tuple[float, float]] = []
    follower = Component("follower", initial=lambda p: 0.0,
                         advance=lambda p, y, t0, t1: p["received"],
                         observe=lambda p, y: {"y": y}, duration=3.0)

    def clock(p: dict[str, float], t: float) -> None:
        p["hourly"] = 100.0 + t
        seen.append((t, p["hourly"]))

    found = drive([follower], [Exchange("pass", (("", "hourly"),), "received")],
                  {"received": 0.0}, horizon=3.0, macro_step=1.0, clock=clock)
    _times, states = found["follower"]
    # the state at t1 is what was received at t0 (a transient component advances with the
    # inputs of the start of its step)
    assert states == pytest.approx([0.0, 100.0, 101.0, 102.0])
    assert {t for t, _v in seen} == {0.0, 1.0, 2.0, 3.0}


def test_an_exchange_that_passes_a_value_that_is_not_finite_fails() -> None:
    from scalebridge.solvers.errors import NumericalFailure

    coarse = Component("coarse", initial=lambda p: np.array([1.0, np.nan]),
                       advance=lambda p, y, t0, t1: y,
                       observe=lambda p, y: {"U/cells": y}, duration=1.0)
    profile = Exchange("profile", (("coarse", "U/cells"),), "inflow",
                       positions=((0.5, 1.5), (0.0, 2.0)))
    with pytest.raises(NumericalFailure, match="not finite"):
        drive([coarse], [profile], {}, horizon=1.0, macro_step=1.0)
