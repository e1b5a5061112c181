"""The hand-written numerical library that generated solver modules call.

Everything is SI and float64; fields live on cell-centred finite-volume grids, and 2-D fields
have shape ``(nx, ny)`` indexed ``[i, j] = (x_i, y_j)``.  One module per job:

* :mod:`~scalebridge.solvers.errors`: :class:`NumericalFailure`, naming submodel, field and time;
* :mod:`~scalebridge.solvers.grids`: uniform 1-D and 2-D grids;
* :mod:`~scalebridge.solvers.boundaries`: dirichlet, neumann, robin and periodic conditions;
* :mod:`~scalebridge.solvers.finite_volume`: conservative diffusion operators, their matrices
  and boundary fluxes (re-exporting the advection operators);
* :mod:`~scalebridge.solvers.advection`: first-order upwind advection;
* :mod:`~scalebridge.solvers.time_stepping`: stability limits, forward Euler, the theta scheme
  and stiff ODE integration;
* :mod:`~scalebridge.solvers.linear`: exact propagation of linear systems ``dy/dt = A y + b``;
* :mod:`~scalebridge.solvers.static`: roots, nonlinear systems and minimisation;
* :mod:`~scalebridge.solvers.tridiagonal`: tridiagonal factor-once, solve-many;
* :mod:`~scalebridge.solvers.stencil`: explicit 2-D diffusion-reaction stencil runs;
* :mod:`~scalebridge.solvers.handshake`: a 1-D atomic chain and a finite-element bar coupled by
  the bridging-domain method (weighted energies, constraints, velocity Verlet);
* :mod:`~scalebridge.solvers.quadrature`: Gauss rules matched to distributions, and
  expectations over independent random parameters.

``_faces`` holds the face machinery shared by the finite-volume modules and is internal.
"""
