"""Every chunk of a zarr store accounted for: a listing finds missing ones, ``deep`` decodes each.

A missing chunk reads as the array's fill value without an error (a deleted image chunk is a black square), so
opening a store proves little. :func:`check_chunks` lists each array's folder and compares it with the chunk keys
its shape and chunk grid imply (the shard grid when the array is sharded: one file per shard), checks that the
arrays the consolidated metadata lists are on disk with the same shape, and with ``deep`` reads every chunk (or
shard) so a corrupt one fails its codec. Stores are written with every chunk present, fill-valued ones included
(:func:`humanst.store.sample_zarr.write_sample_store`), so any missing key is a lost chunk.
"""

from __future__ import annotations

import itertools
import math
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import zarr

__all__ = ["check_chunks", "zarr_arrays"]

_SHOWN = 3  # missing keys named per array; the rest are counted
_NO_DATA = "null"  # anndata's placeholder for None (e.g. ``raw``): an array that by design holds no chunk


def zarr_arrays(root: Path) -> Iterator[zarr.Array]:
    """Yield every array of the zarr store at ``root`` as found on disk (consolidated metadata not used)."""
    import zarr

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # files that are not zarr nodes (shapes.parquet) are warned about
        group = zarr.open_group(root, mode="r", use_consolidated=False)
        stack = [group]
        while stack:
            for _name, member in stack.pop().members():
                if isinstance(member, zarr.Array):
                    yield member
                else:
                    stack.append(member)


def _grid(array: zarr.Array) -> tuple[int, ...]:
    """Storage units per dimension: shards when the array is sharded, else chunks."""
    unit = array.shards or array.chunks
    return tuple(math.ceil(size / step) if size else 0 for size, step in zip(array.shape, unit, strict=True))


def _files_under(folder: Path) -> set[str]:
    found = set()
    for current, _dirs, names in os.walk(folder):
        for name in names:
            if name not in ("zarr.json", ".zarray", ".zattrs", ".zgroup", ".zmetadata"):
                found.add((Path(current) / name).relative_to(folder).as_posix())
    return found


def _missing_keys(root: Path, array: zarr.Array) -> tuple[list[str], int]:
    """Return the chunk keys the array's shape implies that are not on disk, and how many it implies."""
    grid = _grid(array)
    present = _files_under(root / array.path)
    expected = [array.metadata.encode_chunk_key(index) for index in itertools.product(*(range(n) for n in grid))]
    return [key for key in expected if key not in present], len(expected)


def _read_every_unit(array: zarr.Array) -> str | None:
    """Decode every chunk (or shard) of an array; return the first failure as text, else ``None``."""
    unit = array.shards or array.chunks
    for index in itertools.product(*(range(n) for n in _grid(array))):
        bounds = zip(index, unit, array.shape, strict=True)
        region = tuple(slice(i * step, min((i + 1) * step, size)) for i, step, size in bounds)
        try:
            array[region]
        except Exception as exc:  # noqa: BLE001  (any decode failure is a finding, reported with its key)
            return f"chunk '{array.metadata.encode_chunk_key(index)}' does not decode ({type(exc).__name__}: {exc})"
    return None


def _consolidated_problems(root: Path, on_disk: dict[str, tuple[int, ...]]) -> list[str]:
    """Arrays the root's consolidated metadata lists that are absent on disk or of another shape."""
    import zarr

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            consolidated = zarr.open_group(root, mode="r").metadata.consolidated_metadata
    except Exception as exc:  # noqa: BLE001  (reported as a finding)
        return [f"consolidated metadata does not open ({type(exc).__name__}: {exc})"]
    if consolidated is None:
        return []
    problems = []
    for name, meta in consolidated.flattened_metadata.items():
        shape = getattr(meta, "shape", None)
        if shape is None:
            continue  # a group
        if name not in on_disk:
            problems.append(f"array '{name}' is in the consolidated metadata but not on disk")
        elif tuple(shape) != on_disk[name]:
            problems.append(
                f"array '{name}' has shape {on_disk[name]} on disk, {tuple(shape)} in the consolidated metadata"
            )
    return problems


def check_chunks(root: Path, *, deep: bool = False) -> list[str]:
    """Problems of a zarr store's chunks: missing keys per array, consolidated metadata, and (``deep``) decoding.

    Parameters
    ----------
    root
        The store folder (``<sample>.zarr``).
    deep
        Also read every chunk (slow: the whole store is decoded once).
    """
    root = Path(root)
    problems: list[str] = []
    shapes: dict[str, tuple[int, ...]] = {}
    for array in zarr_arrays(root):
        shapes[array.path] = tuple(array.shape)
        if array.attrs.get("encoding-type") == _NO_DATA:
            continue
        missing, expected = _missing_keys(root, array)
        if missing:
            more = len(missing) - _SHOWN
            named = ", ".join(missing[:_SHOWN]) + (f" and {more} more" if more > 0 else "")
            problems.append(
                f"array '{array.path}' lacks {len(missing)} of its {expected} chunk(s) ({named}); those parts read "
                f"as the fill value {array.fill_value!r}"
            )
        elif deep and (failure := _read_every_unit(array)) is not None:
            problems.append(f"array '{array.path}': {failure}")
    return problems + _consolidated_problems(root, shapes)
