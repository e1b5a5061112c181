"""Method of manufactured solutions: steady variable-coefficient diffusion in 2-D.

div(k grad u) = f on [0, W] x [0, H] with k(x, y) = 1 + 0.5 sin(pi x) cos(pi y) and a chosen
smooth u; f, the boundary data and the fluxes come from u symbolically.  The sparse system is
solved on four grids and the observed order of the L2 error is measured.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import scipy.sparse.linalg
import sympy as sp

from scalebridge.solvers.boundaries import BoundaryCondition, dirichlet, neumann, robin
from scalebridge.solvers.finite_volume import diffusion_2d, diffusion_matrix_2d
from scalebridge.solvers.grids import Grid2D

W, H = 1.0, 0.8  # m
H_FILM = 3.0  # robin transfer coefficient, units of k/m

_x, _y = sp.symbols("x y")
_k = 1 + sp.Rational(1, 2) * sp.sin(sp.pi * _x) * sp.cos(sp.pi * _y)
_u = sp.exp(_x) * sp.sin(2 * _y + sp.Rational(1, 3)) + _x * _y**2
_f = sp.diff(_k * sp.diff(_u, _x), _x) + sp.diff(_k * sp.diff(_u, _y), _y)

Field = Callable[[np.ndarray, np.ndarray], np.ndarray]


def _numeric(expression: sp.Expr) -> Field:
    function = sp.lambdify((_x, _y), expression, "numpy")
    return lambda x, y: np.broadcast_to(function(x, y), np.broadcast(x, y).shape).astype(float)


K, U, F = _numeric(_k), _numeric(_u), _numeric(_f)
K_UX, K_UY = _numeric(_k * sp.diff(_u, _x)), _numeric(_k * sp.diff(_u, _y))


def dirichlet_sides(grid: Grid2D) -> dict[str, BoundaryCondition]:
    xs, ys = grid.centres_x, grid.centres_y
    return {
        "left": dirichlet(U(np.zeros_like(ys), ys)),
        "right": dirichlet(U(np.full_like(ys, W), ys)),
        "bottom": dirichlet(U(xs, np.zeros_like(xs))),
        "top": dirichlet(U(xs, np.full_like(xs, H))),
    }


def mixed_sides(grid: Grid2D) -> dict[str, BoundaryCondition]:
    xs, ys = grid.centres_x, grid.centres_y
    x_right, y_bottom = np.full_like(ys, W), np.zeros_like(xs)
    # Flux into the domain is +k du/dx on the right side and -k du/dy on the bottom side.
    flux_bottom = -K_UY(xs, y_bottom)
    return {
        "left": dirichlet(U(np.zeros_like(ys), ys)),
        "right": neumann(K_UX(x_right, ys)),
        "bottom": robin(H_FILM, U(xs, y_bottom) + flux_bottom / H_FILM),
        "top": dirichlet(U(xs, np.full_like(xs, H))),
    }


def l2_error(cells: int, sides: Callable[[Grid2D], dict[str, BoundaryCondition]]) -> float:
    grid = Grid2D(W, H, cells, cells)
    X, Y = grid.mesh()
    A, b = diffusion_matrix_2d(K(X, Y), grid, sides(grid))
    u = scipy.sparse.linalg.spsolve(A.tocsc(), F(X, Y).ravel() - b).reshape(grid.shape)
    residual = diffusion_2d(u, K(X, Y), grid, sides(grid)) - F(X, Y)
    assert np.abs(residual).max() < 1e-8 * np.abs(F(X, Y)).max() * cells**2
    return float(np.sqrt(np.sum((u - U(X, Y)) ** 2) * grid.cell_area))


@pytest.mark.parametrize("sides", [dirichlet_sides, mixed_sides], ids=["dirichlet", "mixed"])
def test_manufactured_solution_converges_at_second_order(
    sides: Callable[[Grid2D], dict[str, BoundaryCondition]],
) -> None:
    errors = np.array([l2_error(cells, sides) for cells in (16, 32, 64, 128)])
    assert errors[-1] < 1e-4
    orders = np.log2(errors[:-1] / errors[1:])
    assert np.all((orders > 1.8) & (orders < 2.2)), orders


def test_wrong_flux_sign_is_caught_by_the_manufactured_solution() -> None:
    # The same study with the Neumann data negated does not converge: the MMS is sensitive to
    # the "flux into the domain" convention it is checking.
    def flipped(grid: Grid2D) -> dict[str, BoundaryCondition]:
        sides = mixed_sides(grid)
        sides["right"] = neumann(-np.asarray(sides["right"].flux))
        return sides

    assert l2_error(64, flipped) > 100 * l2_error(64, mixed_sides)
