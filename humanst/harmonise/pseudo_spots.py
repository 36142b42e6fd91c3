"""Pool bins or cells into pseudo-spots on a square micron grid (Visium HD, Xenium; DESIGN 2.4).

Grid cells are squares of side ``side_um`` anchored at the micron origin: an observation at ``(x, y)`` um
falls in cell ``(floor(x / side), floor(y / side))``. Counts are summed per cell; the pseudo-spot centre is
the **cell centre** ``((col + 0.5) * side, (row + 0.5) * side)``, not the mean of its members, so that
pseudo-spots of a sample lie on an exact lattice of pitch ``side_um`` whatever the members' layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

if TYPE_CHECKING:
    from anndata import AnnData

__all__ = ["PseudoSpots", "pool_anndata", "pool_to_grid", "pseudo_spot_ids"]


@dataclass(frozen=True)
class PseudoSpots:
    """Observations pooled on a micron grid.

    ``counts``: pseudo-spots x features (CSR, summed, input dtype kept); ``centres_um``: ``(n, 2)`` cell centres
    ``(x, y)``; ``grid_col_row``: ``(n, 2)`` integer cell indices; ``n_members``: pooled observations per
    pseudo-spot; ``member_of``: for each input observation the row of its pseudo-spot.
    """

    counts: sparse.csr_matrix
    centres_um: np.ndarray
    grid_col_row: np.ndarray
    n_members: np.ndarray
    member_of: np.ndarray
    side_um: float

    @property
    def ids(self) -> list[str]:
        """Stable pseudo-spot ids ``ps_c<col>_r<row>``."""
        return pseudo_spot_ids(self.grid_col_row)


def pseudo_spot_ids(grid_col_row: np.ndarray) -> list[str]:
    """Name pseudo-spots by their grid cell: ``ps_c<col>_r<row>``."""
    return [f"ps_c{int(c)}_r{int(r)}" for c, r in np.asarray(grid_col_row)]


def pool_to_grid(counts: sparse.spmatrix | np.ndarray, xy_um: np.ndarray, side_um: float) -> PseudoSpots:
    """Sum the rows of ``counts`` whose positions ``xy_um`` fall in the same ``side_um`` square grid cell.

    Parameters
    ----------
    counts
        Observations x features (bins or cells).
    xy_um
        ``(n, 2)`` positions ``(x, y)`` in microns.
    side_um
        Grid cell side in microns (the pseudo-spot footprint).

    Raises
    ------
    ValueError
        When ``side_um`` is not positive, positions are not finite or shapes disagree.
    """
    csr = sparse.csr_matrix(counts)
    xy_um = np.asarray(xy_um, dtype=np.float64)
    if not side_um > 0:
        msg = f"pseudo-spot side must be a positive number of microns; found {side_um!r}"
        raise ValueError(msg)
    if xy_um.shape != (csr.shape[0], 2):
        msg = f"positions have shape {xy_um.shape}; expected ({csr.shape[0]}, 2) for the rows of counts"
        raise ValueError(msg)
    if not np.isfinite(xy_um).all():
        msg = f"{int((~np.isfinite(xy_um)).any(axis=1).sum())} positions are not finite; drop them before pooling"
        raise ValueError(msg)
    cell = np.floor(xy_um / side_um).astype(np.int64)
    unique, member_of = np.unique(cell, axis=0, return_inverse=True)
    member_of = np.asarray(member_of).ravel()
    n_spots = len(unique)
    pool = sparse.csr_matrix(
        (np.ones(len(member_of), dtype=csr.dtype), (member_of, np.arange(len(member_of)))),
        shape=(n_spots, csr.shape[0]),
    )
    pooled = sparse.csr_matrix(pool @ csr, dtype=csr.dtype)
    pooled.sort_indices()
    return PseudoSpots(
        counts=pooled,
        centres_um=(unique + 0.5) * side_um,
        grid_col_row=unique,
        n_members=np.bincount(member_of, minlength=n_spots),
        member_of=member_of,
        side_um=float(side_um),
    )


def pool_anndata(
    table: AnnData, xy_um: np.ndarray, side_um: float, *, member_name: str = "n_members"
) -> tuple[AnnData, PseudoSpots]:
    """Pool an AnnData's observations on the micron grid; return (pseudo-spot AnnData, :class:`PseudoSpots`).

    The result keeps ``var``; ``obs`` holds ``x_um``, ``y_um`` (cell centres), ``grid_col``, ``grid_row`` and
    ``member_name`` (pooled observations per pseudo-spot); ``obsm['spatial_um']`` = the centres.
    """
    import anndata as ad
    import pandas as pd

    spots = pool_to_grid(table.X, xy_um, side_um)
    obs = pd.DataFrame(
        {
            "x_um": spots.centres_um[:, 0],
            "y_um": spots.centres_um[:, 1],
            "grid_col": spots.grid_col_row[:, 0],
            "grid_row": spots.grid_col_row[:, 1],
            member_name: spots.n_members,
        },
        index=pd.Index(spots.ids),
    )
    pooled = ad.AnnData(X=spots.counts, obs=obs, var=table.var.copy())
    pooled.obsm["spatial_um"] = spots.centres_um.copy()
    return pooled, spots
