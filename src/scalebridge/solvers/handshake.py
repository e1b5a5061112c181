"""A 1-D atomistic/continuum handshake: the bridging-domain method.

Two descriptions of the same solid share a region, the *overlap* ``[start, end]`` (m): a chain
of atoms (reference positions ``x_i``, spacing ``a``, mass ``m``, nearest-neighbour bonds with
energy ``phi(s)`` of the stretch ``s = u_{i+1} - u_i``) and a bar of linear finite elements
(nodes ``X_J``, energy per unit length ``W(eps)`` of the strain ``eps = du/dx``, mass per unit
length ``rho``).  Following Xiao & Belytschko (2004, "A bridging domain method for coupling
continua with molecular dynamics", CMAME 193:1645; the weighting idea is Ben Dhia's Arlequin
method, 1998), each description carries a weight, ``w_c(x)`` for the chain and ``w_b(x)`` for
the bar, linear across the overlap, 1 where only that description exists and 0 beyond it.
The Hamiltonian (J) of the coupled system is

    H = sum_bonds w_c(x_{i+1/2}) phi(u_{i+1} - u_i)  +  sum_e  int_e w_b(x) W(du/dx) dx
      + 1/2 sum_i w_c(x_i) m  v_i^2                  +  1/2 sum_J M_J v_J^2,
    M_J = int w_b(x) rho N_J(x) dx,

bonds weighted at their midpoints, elements integrated exactly (W is constant on a linear
element, so the element weight is the mean of ``w_b`` over it), nodal masses the row sums of
the weighted consistent mass matrix.  In the overlap the two displacement fields are tied:
every atom there follows the bar, ``g_i = u_i - sum_J N_J(x_i) u_J = 0``, or ``C U = 0`` with
``U = (u_chain, u_bar)`` (m).  The motion is ``M dV/dt = f(U) + C^T lambda`` with
``f = -dH/dU`` (N) and multipliers ``lambda`` (N) keeping ``C V = 0``.

Why it works, and when it does not: under a uniform strain every bond carries the same tension
T and every element the same axial force; the out-of-balance forces that the falling chain
weight leaves on the atoms are then exactly cancelled, through the constraints, by those the
rising bar weight leaves on the nodes, *provided* ``w_c + w_b = 1`` and the bar is the
chain's Cauchy-Born limit (``W(eps) = phi(a eps) / a``, so ``EA = k a`` for harmonic bonds).
:meth:`Handshake.ghost_forces` is that patch test.  Waves too short for the bar cannot cross the
overlap and come back: the handshake's known spurious reflection, measured by
:func:`reflected_energy_fraction`.

Everything is SI: m, kg, s, J, N.

Example
-------
>>> import numpy as np
>>> k, a, m = 10.0, 2.5e-10, 6.6e-26  # N/m, m, kg
>>> chain = Chain(a * np.arange(11.0), m, lambda s: 0.5 * k * s**2, lambda s: k * s,
...               lambda s: np.full_like(s, k))
>>> bar = Bar(a * np.arange(8.0, 31.0, 2.0), m / a, lambda e: 0.5 * k * a * e**2,
...           lambda e: k * a * e, lambda e: np.full_like(e, k * a))
>>> coupled = Handshake(chain, bar, Blend(8 * a, 10 * a), submodel="rod")
>>> bool(np.max(np.abs(coupled.ghost_forces(1e-3))) < 1e-10)
True
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.linalg
import scipy.sparse
import scipy.sparse.linalg
from numpy.typing import ArrayLike, NDArray

from scalebridge.solvers.errors import NumericalFailure
from scalebridge.solvers.time_stepping import step_sizes

__all__ = ["Bar", "Blend", "Chain", "Handshake", "reflected_energy_fraction"]

FloatArray = NDArray[np.float64]
#: A material law evaluated elementwise: stretch (m) or strain (1) in, energy/force/stiffness out.
Law = Callable[[FloatArray], ArrayLike]

#: Fraction of the stability limit that run() uses when no step is given.
DEFAULT_STEP_FRACTION = 0.5

# Positions closer than this fraction of the smallest spacing count as equal (an atom "at" the
# end of the overlap, a node "at" its start): input positions are products like 30 * a.
_POSITION_TOLERANCE = 1e-9

# Below this many reduced degrees of freedom the largest frequency comes from a dense
# generalised eigensolver (exact, milliseconds); above it from Lanczos.
_DENSE_EIGEN_LIMIT = 1500

# Gauss-Legendre points on [-1, 1]: two integrate the products (linear weight) x (linear shape
# function) exactly on each linear piece of an element.
_GAUSS = np.array([-1.0, 1.0]) / math.sqrt(3.0)


def _positions(values: ArrayLike, what: str) -> FloatArray:
    x = np.array(values, dtype=np.float64)  # a copy: later changes by the caller do not leak in
    if x.ndim != 1 or x.size < 2:
        raise ValueError(f"{what} must be a 1-D array of at least two positions, got {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{what} must be finite")
    if np.any(np.diff(x) <= 0.0):
        raise ValueError(f"{what} must be strictly increasing")
    return x


def _positive(value: float, what: str) -> float:
    number = float(value)
    if not (math.isfinite(number) and number > 0.0):
        raise ValueError(f"{what} must be positive and finite, got {value!r}")
    return number


def _evaluate(law: Law, argument: FloatArray) -> FloatArray:
    # Generated laws may be constants (a lambdified ``k``) and return a scalar: broadcast them.
    return np.broadcast_to(np.asarray(law(argument), dtype=np.float64), argument.shape)


# eq=False: the generated __eq__ and __hash__ would compare and hash arrays, which fails.
@dataclass(frozen=True, eq=False)
class Chain:
    """Atoms at reference positions (m, increasing, equally spaced), each of mass `mass` (kg),
    nearest-neighbour bonds whose energy phi(s) (J) depends on the bond stretch
    s = u[i+1] - u[i] (m).

    The three laws take an array of stretches (m) and return, elementwise, ``phi`` (J),
    ``dphi/ds`` (N, the bond tension) and ``d2phi/ds2`` (N/m).

    >>> chain = Chain([0.0, 1e-10, 2e-10], 1e-26, lambda s: 5 * s**2, lambda s: 10 * s,
    ...               lambda s: 10 + 0 * s)
    >>> chain.spacing
    1e-10
    """

    positions: FloatArray
    mass: float
    bond_energy: Law
    bond_force: Law
    bond_stiffness: Law

    def __post_init__(self) -> None:
        x = _positions(self.positions, "the chain's positions")
        gaps = np.diff(x)
        if np.any(np.abs(gaps - gaps.mean()) > _POSITION_TOLERANCE * gaps.mean()):
            raise ValueError("the chain's atoms must be equally spaced (one bond law for all)")
        object.__setattr__(self, "positions", x)
        object.__setattr__(self, "mass", _positive(self.mass, "the atomic mass"))

    @property
    def spacing(self) -> float:
        """The lattice spacing a (m)."""
        return float((self.positions[-1] - self.positions[0]) / (self.positions.size - 1))


@dataclass(frozen=True, eq=False)
class Bar:
    """Linear finite elements on `nodes` (m, increasing); energy per unit length W(eps) (J/m) of
    the strain eps = du/dx; mass per unit length `line_density` (kg/m).

    The laws take an array of element strains and return ``W`` (J/m), ``dW/deps`` (N, the
    axial force) and ``d2W/deps2`` (N, the axial stiffness EA).

    >>> Bar([0.0, 1.0, 3.0], 2.0, lambda e: e**2, lambda e: 2 * e, lambda e: 2 + 0 * e).nodes
    array([0., 1., 3.])
    """

    nodes: FloatArray
    line_density: float
    energy_density: Law
    stress: Law
    modulus: Law

    def __post_init__(self) -> None:
        object.__setattr__(self, "nodes", _positions(self.nodes, "the bar's nodes"))
        object.__setattr__(
            self, "line_density", _positive(self.line_density, "the line density")
        )


@dataclass(frozen=True)
class Blend:
    """The overlap [start, end] (m).  `weights` = (chain weight at start, chain weight at end,
    bar weight at start, bar weight at end), linear in between; outside the overlap each
    description has weight 1 where only it exists and 0 beyond its own extent.  The default
    None means complementary weights: the chain's weight falls from 1 to 0 across the overlap
    towards the bar's side and the bar's rises from 0 to 1 (the side is found from where each
    domain lies).

    >>> Blend(3.0, 4.0).weights is None
    True
    """

    start: float
    end: float
    weights: tuple[float, float, float, float] | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.start) and math.isfinite(self.end) and self.start < self.end):
            raise ValueError(f"the overlap [{self.start}, {self.end}] m must be finite and "
                             "non-empty")
        if self.weights is not None:
            w = np.asarray(self.weights, dtype=np.float64)
            if w.shape != (4,) or not np.all(np.isfinite(w)) or np.any((w < 0.0) | (w > 1.0)):
                raise ValueError(
                    "the blend weights must be four numbers in [0, 1] (chain at start, chain at "
                    f"end, bar at start, bar at end), got {self.weights!r}"
                )


class Handshake:
    """A chain and a bar coupled across an overlap by weighted energies and constraints.

    The chain must lie on one side and the bar on the other, the overlap inside both.  Degrees
    of freedom are ordered ``U = (u_chain, u_bar)`` wherever one vector of all of them is
    meant (:meth:`ghost_forces`, :attr:`constraint_matrix`).  ``submodel`` names the coupled
    system in :class:`NumericalFailure` reports.

    Attributes (read-only, SI): ``bond_weights`` (chain weight at each bond's midpoint),
    ``element_weights`` (mean bar weight on each element), ``atom_masses`` and ``node_masses``
    (kg, weighted), ``tied_atoms`` (indices of the atoms in the overlap), ``constraint_matrix``
    (sparse ``C``, one row per tied atom), ``chain_side`` ("left" or "right").

    >>> import numpy as np
    >>> chain = Chain(np.arange(5.0), 1.0, lambda s: s**2 / 2, lambda s: s, lambda s: 1 + 0 * s)
    >>> bar = Bar(np.arange(2.0, 9.0), 1.0, lambda e: e**2 / 2, lambda e: e, lambda e: 1 + 0 * e)
    >>> h = Handshake(chain, bar, Blend(2.0, 4.0))
    >>> h.bond_weights.tolist(), h.tied_atoms.tolist()
    ([1.0, 1.0, 0.75, 0.25], [2, 3, 4])
    """

    def __init__(self, chain: Chain, bar: Bar, blend: Blend, *, submodel: str | None = None):
        self.chain, self.bar, self.blend, self.submodel = chain, bar, blend, submodel
        x, nodes = chain.positions, bar.nodes
        start, end = float(blend.start), float(blend.end)
        self._n_chain, self._n_bar = x.size, nodes.size
        self._tol = _POSITION_TOLERANCE * min(chain.spacing, float(np.min(np.diff(nodes))))
        tol = self._tol

        if x[0] < nodes[0] and x[-1] < nodes[-1]:
            self.chain_side: Literal["left", "right"] = "left"
        elif x[0] > nodes[0] and x[-1] > nodes[-1]:
            self.chain_side = "right"
        else:
            raise ValueError(
                f"the chain [{x[0]:.6g}, {x[-1]:.6g}] m and the bar [{nodes[0]:.6g}, "
                f"{nodes[-1]:.6g}] m must lie on opposite sides of the overlap; one contains "
                "the other"
            )
        for what, low, high in (("chain's atoms", x[0], x[-1]), ("bar's nodes", nodes[0],
                                                                 nodes[-1])):
            if start < low - tol or end > high + tol:
                raise ValueError(
                    f"the overlap [{start:.6g}, {end:.6g}] m is not inside the {what} "
                    f"[{low:.6g}, {high:.6g}] m: both descriptions must cover all of it (an atom "
                    "in the overlap is tied to the bar, and must lie on it)"
                )
        left = self.chain_side == "left"
        # Past the overlap on the other description's side a description has weight zero: an
        # atom (node) there would have neither mass nor stiffness nor a constraint.
        beyond = x > end + tol if left else x < start - tol
        if np.any(beyond):
            raise ValueError(
                f"atom at x = {x[np.argmax(beyond)]:.6g} m lies past the overlap [{start:.6g}, "
                f"{end:.6g}] m on the bar's side, where the chain has weight zero"
            )

        if blend.weights is None:
            self._weights = (1.0, 0.0, 0.0, 1.0) if left else (0.0, 1.0, 1.0, 0.0)
        else:
            chain_start, chain_end, bar_start, bar_end = (float(w) for w in blend.weights)
            self._weights = (chain_start, chain_end, bar_start, bar_end)

        self.bond_weights: FloatArray = self._weight("chain", 0.5 * (x[:-1] + x[1:]), tol)
        self.atom_masses: FloatArray = self._weight("chain", x, tol) * chain.mass
        self._element_lengths = np.diff(nodes)
        # Off the overlap an element's weight is a constant w: (w h, w h / 2, w h / 2).
        integrals = np.outer(self._element_lengths * self._weight("bar", 0.5 * (nodes[:-1]
                             + nodes[1:]), 0.0), [1.0, 0.5, 0.5])
        for e in np.flatnonzero((nodes[1:] > start) & (nodes[:-1] < end)):
            integrals[e] = self._element_integrals(nodes[e], nodes[e + 1])
        self.element_weights: FloatArray = integrals[:, 0] / self._element_lengths
        # Lumped mass of element e at its left and right node: int_e w_b rho N_J dx.
        self._element_masses = bar.line_density * integrals[:, 1:]
        self.node_masses: FloatArray = np.zeros(nodes.size)
        self.node_masses[:-1] += self._element_masses[:, 0]
        self.node_masses[1:] += self._element_masses[:, 1]

        inside = (x >= start - tol) & (x <= end + tol)
        self.tied_atoms: NDArray[np.intp] = np.flatnonzero(inside)
        self._free_atoms = np.flatnonzero(~inside)
        shape = self._shape_functions(x[inside])  # (tied, n_bar)
        tied = self.tied_atoms.size
        pick = scipy.sparse.csr_matrix(
            (np.ones(tied), (np.arange(tied), self.tied_atoms)), shape=(tied, x.size)
        )
        self.constraint_matrix = scipy.sparse.hstack([pick, -shape]).tocsr()
        # The constraint space U = T q, q = (free atoms, bar nodes): tied atoms follow the bar.
        free = self._free_atoms.size
        ident = scipy.sparse.csr_matrix(
            (np.ones(free), (self._free_atoms, np.arange(free))), shape=(x.size, free)
        )
        atom_rows = scipy.sparse.lil_matrix((x.size, nodes.size))
        atom_rows[self.tied_atoms, :] = shape
        self._basis = scipy.sparse.bmat(
            [[ident, atom_rows.tocsr()], [None, scipy.sparse.identity(nodes.size)]]
        ).tocsr()
        self._mass = np.concatenate([self.atom_masses, self.node_masses])
        self._reduced_mass = (self._basis.T @ scipy.sparse.diags(self._mass) @ self._basis).tocsc()
        self._check_inertia()
        kkt = scipy.sparse.bmat(
            [[scipy.sparse.diags(self._mass), self.constraint_matrix.T],
             [self.constraint_matrix, None]]
        ).tocsc()
        self._kkt = scipy.sparse.linalg.splu(kkt)

    # ----------------------------------------------------------------------------------------
    # Set-up.
    # ----------------------------------------------------------------------------------------

    def _weight(self, which: Literal["chain", "bar"], x: FloatArray, tol: float) -> FloatArray:
        """Weight of one description at points x (m); ``tol`` widens the overlap (for atoms)."""
        start, end = self.blend.start, self.blend.end
        at_start, at_end = self._weights[:2] if which == "chain" else self._weights[2:]
        own_left = (which == "chain") == (self.chain_side == "left")
        inside = (x >= start - tol) & (x <= end + tol)
        fraction = np.clip((x - start) / (end - start), 0.0, 1.0)
        linear = at_start + (at_end - at_start) * fraction
        outside = np.where(x < start, 1.0 if own_left else 0.0, 0.0 if own_left else 1.0)
        return np.asarray(np.where(inside, linear, outside), dtype=np.float64)

    def _element_integrals(self, x0: float, x1: float) -> FloatArray:
        """``(int w_b, int w_b N_left, int w_b N_right)`` over [x0, x1] (m), exactly.

        The weight is linear on each piece between the overlap's ends, so the element is cut
        there and each piece integrated by two-point Gauss, exact for (linear) x (linear).
        """
        tol = self._tol
        cuts = [p for p in (self.blend.start, self.blend.end) if x0 + tol < p < x1 - tol]
        total = np.zeros(3)
        for p0, p1 in itertools.pairwise([x0, *cuts, x1]):
            points = 0.5 * (p0 + p1) + 0.5 * (p1 - p0) * _GAUSS
            w = self._weight("bar", points, 0.0) * 0.5 * (p1 - p0)
            right = (points - x0) / (x1 - x0)
            total += [w.sum(), (w * (1.0 - right)).sum(), (w * right).sum()]
        return total

    def _shape_functions(self, points: FloatArray) -> scipy.sparse.csr_matrix:
        """The bar's linear shape functions N_J at points (m) inside it, one row per point."""
        nodes = self.bar.nodes
        element = np.clip(np.searchsorted(nodes, points, side="right") - 1, 0, nodes.size - 2)
        right = np.clip((points - nodes[element]) / np.diff(nodes)[element], 0.0, 1.0)
        rows = np.repeat(np.arange(points.size), 2)
        cols = np.column_stack([element, element + 1]).ravel()
        values = np.column_stack([1.0 - right, right]).ravel()
        return scipy.sparse.csr_matrix((values, (rows, cols)), shape=(points.size, nodes.size))

    def _check_inertia(self) -> None:
        # Free atoms must have mass of their own; the bar nodes (with the tied atoms riding on
        # them) must have a positive definite mass matrix, which is tridiagonal: Cholesky.
        if np.any(self.atom_masses[self._free_atoms] <= 0.0):
            raise ValueError("an atom outside the overlap has zero weight, hence no mass")
        free = self._free_atoms.size
        block = self._reduced_mass[free:, free:]
        banded = np.zeros((2, block.shape[0]))
        banded[0, 1:] = block.diagonal(1)
        banded[1] = block.diagonal(0)
        try:
            scipy.linalg.cholesky_banded(banded)
        except np.linalg.LinAlgError:
            raise ValueError(
                "some bar nodes get no inertia from the blend (their elements have weight zero "
                "and no weighted atom is tied to them); check the blend weights"
            ) from None

    # ----------------------------------------------------------------------------------------
    # State bookkeeping.
    # ----------------------------------------------------------------------------------------

    def _state(self, u_chain: ArrayLike, u_bar: ArrayLike, what: str = "u") -> FloatArray:
        uc = np.asarray(u_chain, dtype=np.float64)
        ub = np.asarray(u_bar, dtype=np.float64)
        if uc.shape != (self._n_chain,) or ub.shape != (self._n_bar,):
            raise ValueError(
                f"{what}_chain and {what}_bar must have shapes ({self._n_chain},) and "
                f"({self._n_bar},), got {uc.shape} and {ub.shape}"
            )
        return np.concatenate([uc, ub])

    def _split(self, values: FloatArray) -> tuple[FloatArray, FloatArray]:
        return values[: self._n_chain].copy(), values[self._n_chain :].copy()

    @property
    def dof_positions(self) -> FloatArray:
        """Reference positions (m) of all degrees of freedom, ordered ``(atoms, nodes)``."""
        return np.concatenate([self.chain.positions, self.bar.nodes])

    def _outermost(self) -> tuple[int, int]:
        """Indices, in ``U``, of the leftmost and the rightmost degree of freedom."""
        last_atom, last_node = self._n_chain - 1, self._n_chain + self._n_bar - 1
        return (0, last_node) if self.chain_side == "left" else (self._n_chain, last_atom)

    def _stretches(self, u: FloatArray) -> tuple[FloatArray, FloatArray]:
        uc, ub = u[: self._n_chain], u[self._n_chain :]
        return np.diff(uc), np.diff(ub) / self._element_lengths

    def constraint_residual(self, u_chain: ArrayLike, u_bar: ArrayLike) -> FloatArray:
        """``C U`` (m): each tied atom's displacement minus the bar's at that atom.

        >>> import numpy as np
        >>> h = Handshake(Chain(np.arange(5.0), 1.0, abs, abs, abs),
        ...               Bar(np.arange(2.0, 9.0), 1.0, abs, abs, abs), Blend(2.0, 4.0))
        >>> h.constraint_residual(np.arange(5.0), np.arange(2.0, 9.0)).tolist()
        [0.0, 0.0, 0.0]
        """
        return np.asarray(self.constraint_matrix @ self._state(u_chain, u_bar), dtype=np.float64)

    # ----------------------------------------------------------------------------------------
    # Energy and forces.
    # ----------------------------------------------------------------------------------------

    def _potential_parts(self, u: FloatArray) -> tuple[FloatArray, FloatArray]:
        stretch, strain = self._stretches(u)
        bonds = self.bond_weights * _evaluate(self.chain.bond_energy, stretch)
        elements = (self.element_weights * self._element_lengths
                    * _evaluate(self.bar.energy_density, strain))
        return bonds, elements

    def energy(
        self,
        u_chain: ArrayLike,
        u_bar: ArrayLike,
        v_chain: ArrayLike | None = None,
        v_bar: ArrayLike | None = None,
    ) -> float:
        """The weighted energy H (J) at displacements (m) and, when given, velocities (m/s).

        Potential energy always; the weighted kinetic energy of each description whose
        velocities are given.

        >>> import numpy as np
        >>> h = Handshake(Chain(np.arange(5.0), 1.0, lambda s: s**2 / 2, abs, abs),
        ...               Bar(np.arange(2.0, 9.0), 1.0, lambda e: e**2 / 2, abs, abs),
        ...               Blend(2.0, 4.0))
        >>> round(h.energy(0.1 * np.arange(5.0), 0.1 * np.arange(2.0, 9.0)), 15)  # 0.1**2/2 * 8 m
        0.04
        """
        u = self._state(u_chain, u_bar)
        bonds, elements = self._potential_parts(u)
        total = float(bonds.sum() + elements.sum())
        if v_chain is not None:
            total += self._kinetic(np.asarray(v_chain, dtype=np.float64), self.atom_masses)
        if v_bar is not None:
            total += self._kinetic(np.asarray(v_bar, dtype=np.float64), self.node_masses)
        return total

    @staticmethod
    def _kinetic(v: FloatArray, masses: FloatArray) -> float:
        if v.shape != masses.shape:
            raise ValueError(f"velocities must have shape {masses.shape}, got {v.shape}")
        return float(0.5 * np.sum(masses * v**2))

    def _force_vector(self, u: FloatArray) -> FloatArray:
        stretch, strain = self._stretches(u)
        tension = self.bond_weights * _evaluate(self.chain.bond_force, stretch)
        axial = self.element_weights * _evaluate(self.bar.stress, strain)
        force = np.zeros(u.size)
        chain, bar = force[: self._n_chain], force[self._n_chain :]  # views
        # A bond in tension pulls its left atom right (+) and its right atom left (-).
        chain[:-1] += tension
        chain[1:] -= tension
        bar[:-1] += axial
        bar[1:] -= axial
        return force

    def forces(self, u_chain: ArrayLike, u_bar: ArrayLike) -> tuple[FloatArray, FloatArray]:
        """``-dH/du`` (N) on every atom and node, without the constraint forces.

        >>> import numpy as np
        >>> h = Handshake(Chain(np.arange(5.0), 1.0, abs, lambda s: s, abs),
        ...               Bar(np.arange(2.0, 9.0), 1.0, abs, lambda e: e, abs), Blend(2.0, 4.0))
        >>> f_chain, f_bar = h.forces(0.1 * np.arange(5.0), 0.1 * np.arange(2.0, 9.0))
        >>> f_chain.round(12).tolist()  # weighted tensions 0.1 N x (1, 1, 0.75, 0.25)
        [0.1, 0.0, -0.025, -0.05, -0.025]
        """
        return self._split(self._force_vector(self._state(u_chain, u_bar)))

    def _stiffness(self, u: FloatArray) -> scipy.sparse.csr_matrix:
        """The tangent stiffness d2H/dU2 (N/m), sparse."""
        stretch, strain = self._stretches(u)
        springs = np.concatenate([
            self.bond_weights * _evaluate(self.chain.bond_stiffness, stretch),
            self.element_weights * _evaluate(self.bar.modulus, strain) / self._element_lengths,
        ])
        left = np.concatenate([np.arange(self._n_chain - 1),
                               self._n_chain + np.arange(self._n_bar - 1)])
        right = left + 1
        rows = np.concatenate([left, right, left, right])
        cols = np.concatenate([left, right, right, left])
        values = np.concatenate([springs, springs, -springs, -springs])
        n = self._n_chain + self._n_bar
        return scipy.sparse.csr_matrix((values, (rows, cols)), shape=(n, n))

    def region_energies(
        self,
        u_chain: ArrayLike,
        u_bar: ArrayLike,
        v_chain: ArrayLike | None = None,
        v_bar: ArrayLike | None = None,
    ) -> dict[str, float]:
        """The energy H (J) split among ``"chain"`` (chain only), ``"overlap"`` and ``"bar"``.

        A bond belongs to the chain-only region when its midpoint lies outside the overlap, an
        atom when it is not tied; an element belongs to the bar-only region when it lies wholly
        outside the overlap, and carries the kinetic energy of its share ``int_e w_b rho N_J``
        of each node's mass.  The three parts add up to :meth:`energy` exactly.

        >>> import numpy as np
        >>> h = Handshake(Chain(np.arange(5.0), 1.0, lambda s: s**2 / 2, abs, abs),
        ...               Bar(np.arange(2.0, 9.0), 1.0, lambda e: e**2 / 2, abs, abs),
        ...               Blend(2.0, 4.0))
        >>> parts = h.region_energies(0.1 * np.arange(5.0), 0.1 * np.arange(2.0, 9.0))
        >>> {key: round(value, 12) for key, value in parts.items()}
        {'chain': 0.01, 'overlap': 0.01, 'bar': 0.02}
        """
        u = self._state(u_chain, u_bar)
        bonds, elements = self._potential_parts(u)
        x, nodes = self.chain.positions, self.bar.nodes
        start, end, tol = self.blend.start, self.blend.end, self._tol
        midpoints = 0.5 * (x[:-1] + x[1:])
        bond_out = (midpoints < start - tol) | (midpoints > end + tol)
        element_out = (nodes[1:] <= start + tol) | (nodes[:-1] >= end - tol)
        atom_out = np.ones(x.size, dtype=bool)
        atom_out[self.tied_atoms] = False
        element_energy = elements.copy()
        atom_energy = np.zeros(x.size)
        if v_chain is not None:
            vc = np.asarray(v_chain, dtype=np.float64)
            self._kinetic(vc, self.atom_masses)  # shape check
            atom_energy = 0.5 * self.atom_masses * vc**2
        if v_bar is not None:
            vb = np.asarray(v_bar, dtype=np.float64)
            self._kinetic(vb, self.node_masses)
            element_energy = element_energy + 0.5 * (
                self._element_masses[:, 0] * vb[:-1] ** 2 + self._element_masses[:, 1] * vb[1:] ** 2
            )
        chain_only = float(bonds[bond_out].sum() + atom_energy[atom_out].sum())
        bar_only = float(element_energy[element_out].sum())
        overlap = float(bonds[~bond_out].sum() + atom_energy[~atom_out].sum()
                        + element_energy[~element_out].sum())
        return {"chain": chain_only, "overlap": overlap, "bar": bar_only}

    # ----------------------------------------------------------------------------------------
    # Statics.
    # ----------------------------------------------------------------------------------------

    def ghost_forces(self, strain: float, *, reference_force: float | None = None) -> FloatArray:
        """The patch test: residual forces of the constrained equilibrium under uniform strain.

        Every atom and node is displaced by ``u = strain * x``; the residual ``f + C^T lambda``
        (N) is formed with the multipliers ``lambda`` that minimise it, in the least-squares
        sense, over all degrees of freedom but the two outermost (the ends that would carry the
        load).  Returned on those interior dofs, in the order ``(atoms, nodes)`` with the two
        outermost left out, divided by ``reference_force`` (N; default the bond tension
        ``|phi'(strain * a)|``).  A consistent blend gives round-off (below 1e-10); weights
        that do not add up to one give forces of order one.

        >>> import numpy as np
        >>> h = Handshake(Chain(np.arange(5.0), 1.0, abs, lambda s: s, abs),
        ...               Bar(np.arange(2.0, 9.0), 1.0, abs, lambda e: e, abs),
        ...               Blend(2.0, 4.0, weights=(1.0, 0.0, 0.5, 1.0)))
        >>> round(float(np.max(np.abs(h.ghost_forces(1e-3)))), 12)  # bar weight 0.5 too much
        0.1875
        """
        if not math.isfinite(strain):
            raise ValueError(f"the strain must be finite, got {strain!r}")
        if reference_force is None:
            stretch = np.array([strain * self.chain.spacing])
            reference_force = abs(float(_evaluate(self.chain.bond_force, stretch)[0]))
        if not (math.isfinite(reference_force) and reference_force > 0.0):
            raise ValueError(
                f"the reference force must be positive, got {reference_force!r} (the bond "
                "tension vanishes at this strain: pass reference_force)"
            )
        u = strain * self.dof_positions
        force = self._force_vector(u)
        interior = np.ones(u.size, dtype=bool)
        interior[list(self._outermost())] = False
        # Only the dofs the constraints touch can be relieved by multipliers: solve there.
        transpose = self.constraint_matrix.T.tocsr()
        touched = interior & (np.diff(transpose.indptr) > 0)
        residual = force.copy()
        block = transpose[np.flatnonzero(touched)].toarray()
        multipliers = np.linalg.lstsq(block, -force[touched], rcond=None)[0]
        residual[touched] += block @ multipliers
        return np.asarray(residual[interior] / reference_force, dtype=np.float64)

    def relax(
        self,
        left: float,
        right: float,
        *,
        tol: float = 1e-12,
        max_iter: int = 50,
        guess: tuple[ArrayLike, ArrayLike] | None = None,
    ) -> tuple[FloatArray, FloatArray]:
        """Static equilibrium with the leftmost dof at ``left`` and the rightmost at ``right`` (m).

        The remaining displacements minimise the weighted potential subject to ``C U = 0``:
        Newton's method on the KKT system ``[K C^T; C 0] [dU; lambda] = [f; -C U]`` (one step
        for harmonic laws).  It starts from ``guess`` (``(u_chain, u_bar)``, m; default the
        linear field between the two ends) and stops when a step moves no dof by more than
        ``tol`` times the largest displacement.  Returns ``(u_chain, u_bar)`` (m).  A singular
        system or no convergence in ``max_iter`` steps raises :class:`NumericalFailure`.

        >>> import numpy as np
        >>> h = Handshake(Chain(np.arange(5.0), 1.0, abs, lambda s: s, lambda s: 1 + 0 * s),
        ...               Bar(np.arange(2.0, 9.0), 1.0, abs, lambda e: e, lambda e: 1 + 0 * e),
        ...               Blend(2.0, 4.0))
        >>> u_chain, u_bar = h.relax(0.0, 8e-3, guess=(np.zeros(5), np.zeros(7)))
        >>> (1e3 * u_chain).round(12).tolist()
        [0.0, 1.0, 2.0, 3.0, 4.0]
        """
        if not (math.isfinite(left) and math.isfinite(right)):
            raise ValueError(f"end displacements must be finite, got {left!r}, {right!r}")
        first, last = self._outermost()
        positions = self.dof_positions
        if guess is None:
            span = positions[last] - positions[first]
            u = left + (right - left) * (positions - positions[first]) / span
        else:
            u = self._state(*guess)
            u[first], u[last] = left, right
        fixed = np.zeros(u.size, dtype=bool)
        fixed[[first, last]] = True
        free = np.flatnonzero(~fixed)
        constraints = self.constraint_matrix[:, free]
        for _ in range(max_iter):
            stiffness = self._stiffness(u)[free][:, free]
            system = scipy.sparse.bmat([[stiffness, constraints.T], [constraints, None]]).tocsc()
            rhs = np.concatenate([self._force_vector(u)[free], -(self.constraint_matrix @ u)])
            try:
                solution = scipy.sparse.linalg.splu(system).solve(rhs)
            except RuntimeError as error:  # splu's report of an exactly singular matrix
                raise NumericalFailure(f"the static KKT system is singular ({error})",
                                       submodel=self.submodel, field="u") from None
            step = solution[: free.size]
            if not np.all(np.isfinite(step)):
                raise NumericalFailure("the Newton step of the static solve is not finite",
                                       submodel=self.submodel, field="u")
            u[free] += step
            scale = max(float(np.max(np.abs(u))), abs(left), abs(right))
            if float(np.max(np.abs(step))) <= tol * scale:
                return self._split(u)
        raise NumericalFailure(
            f"Newton did not converge in {max_iter} steps (last step {np.max(np.abs(step)):.3g}"
            " m)",
            submodel=self.submodel,
            field="u",
        )

    # ----------------------------------------------------------------------------------------
    # Dynamics.
    # ----------------------------------------------------------------------------------------

    def stable_step(self, *, u_chain: ArrayLike | None = None,
                    u_bar: ArrayLike | None = None) -> float:
        """The velocity-Verlet stability limit ``2 / omega_max`` (s).

        ``omega_max`` (rad/s) is the largest frequency of the constrained system linearised at
        ``(u_chain, u_bar)`` (m; default the reference configuration): the top eigenvalue of
        ``T^T K T q = omega^2 T^T M T q``, where ``U = T q`` spans the states obeying the
        constraints.  Computed, not estimated, so a step just below it is stable.  ``inf``
        when nothing is stiff.

        >>> import numpy as np
        >>> h = Handshake(Chain(np.arange(5.0), 1.0, abs, abs, lambda s: 1 + 0 * s),
        ...               Bar(np.arange(2.0, 9.0), 1.0, abs, abs, lambda e: 1 + 0 * e),
        ...               Blend(2.0, 4.0))
        >>> round(h.stable_step(), 6)  # the chain alone: 2 / omega_max = 2 / 2 = 1 s
        0.999101
        """
        if u_chain is None and u_bar is None:
            u = np.zeros(self._n_chain + self._n_bar)
        else:
            u = self._state(
                np.zeros(self._n_chain) if u_chain is None else u_chain,
                np.zeros(self._n_bar) if u_bar is None else u_bar,
            )
        stiffness = (self._basis.T @ self._stiffness(u) @ self._basis).tocsc()
        if stiffness.shape[0] <= _DENSE_EIGEN_LIMIT:
            top = scipy.linalg.eigh(
                stiffness.toarray(), self._reduced_mass.toarray(), eigvals_only=True,
                subset_by_index=[stiffness.shape[0] - 1, stiffness.shape[0] - 1],
            )[0]
        else:
            factor = scipy.sparse.linalg.splu(self._reduced_mass)
            inverse = scipy.sparse.linalg.LinearOperator(
                stiffness.shape, matvec=factor.solve, dtype=np.float64
            )
            top = scipy.sparse.linalg.eigsh(
                stiffness, k=1, M=self._reduced_mass, Minv=inverse, which="LA",
                return_eigenvectors=False, tol=1e-10,
            )[0]
        if not math.isfinite(top):
            raise NumericalFailure("the largest frequency is not finite",
                                   submodel=self.submodel, field="u")
        return math.inf if top <= 0.0 else 2.0 / math.sqrt(float(top))

    def _project(self, momentum: FloatArray) -> FloatArray:
        """The velocity V with ``M V + C^T mu = momentum`` and ``C V = 0``.

        For positive masses this is ``V = M^-1 (p - C^T mu)`` with
        ``C M^-1 C^T mu = C M^-1 p``, i.e. the multiplier step of the bridging-domain method;
        solving the (factored) KKT system instead also admits tied atoms of zero weight, whose
        velocity is then just the bar's.
        """
        rhs = np.concatenate([momentum, np.zeros(self.tied_atoms.size)])
        return np.asarray(self._kkt.solve(rhs)[: momentum.size], dtype=np.float64)

    def accelerations(self, u_chain: ArrayLike, u_bar: ArrayLike) -> tuple[FloatArray, FloatArray]:
        """The constrained accelerations (m/s^2): ``M A = f + C^T lambda`` with ``C A = 0``.

        With them, ``H - dt^2 / 8 * A . M A`` is the quantity :meth:`run`'s scheme conserves
        exactly (to round-off) for harmonic laws and a fixed step ``dt``; :meth:`run` reports
        it as ``scheme_energy``.

        >>> import numpy as np
        >>> h = Handshake(Chain(np.arange(5.0), 1.0, abs, lambda s: s, abs),
        ...               Bar(np.arange(2.0, 9.0), 1.0, abs, lambda e: e, abs), Blend(2.0, 4.0))
        >>> a_chain, a_bar = h.accelerations(np.zeros(5), 0.1 * np.arange(7.0))
        >>> float(a_chain[2] - a_bar[0])  # a tied atom moves with the bar
        0.0
        """
        return self._split(self._project(self._force_vector(self._state(u_chain, u_bar))))

    def run(
        self,
        u_chain0: ArrayLike,
        u_bar0: ArrayLike,
        v_chain0: ArrayLike,
        v_bar0: ArrayLike,
        times: ArrayLike,
        *,
        dt: float | None = None,
        progress: Callable[[float], None] | None = None,
    ) -> dict[str, FloatArray]:
        """Explicit dynamics with free ends from t = 0; states at the output ``times`` (s).

        Velocity Verlet on the weighted masses: each half kick ``M V <- M V + dt/2 f`` is
        followed by the multiplier correction that restores ``C V = 0`` (one factored KKT
        solve, see :meth:`_project`), so the displacements ``U <- U + dt V`` keep ``C U = 0``
        to round-off; in the constraint space the scheme is plain Verlet, hence symplectic.
        The initial state is first projected onto the constraints (the mass-weighted closest
        one), since fields sampled separately on atoms and nodes agree in the overlap only to
        interpolation error; the first output then shows the projected state.

        ``dt`` defaults to half of :meth:`stable_step` (taken at the reference and at the
        initial state, the smaller); a given ``dt`` above that limit raises
        :class:`NumericalFailure`, as does a non-finite state (with its time).  Either way the
        step is the largest allowed: each interval between outputs is cut into the fewest
        equal steps no longer than it, so evenly spaced outputs get one constant step (exactly
        ``dt`` when it divides the interval).  Not ``dt`` and a shortened last step: near the
        limit such a pair, each stable alone, can resonate and grow.  ``progress`` is called
        with the fraction of the run done at each output.

        Returns ``u_chain`` and ``u_bar`` (m), ``v_chain`` and ``v_bar`` (m/s), each of shape
        ``(len(times), n)``, ``energy`` (J), H at each output time, and ``scheme_energy`` (J),
        ``H - dt^2/8 A . M A`` (``A`` the constrained accelerations, ``dt`` the step just
        taken).  H oscillates by O((omega dt)^2) about a constant without drifting; the scheme
        energy, which is the leapfrog energy ``1/2 V_{n-1/2} . M V_{n+1/2} + potential``, is
        what the scheme conserves, exactly for harmonic laws and a constant step, so its
        change is the measure of integration error and drift.

        >>> import numpy as np
        >>> h = Handshake(Chain(np.arange(5.0), 1.0, lambda s: s**2 / 2, lambda s: s,
        ...                     lambda s: 1 + 0 * s),
        ...               Bar(np.arange(2.0, 9.0), 1.0, lambda e: e**2 / 2, lambda e: e,
        ...                   lambda e: 1 + 0 * e), Blend(2.0, 4.0))
        >>> out = h.run(np.zeros(5), np.zeros(7), np.full(5, 0.1), np.full(7, 0.1), [0.0, 3.0])
        >>> out["u_bar"][-1].round(12).tolist()  # a rigid translation at 0.1 m/s
        [0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3]
        """
        u = self._state(u_chain0, u_bar0)
        v = self._state(v_chain0, v_bar0, "v")
        outputs = np.asarray(times, dtype=np.float64).ravel()
        if (outputs.size == 0 or not np.all(np.isfinite(outputs)) or outputs[0] < 0.0
                or np.any(np.diff(outputs) < 0.0)):
            raise ValueError("output times must be finite, non-negative and ascending from 0")
        if not (np.all(np.isfinite(u)) and np.all(np.isfinite(v))):
            raise NumericalFailure("the initial state is not finite", submodel=self.submodel,
                                   field="u", time=0.0)
        limit = min(self.stable_step(), self.stable_step(u_chain=u[: self._n_chain],
                                                         u_bar=u[self._n_chain :]))
        if dt is not None:
            if not (math.isfinite(dt) and dt > 0.0):
                raise ValueError(f"the time step must be positive and finite, got {dt!r}")
            if dt > limit:
                raise NumericalFailure(
                    f"the step dt = {dt:.6g} s exceeds the stability limit {limit:.6g} s of "
                    f"velocity Verlet (2 / omega_max); use dt <= {limit:.6g} s",
                    submodel=self.submodel, field="u", time=0.0,
                )
        max_step = dt if dt is not None else DEFAULT_STEP_FRACTION * limit
        if not math.isfinite(max_step):  # nothing stiff: one step per output interval
            max_step = float(outputs[-1]) or 1.0

        mass = self._mass
        u = self._project(mass * u)
        v = self._project(mass * v)
        force = self._force_vector(u)
        n = u.size
        states = {key: np.empty((outputs.size, n)) for key in ("u", "v")}
        energy, scheme_energy = np.empty(outputs.size), np.empty(outputs.size)
        stops = np.unique(outputs)
        segments = [step_sizes(float(b) - float(a), max_step)
                    for a, b in zip(np.concatenate([[0.0], stops[:-1]]), stops, strict=True)]
        # The step the scheme energy refers to: the last one taken (the first one at t = 0).
        h = next((steps[0] for steps in segments if steps), 0.0)
        t = 0.0
        with np.errstate(over="ignore", invalid="ignore"):  # reported below, with the time
            for stop, steps in zip(stops, segments, strict=True):
                for h in steps:
                    v = self._project(mass * v + 0.5 * h * force)
                    u = u + h * v
                    force = self._force_vector(u)
                    v = self._project(mass * v + 0.5 * h * force)
                    t += h
                    if not (np.all(np.isfinite(u)) and np.all(np.isfinite(force))):
                        raise NumericalFailure(
                            f"the state is not finite after a step of dt = {h:.6g} s",
                            submodel=self.submodel, field="u", time=t,
                        )
                t = float(stop)
                where = outputs == stop
                states["u"][where], states["v"][where] = u, v
                bonds, elements = self._potential_parts(u)
                total = float(bonds.sum() + elements.sum() + 0.5 * np.sum(mass * v**2))
                energy[where] = total
                acceleration = self._project(force)
                scheme_energy[where] = total - h**2 / 8.0 * float(np.sum(mass * acceleration**2))
                if progress is not None and outputs[-1] > 0.0:
                    progress(t / float(outputs[-1]))
        return {
            "u_chain": states["u"][:, : self._n_chain], "u_bar": states["u"][:, self._n_chain :],
            "v_chain": states["v"][:, : self._n_chain], "v_bar": states["v"][:, self._n_chain :],
            "energy": energy, "scheme_energy": scheme_energy,
        }


def reflected_energy_fraction(
    result: Mapping[str, FloatArray],
    handshake: Handshake,
    side: Literal["bar", "chain"] | None = None,
    *,
    index: int = -1,
) -> float:
    """Fraction of the initial energy found back in the ``side``-only region at an output.

    For a pulse launched in the ``side``-only region towards the overlap (None: the region
    that holds more of the energy at the first output) the energy (J) of
    the ``side``-only region (see :meth:`Handshake.region_energies`) at output ``index``
    (default the last), divided by the total energy H at the first output, both counted from
    the reference configuration (u = 0 at rest).  Once the whole
    incident pulse has entered the overlap and the transmitted part has moved on into the
    other description's region, what is left on the launch side is the reflected energy; the
    caller chooses the output time so (a pulse not yet arrived, or a reflection from the far
    free end, would be counted too).

    >>> import numpy as np
    >>> h = Handshake(Chain(np.arange(5.0), 1.0, lambda s: s**2 / 2, lambda s: s,
    ...                     lambda s: 1 + 0 * s),
    ...               Bar(np.arange(2.0, 9.0), 1.0, lambda e: e**2 / 2, lambda e: e,
    ...                   lambda e: 1 + 0 * e), Blend(2.0, 4.0))
    >>> bump = np.exp(-((np.arange(2.0, 9.0) - 7.0) ** 2))  # a pulse in the bar, at rest
    >>> out = h.run(np.zeros(5), 1e-3 * bump, np.zeros(5), np.zeros(7), [0.0])
    >>> round(reflected_energy_fraction(out, h, "bar"), 6)  # at t = 0 all of it is there
    1.0
    """
    if side not in ("bar", "chain", None):
        raise ValueError(f"side must be 'bar', 'chain' or None, got {side!r}")
    # Energies are counted from the reference configuration (u = 0, at rest): a bond energy
    # such as Lennard-Jones's is negative there, and only the excess travels with a pulse.
    chain_dofs, bar_dofs = handshake.chain.positions.size, handshake.bar.nodes.size
    reference = handshake.region_energies(np.zeros(chain_dofs), np.zeros(bar_dofs))
    if side is None:  # where the motion starts: the region holding more of the excess then
        start = handshake.region_energies(result["u_chain"][0], result["u_bar"][0],
                                          result["v_chain"][0], result["v_bar"][0])
        excess = {key: start[key] - reference[key] for key in ("bar", "chain")}
        side = "bar" if excess["bar"] >= excess["chain"] else "chain"
    initial = float(result["energy"][0]) - sum(reference.values())
    if not initial > 0.0:
        return math.nan  # nothing moves: no energy to be reflected
    parts = handshake.region_energies(
        result["u_chain"][index], result["u_bar"][index],
        result["v_chain"][index], result["v_bar"][index],
    )
    return (parts[side] - reference[side]) / initial
