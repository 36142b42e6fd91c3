"""Per-slide feature files: one Trident / Patho-Bench ``.h5`` and one safetensors file per slide, and their reader.

Layout of a feature folder ``FEATS/<tiles>/<key>/``: ``<tiles>`` names the tile grid (``224px-0.5um``: tile side in
pixels and microns per pixel, so grids never overwrite each other), ``<key>`` the encoder as in the embedding cache
(``uni``, ``uni+<adapter-hash>``, ``vit-tiny-test+random``):

- ``h5_files/<slide>.h5``: the layout of Trident and CLAM that Patho-Bench reads. Dataset ``features`` (N, D)
  float32; dataset ``coords`` (N, 2) int64, level-0 pixel ``(x, y)`` of each tile's top-left corner, with the
  attributes ``patch_size`` (tile side in pixels at the target resolution), ``patch_size_level0``,
  ``level0_magnification``, ``target_magnification`` (10 / um-per-px, rounded), ``overlap`` and ``name``; plus
  ``coords_um`` (N, 2) and ``tissue_fraction`` (N,) and the root attributes ``format_version`` and ``provenance``
  (JSON), which those tools ignore.
- ``<slide>.safetensors``: the same arrays (``embeddings``, ``coords_px``, ``coords_um``, ``tissue_fraction``) with
  string metadata in the embedding-cache convention (``schema_version``, ``sample_id``, ``encoder``,
  ``adapter_hash``, ``weights``, ``content_hash``, ``embed_dim``) plus ``kind = slide``, ``settings_hash``,
  ``slide_size``, ``slide_mtime_ns``, ``slide_sha256``, ``h5_size``, ``h5_mtime_ns``, ``h5_sha256`` (the ``.h5``
  as written) and ``provenance`` (JSON). It is written last: a slide is finished when its safetensors file reads
  and its ``.h5`` is the one it records (:meth:`SlideFeatureFolder.damage`).
- ``previews/<slide>.png`` (thumbnail, tissue outline, kept tiles) and ``previews/<slide>_mask.png``;
  ``cache.json`` (every finished slide and its content hash) and ``slides_report.json`` (the last run).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from humanst.atomic import atomic_path
from stamp.embedding_cache import EMBED_SCHEMA_VERSION, read_metadata
from stamp.errors import DataError

__all__ = [
    "SLIDE_FEATURES_VERSION",
    "SlideFeatureFolder",
    "SlideFeatures",
    "load_slide_features",
    "slide_feature_folder",
    "write_slide_features",
]

SLIDE_FEATURES_VERSION = 1
H5_FOLDER = "h5_files"
PREVIEW_FOLDER = "previews"
REPORT_FILE = "slides_report.json"
_SUFFIX = ".safetensors"
H5_SIZE, H5_MTIME, H5_SHA256 = "h5_size", "h5_mtime_ns", "h5_sha256"  # the .h5 as written, kept in the safetensors


@dataclass(frozen=True)
class SlideFeatures:
    """One slide's tile features and where the tiles are.

    Attributes
    ----------
    slide_id
        The slide's id (file name without suffix).
    features
        ``(N, D)`` float32, one row per tile.
    coords_px
        ``(N, 2)`` int64 level-0 pixel ``(x, y)`` of each tile's top-left corner.
    coords_um
        ``(N, 2)`` float64 microns ``(x, y)`` of each tile's top-left corner.
    tissue_fraction
        ``(N,)`` float32 tissue fraction of each tile.
    provenance
        Encoder, weights, adapter hash, tiling and tissue settings, slide file (path, size, sha256, backend,
        pixel size and its source), package versions.
    patch_size_level0
        Tile side in level-0 pixels as a Trident / CLAM ``.h5`` states it (``coords`` attribute); ``None`` when the
        provenance holds it.
    """

    slide_id: str
    features: np.ndarray
    coords_px: np.ndarray
    coords_um: np.ndarray
    tissue_fraction: np.ndarray
    provenance: dict[str, Any]
    patch_size_level0: int | None = None

    @property
    def tile_um(self) -> float:
        """Tile side in microns."""
        return float(self.provenance["tiling"]["tile_um"])

    @property
    def size_px_level0(self) -> int:
        """Tile side in level-0 pixels (from the provenance, or the ``.h5`` attribute of a Trident / CLAM file).

        Raises
        ------
        DataError
            The file states it nowhere.
        """
        if self.patch_size_level0 is not None:
            return int(self.patch_size_level0)
        try:
            return int(self.provenance["slide"]["size_px_level0"])
        except (KeyError, TypeError, ValueError) as exc:
            msg = (
                f"slide {self.slide_id!r}: its feature file states no tile side in level-0 pixels (no provenance, "
                "no 'patch_size_level0' attribute on 'coords'); write it with `stamp embed-slides` or Trident"
            )
            raise DataError(msg) from exc

    def __len__(self) -> int:
        return int(self.features.shape[0])


def slide_feature_folder(out: Path, *, size_px: int, um_per_px: float, key: str) -> Path:
    """Return ``out/<size_px>px-<um_per_px>um/<key>``, the folder of one encoder's features on one tile grid."""
    return Path(out) / f"{size_px}px-{um_per_px:g}um" / key


def _magnification(um_per_px: float) -> int:
    return max(1, round(10.0 / um_per_px))


def write_slide_features(folder: Path, result: SlideFeatures, *, meta: dict[str, str]) -> tuple[Path, Path]:
    """Write ``h5_files/<slide>.h5`` then ``<slide>.safetensors`` (each atomically); return both paths.

    ``meta`` holds the embedding-cache metadata (encoder, adapter_hash, weights, content_hash, settings_hash,
    slide_size, slide_mtime_ns, slide_sha256).
    """
    import h5py
    from safetensors.numpy import save_file

    folder = Path(folder)
    prov = result.provenance
    features = np.ascontiguousarray(result.features, dtype=np.float32)
    coords_px = np.ascontiguousarray(result.coords_px, dtype=np.int64).reshape(-1, 2)
    coords_um = np.ascontiguousarray(result.coords_um, dtype=np.float64).reshape(-1, 2)
    fraction = np.ascontiguousarray(result.tissue_fraction, dtype=np.float32)
    tiling, slide = prov["tiling"], prov["slide"]
    h5_path = folder / H5_FOLDER / f"{result.slide_id}.h5"
    with atomic_path(h5_path) as tmp, h5py.File(tmp, "w") as h5:
        h5.attrs["format_version"] = SLIDE_FEATURES_VERSION
        h5.attrs["provenance"] = json.dumps(prov)
        data = h5.create_dataset("features", data=features)
        data.attrs.update({"name": result.slide_id, "savetodir": str(folder / H5_FOLDER)})
        coords = h5.create_dataset("coords", data=coords_px)
        coords.attrs.update(
            {
                "patch_size": int(tiling["size_px"]),
                "patch_size_level0": int(slide["size_px_level0"]),
                "level0_magnification": _magnification(float(slide["pixel_size"]["x_um"])),
                "target_magnification": _magnification(float(tiling["um_per_px"])),
                "overlap": 0,
                "name": result.slide_id,
                "savetodir": str(folder / H5_FOLDER),
                "level0_um_per_px": float(slide["pixel_size"]["x_um"]),
                "target_um_per_px": float(tiling["um_per_px"]),
                "tile_um": float(tiling["tile_um"]),
            }
        )
        h5.create_dataset("coords_um", data=coords_um)
        h5.create_dataset("tissue_fraction", data=fraction)
    from humanst.content_hash import file_sha256

    h5_stat = h5_path.stat()
    full_meta = {
        H5_SIZE: str(h5_stat.st_size),
        H5_MTIME: str(h5_stat.st_mtime_ns),
        H5_SHA256: file_sha256(h5_path),
        "schema_version": str(EMBED_SCHEMA_VERSION),
        "kind": "slide",
        "slide_format_version": str(SLIDE_FEATURES_VERSION),
        "sample_id": result.slide_id,
        "embed_dim": str(features.shape[1]),
        "provenance": json.dumps(prov),
        **{k: str(v) for k, v in meta.items()},
    }
    tensors: dict[str, np.ndarray] = {
        "embeddings": features,
        "coords_px": coords_px,
        "coords_um": coords_um,
        "tissue_fraction": fraction,
    }
    st_path = folder / f"{result.slide_id}{_SUFFIX}"
    with atomic_path(st_path) as tmp:
        save_file(tensors, str(tmp), metadata=full_meta)
    return h5_path, st_path


def _from_safetensors(path: Path) -> SlideFeatures:
    from safetensors import safe_open

    with safe_open(str(path), framework="numpy") as handle:
        meta = dict(handle.metadata() or {})
        if meta.get("kind") != "slide":
            msg = f"'{path}' is not a slide feature file (kind {meta.get('kind')!r}); it may be a spot embedding"
            raise DataError(msg)
        arrays = {key: handle.get_tensor(key) for key in handle.keys()}  # noqa: SIM118  (safe_open has no __iter__)
    return SlideFeatures(
        slide_id=meta["sample_id"],
        features=arrays["embeddings"],
        coords_px=arrays["coords_px"],
        coords_um=arrays["coords_um"],
        tissue_fraction=arrays["tissue_fraction"],
        provenance=json.loads(meta["provenance"]),
    )


def _from_h5(path: Path) -> SlideFeatures:
    import h5py

    with h5py.File(path, "r") as h5:
        if "features" not in h5 or "coords" not in h5:
            msg = f"'{path}' has no 'features' and 'coords' datasets; it is not a Trident/CLAM feature file"
            raise DataError(msg)
        features, coords = h5["features"][:], h5["coords"][:]
        attrs = dict(h5["coords"].attrs)
        prov = json.loads(h5.attrs["provenance"]) if "provenance" in h5.attrs else {}
        level0_um = float(attrs.get("level0_um_per_px", 10.0 / float(attrs.get("level0_magnification", 20))))
        coords_um = h5["coords_um"][:] if "coords_um" in h5 else coords.astype(np.float64) * level0_um
        fraction = h5["tissue_fraction"][:] if "tissue_fraction" in h5 else np.ones(len(coords), np.float32)
        name = str(attrs.get("name", Path(path).stem))
        side = attrs.get("patch_size_level0")
    return SlideFeatures(
        name, features.astype(np.float32), coords.astype(np.int64), coords_um, fraction, prov,
        patch_size_level0=int(side) if side is not None else None,
    )  # fmt: skip


def load_slide_features(path: str | Path) -> SlideFeatures:
    """Read one slide's features from its ``.safetensors`` or ``.h5`` (ours, or any Trident/CLAM feature file).

    Raises
    ------
    DataError
        When the file is missing or is not a slide feature file.
    """
    path = Path(path)
    if not path.is_file():
        msg = f"no slide feature file at '{path}'; run `stamp embed-slides` first"
        raise DataError(msg)
    return _from_h5(path) if path.suffix.lower() in {".h5", ".hdf5"} else _from_safetensors(path)


class SlideFeatureFolder:
    """A folder of slide features ``FEATS/<key>/``: list, look up and load finished slides."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def slide_ids(self) -> list[str]:
        """Return the ids of the finished slides, sorted."""
        return sorted(p.name[: -len(_SUFFIX)] for p in self.folder.glob(f"*{_SUFFIX}") if not p.name.startswith("."))

    def path(self, slide_id: str) -> Path:
        """Return the safetensors file of a slide (finished or not)."""
        return self.folder / f"{slide_id}{_SUFFIX}"

    def h5_path(self, slide_id: str) -> Path:
        """Return the Trident/Patho-Bench ``.h5`` of a slide."""
        return self.folder / H5_FOLDER / f"{slide_id}.h5"

    def preview_path(self, slide_id: str) -> Path:
        """Return the preview picture (thumbnail, tissue outline, kept tiles) of a slide."""
        return self.folder / PREVIEW_FOLDER / f"{slide_id}.png"

    def meta(self, slide_id: str) -> dict[str, str] | None:
        """Return a finished slide's metadata (no tensors read), or ``None`` when it is missing or unreadable."""
        from safetensors import SafetensorError

        path = self.path(slide_id)
        if not path.is_file():
            return None
        try:
            return read_metadata(path)
        except (OSError, ValueError, SafetensorError):  # truncated or not a safetensors file
            return None

    def damage(self, slide_id: str) -> str | None:
        """Return what is wrong with a slide's two outputs in words, or ``None`` when both are whole.

        The ``.safetensors`` must read (its header covers the whole file) and the ``.h5`` must be the one it records
        (size, then sha256 when the mtime moved); for files of older versions, the ``.h5`` must hold as many
        feature rows as the safetensors.
        """
        meta = self.meta(slide_id)
        if meta is None:
            return "its .safetensors is missing or unreadable"
        h5 = self.h5_path(slide_id)
        try:
            stat = h5.stat()
        except OSError:
            return "its .h5 is missing"
        if H5_SIZE not in meta:
            return self._rows_differ(slide_id)
        if meta[H5_SIZE] != str(stat.st_size):
            return f"its .h5 has {stat.st_size} bytes, {meta[H5_SIZE]} were written (truncated or replaced)"
        if meta.get(H5_MTIME) != str(stat.st_mtime_ns):
            from humanst.content_hash import file_sha256

            if file_sha256(h5) != meta.get(H5_SHA256):
                return "its .h5 differs from the one written (sha256)"
        return None

    def _rows_differ(self, slide_id: str) -> str | None:
        """Compare the feature rows of the two files (outputs of versions that did not record the ``.h5``)."""
        import h5py
        from safetensors import safe_open

        try:
            with h5py.File(self.h5_path(slide_id), "r") as h5:
                rows = h5["features"].shape
            with safe_open(str(self.path(slide_id)), framework="numpy") as handle:
                expected = tuple(handle.get_slice("embeddings").get_shape())
        except (OSError, KeyError, ValueError) as exc:
            return f"its .h5 does not read ({type(exc).__name__}: {exc})"
        return None if tuple(rows) == expected else f"its .h5 holds {tuple(rows)} features, the safetensors {expected}"

    def load(self, slide_id: str) -> SlideFeatures:
        """Read one finished slide."""
        return load_slide_features(self.path(slide_id))

    def report(self) -> dict[str, Any]:
        """Return the last run's ``slides_report.json`` (empty when there is none)."""
        path = self.folder / REPORT_FILE
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
