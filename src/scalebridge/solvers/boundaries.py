"""Boundary conditions for the finite-volume operators.

A :class:`BoundaryCondition` describes one side of a domain:

* ``dirichlet``: the face value is ``value`` (units of the field u);
* ``neumann``: the flux density *into* the domain through the face is ``flux``
  (units of k*u/m, e.g. W/m^2 for heat with k in W/(m K));
* ``robin``: the flux density into the domain is ``coefficient * (ambient - u_face)``, with
  ``coefficient`` a transfer coefficient (units of k/m, e.g. W/(m^2 K));
* ``periodic``: the side is joined to the opposite one, which must be periodic too.

A boundary forced by another model is a dirichlet or neumann condition whose ``value`` or
``flux`` the driver replaces each step with :func:`dataclasses.replace`.

On a side of a 2-D domain each number may also be a profile along the side: an array with one
entry per boundary face, shape ``(ny,)`` on the left and right sides, ``(nx,)`` on the bottom
and top.  Arrays are copied and frozen, so a condition never changes after it is made.

Example
-------
>>> import dataclasses
>>> wall = dirichlet(300.0)
>>> dataclasses.replace(wall, value=310.0).value
310.0
>>> robin(10.0, 293.15).kind
'robin'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "BoundaryCondition",
    "BoundaryKind",
    "SideValue",
    "check_periodic_pair",
    "dirichlet",
    "neumann",
    "periodic",
    "robin",
]

BoundaryKind = Literal["dirichlet", "neumann", "robin", "periodic"]
#: A number, or a profile along a 2-D side (one value per boundary face).
SideValue = float | NDArray[np.float64]
_KINDS = ("dirichlet", "neumann", "robin", "periodic")
_NUMBERS = ("value", "flux", "coefficient", "ambient")


@dataclass(frozen=True)
class BoundaryCondition:
    """One side's boundary condition; see the module docstring for the meaning of each kind.

    Example
    -------
    >>> BoundaryCondition("neumann", flux=5.0).flux
    5.0
    >>> import numpy as np
    >>> dirichlet(np.array([1.0, 2.0])) == dirichlet(np.array([1.0, 2.0]))
    True
    """

    kind: BoundaryKind
    value: SideValue = 0.0
    flux: SideValue = 0.0
    coefficient: SideValue = 0.0
    ambient: SideValue = 0.0

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"unknown boundary kind {self.kind!r}; expected one of {_KINDS}")
        for name in _NUMBERS:
            number = getattr(self, name)
            if np.ndim(number) == 0:
                converted: SideValue = float(number)
            else:
                array = np.array(number, dtype=np.float64)  # a copy the caller cannot mutate
                if array.ndim != 1:
                    raise ValueError(f"a boundary {name} profile must be one-dimensional")
                array.flags.writeable = False
                converted = array
            if not np.all(np.isfinite(converted)):
                raise ValueError(f"boundary {name} must be finite, got {number!r}")
            object.__setattr__(self, name, converted)  # frozen: the documented way round
        if np.any(np.asarray(self.coefficient) < 0.0):
            raise ValueError(
                f"a robin transfer coefficient must be non-negative, got {self.coefficient!r}"
            )

    # Generated equality would compare arrays element-wise and fail; compare them whole.
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BoundaryCondition):
            return NotImplemented
        return self.kind == other.kind and all(
            np.array_equal(getattr(self, name), getattr(other, name)) for name in _NUMBERS
        )

    def __hash__(self) -> int:
        parts = [
            (np.shape(getattr(self, name)), *np.ravel(getattr(self, name)).tolist())
            for name in _NUMBERS
        ]
        return hash((self.kind, *parts))


def dirichlet(value: SideValue) -> BoundaryCondition:
    """A fixed face value ``value`` (units of u).

    Example
    -------
    >>> dirichlet(1.5).value
    1.5
    """
    return BoundaryCondition("dirichlet", value=value)


def neumann(flux: SideValue) -> BoundaryCondition:
    """A given flux density ``flux`` into the domain (units of k*u/m; 0 is insulated).

    Example
    -------
    >>> neumann(0.0).kind
    'neumann'
    """
    return BoundaryCondition("neumann", flux=flux)


def robin(coefficient: SideValue, ambient: SideValue) -> BoundaryCondition:
    """Exchange with surroundings: flux into the domain = ``coefficient*(ambient - u_face)``.

    ``coefficient`` is in units of k/m (a heat transfer coefficient in W/(m^2 K) for heat).

    Example
    -------
    >>> robin(25.0, 300.0).coefficient
    25.0
    """
    return BoundaryCondition("robin", coefficient=coefficient, ambient=ambient)


def periodic(level: SideValue = 0.0) -> BoundaryCondition:
    """Join this side to the opposite one (which must be periodic too).

    The field is periodic up to the difference of the two sides' ``level``s (units of the
    field): u at the high side (right, top) = u at the low side + level_high - level_low, so
    levels 0 and G W impose a mean gradient G on a periodic cell of width W (a representative
    volume under an imposed average gradient).  Equal levels, the default, are plain
    periodicity.

    Example
    -------
    >>> periodic().kind, periodic(2.0).value
    ('periodic', 2.0)
    """
    return BoundaryCondition("periodic", value=level)


def check_periodic_pair(
    low: BoundaryCondition, high: BoundaryCondition, names: tuple[str, str] = ("left", "right")
) -> bool:
    """Whether the pair is periodic; ValueError if only one side of the pair is.

    Example
    -------
    >>> check_periodic_pair(periodic(), periodic())
    True
    >>> check_periodic_pair(dirichlet(0.0), neumann(0.0))
    False
    """
    low_periodic = low.kind == "periodic"
    high_periodic = high.kind == "periodic"
    if low_periodic != high_periodic:
        raise ValueError(
            f"periodic boundaries come in pairs: {names[0]} is {low.kind}, "
            f"{names[1]} is {high.kind}"
        )
    return low_periodic
