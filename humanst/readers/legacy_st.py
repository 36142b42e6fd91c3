"""Legacy ST (Ståhl 2016 arrays): counts ``*.tsv.gz``, spot selection ``*.tsv``, H&E ``*.jpg`` (FORMATS.md 5)."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from humanst.errors import ReaderError
from humanst.readers._images import open_image
from humanst.readers._inputs import as_count_csr, find_file
from humanst.readers._registry import register_reader
from humanst.readers.pixel_size import PixelSize, fit_lattice_um_per_px, with_override
from humanst.readers.raw import RawSample, ReadSettings

if TYPE_CHECKING:
    from humanst.manifest import SampleEntry

__all__ = ["Keys", "read_legacy_st"]

SPOT_UM = 100.0
PITCH_UM = 200.0  # centre-to-centre on the square array


class Keys(StrEnum):
    """File patterns and columns of a legacy ST sample."""

    COUNTS_PATTERN = "*.tsv.gz"
    SELECTION_PATTERN = "*.tsv"
    X = "x"
    Y = "y"
    NEW_X = "new_x"
    NEW_Y = "new_y"
    PIXEL_X = "pixel_x"
    PIXEL_Y = "pixel_y"
    SELECTED = "selected"


IMAGE_PATTERNS = ("*.jpg", "*.jpeg", "*.png", "*.tif", "*.tiff")
SELECTION_COLUMNS = (Keys.X, Keys.Y, Keys.PIXEL_X, Keys.PIXEL_Y, Keys.SELECTED)


def _read_selection(path: Path, sample_id: str) -> pd.DataFrame:
    try:
        table = pd.read_csv(path, sep="\t")
    except (OSError, ValueError) as exc:
        msg = f"cannot read the spot selection file ({exc})"
        raise ReaderError(msg, sample_id=sample_id, path=path) from exc
    missing = [str(c) for c in SELECTION_COLUMNS if c not in table.columns]
    if missing:
        msg = (
            f"the spot selection file lacks column(s) {missing}; expected a tab-separated header "
            f"'x y new_x new_y pixel_x pixel_y selected', found {list(table.columns)}"
        )
        raise ReaderError(msg, sample_id=sample_id, path=path)
    table.index = pd.Index(
        table[Keys.X].astype(int).astype(str) + "x" + table[Keys.Y].astype(int).astype(str), name="spot_id"
    )
    return table


def _read_counts(path: Path, sample_id: str) -> pd.DataFrame:
    import gzip

    try:
        frame = pd.read_csv(path, sep="\t", index_col=0)
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as handle:  # pandas renames duplicated columns (A2M.1): undo it
            header = handle.readline().rstrip("\n").split("\t")[1:]
        if len(header) == frame.shape[1]:
            frame.columns = header
        return frame
    except (OSError, ValueError, EOFError) as exc:
        msg = f"cannot read the counts table ({exc}); download it again"
        raise ReaderError(msg, sample_id=sample_id, path=path) from exc


@register_reader("legacy_st", footprint_um=SPOT_UM, description="Legacy ST counts .tsv.gz + spot selection .tsv + jpg")
def read_legacy_st(entry: SampleEntry, inputs: Sequence[Path], settings: ReadSettings) -> RawSample:
    """Read a legacy ST sample: selected spots joined to their counts, pixel size from the 200 um array pitch.

    Raises
    ------
    ReaderError
        When the counts, spot selection or image is missing or unreadable, or no spot is left after the join.
    """
    import anndata as ad

    sid = entry.id
    counts_path = find_file(inputs, [Keys.COUNTS_PATTERN], sample_id=sid, what="ST counts table (*.tsv.gz)")
    sel_path = find_file(
        inputs, [Keys.SELECTION_PATTERN], sample_id=sid, what="ST spot selection (*.tsv)", prefer="selection"
    )
    image_path = find_file(inputs, IMAGE_PATTERNS, sample_id=sid, what="H&E image (*.jpg)")
    image = open_image(image_path, sample_id=sid)
    selection = _read_selection(sel_path, sid)
    counts = _read_counts(counts_path, sid)
    notes: list[str] = []
    selected = selection[selection[Keys.SELECTED] == 1]
    shared = counts.index.intersection(selected.index)
    n_counts_only = len(counts.index.difference(selected.index))
    n_selection_only = len(selected.index.difference(counts.index))
    if n_counts_only:
        notes.append(f"{n_counts_only} spot(s) of the counts table are not selected under tissue; dropped")
    if n_selection_only:
        notes.append(f"{n_selection_only} selected spot(s) have no counts row; dropped")
    if shared.empty:
        msg = "no spot id (e.g. '10x13') of the counts table matches a selected spot; the files do not belong together"
        raise ReaderError(msg, sample_id=sid, path=sel_path)
    spots = selected.loc[shared]
    matrix = counts.loc[shared]
    obs = pd.DataFrame(
        {
            "array_x": spots[Keys.X].astype(int).to_numpy(),
            "array_y": spots[Keys.Y].astype(int).to_numpy(),
        },
        index=pd.Index([str(i) for i in shared]),
    )
    for col in (Keys.NEW_X, Keys.NEW_Y):
        if col in spots:
            obs[str(col)] = spots[col].to_numpy(dtype=float)
    table = ad.AnnData(
        X=as_count_csr(matrix.to_numpy()),
        obs=obs,
        var=pd.DataFrame(index=pd.Index([str(c) for c in matrix.columns])),
    )
    xy = spots[[Keys.PIXEL_X, Keys.PIXEL_Y]].to_numpy(dtype=np.float64)
    table.obsm["spatial"] = xy
    height, width = image.shape
    outside = (xy[:, 0] < 0) | (xy[:, 0] >= width) | (xy[:, 1] < 0) | (xy[:, 1] >= height)
    if outside.any():
        notes.append(
            f"{int(outside.sum())} spot centre(s) fall outside the {width}x{height} px image; the coordinates may be "
            "for a rescaled image (check the release notes) or the image is the wrong one"
        )
    measured = _pixel_size(spots, xy)
    size = with_override(measured, settings.um_per_px, settings.um_per_px_source)
    return RawSample(
        sample_id=sid,
        platform="legacy_st",
        counts=table,
        xy_px=xy,
        image=image,
        um_per_px=size.um_per_px,
        um_per_px_source=size.source,
        footprint_um=SPOT_UM,
        warnings=notes,
        dropped={"not_in_tissue": n_counts_only, "no_counts": n_selection_only},
        metadata={
            "reader": "humanst.readers.legacy_st",
            "files": {"counts": str(counts_path), "selection": str(sel_path), "image": str(image_path)},
            "um_per_px_measured": measured.um_per_px,
        },
    )


def _pixel_size(spots: pd.DataFrame, xy: np.ndarray) -> PixelSize:
    """Fit pixel positions on the (adjusted) array positions times the 200 um pitch."""
    use_new = Keys.NEW_X in spots and Keys.NEW_Y in spots
    cols = (Keys.NEW_X, Keys.NEW_Y) if use_new else (Keys.X, Keys.Y)
    lattice = spots[list(cols)].to_numpy(dtype=np.float64) * PITCH_UM
    return PixelSize(
        fit_lattice_um_per_px(xy, lattice),
        f"legacy ST array pitch fit ({PITCH_UM:g} um; pixel_x/pixel_y on {cols[0]}/{cols[1]})",
    )
