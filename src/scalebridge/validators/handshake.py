"""The handshake patch test, run by the validator on a model that is otherwise sound.

* **CONSERVATION_GHOST_FORCES**: under a homogeneous strain every interior particle and node
  of a consistent handshake is in equilibrium.  The check lowers the model (the composer's
  IR holds the chain, the bar and the blend with their numbers), imposes u = strain * x on
  every degree of freedom, and reports the largest residual force, relative to the bond force,
  when it exceeds 1e-10: weights that count the overlap's energy inconsistently, or a
  continuum whose energy is not the Cauchy-Born energy of the bonds.

It needs numbers, not only structure, which is why it runs last and only when the other checks
found no error but a handshake's declared weights not summing to one (CONSERVATION_WEIGHTS), the
fault whose ghost forces it then measures; a model the composer cannot lower is left to
``compose`` to explain.
"""

from __future__ import annotations

from collections.abc import Iterable

from scalebridge.diagnostics import Diagnostic
from scalebridge.model.types import BridgeKind, Model

__all__ = ["check_handshakes"]


def check_handshakes(model: Model) -> Iterable[Diagnostic]:
    """The patch test of every handshake of ``model`` (none: nothing to check)."""
    if not any(b.kind is BridgeKind.HANDSHAKE for b in model.bridges.values()):
        return []
    # The composer imports the validation pipeline, so it is imported here, when needed.
    from scalebridge.composer import patch_test
    from scalebridge.composer.lower import CompositionError, lower

    try:
        program = lower(model, "")
    except CompositionError:
        return []  # `compose` says why it cannot be lowered
    return patch_test(program)
