"""``humanst score ATLAS``: score the tables of an atlas's stores again, each store swapped in atomically.

A store is never edited in place: it is staged beside itself (image and shape chunks hard-linked, everything
else copied), the table is rewritten in the staged copy, and the copy replaces the store. A kill leaves the old
store, or (between the two renames) no store, which the next ``humanst build`` rebuilds; never a half-written
store that a build would skip as finished.
"""

from __future__ import annotations

import os
import shutil
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from humanst.atomic import atomic_path, remove_stale_temporaries
from humanst.errors import AtlasError
from humanst.store.atlas import TABLE_KEY, Atlas

if TYPE_CHECKING:
    from humanst.pathways import PathwayScores
    from humanst.pathways.context import Background

__all__ = ["rescore_store"]

_LINKED_ELEMENTS = ("images", "labels", "points", "shapes")  # element folders whose chunks are never rewritten
_METADATA = ("zarr.json", ".zattrs", ".zgroup", ".zarray", ".zmetadata")


def _stage(src: Path, dst: Path) -> None:
    """Copy the store ``src`` to ``dst``: chunks of image/shape elements as hard links, the rest as copies."""
    for folder, _dirs, files in os.walk(src):
        rel = Path(folder).relative_to(src)
        (dst / rel).mkdir(parents=True, exist_ok=True)
        linkable = bool(rel.parts) and rel.parts[0] in _LINKED_ELEMENTS
        for name in files:
            source, target = Path(folder) / name, dst / rel / name
            if linkable and name not in _METADATA:
                try:
                    os.link(source, target)
                    continue
                except OSError:  # another filesystem, or links not allowed: copy instead
                    pass
            shutil.copy2(source, target)


def rescore_store(
    atlas: Atlas, sample_id: str, collections: Sequence[str], *, method: str, background: Background | None,
    min_coverage: float,
) -> tuple[int, list[PathwayScores]]:  # fmt: skip
    """Score a sample store's table with each collection and swap the store in; return (spots, results).

    Raises
    ------
    AtlasError
        The sample has no store.
    HumanstError
        A collection cannot be scored (unknown name, unreadable GMT); the store is left as it was.
    """
    import zarr
    from spatialdata import read_zarr

    from humanst.pathways import score
    from humanst.store.sample_zarr import WRITE_EVERY_CHUNK

    store = atlas.store_path(sample_id)
    if not store.is_dir():
        msg = f"atlas '{atlas.root}': sample '{sample_id}' has no store at '{store}'; build the sample first"
        raise AtlasError(msg)
    remove_stale_temporaries(store)  # what a killed earlier run left beside the store
    results = []
    with atomic_path(store, "rescore") as staged:
        _stage(store, staged)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sdata = read_zarr(staged)
            adata = sdata.tables[TABLE_KEY]
            for name in collections:
                result = score(adata, name, method, min_coverage=min_coverage, background=background)
                result.to_obsm(adata)
                results.append(result)
            # spatialdata refuses to overwrite an element inside its own backing store: the table is in memory,
            # so delete it on disk and write it again (the documented route, scverse/spatialdata#520).
            sdata.delete_element_from_disk(TABLE_KEY)
            with zarr.config.set(WRITE_EVERY_CHUNK):  # fill-valued chunks too (see humanst.store.chunks)
                sdata.write_element(TABLE_KEY)
    return adata.n_obs, results
