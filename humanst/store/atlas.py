"""The atlas on disk (DESIGN 2.2, 2.3): its layout, names and format version, owned here and nowhere else.

::

    ATLAS/
      samples/<id>.zarr          SpatialData store: images/he, shapes/spots, tables/table
      parts/<id>.parquet         patch part (the resumable unit), + <id>.genes.txt
      records/<id>.json          build record: the commit marker of a finished sample
      hf/                        Hugging Face dataset (datasets.save_to_disk) + humanst.json, genes.txt,
                                 pathways.json, README.md (the dataset card)
      build_report.{json,md}     the last build's per-sample summary

Every reader in humanst, stamp and benchmarks goes through :class:`Atlas`; ``Atlas.open`` checks the format
version and says what to do when it differs.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from humanst.errors import AtlasError
from humanst.store.records import SampleOutcome, read_record

if TYPE_CHECKING:
    import pyarrow as pa
    from anndata import AnnData
    from datasets import Dataset
    from spatialdata import SpatialData

__all__ = [
    "ATLAS_FORMAT_VERSION",
    "IMAGE_KEY",
    "SHAPES_KEY",
    "TABLE_KEY",
    "Atlas",
    "AtlasSamples",
    "DatasetFiles",
    "mask_column",
    "open_atlas",
    "pathway_column",
    "read_sample_store",
]

ATLAS_FORMAT_VERSION = 1  # bump when the store, part or dataset layout changes; Atlas.open checks it

TABLE_KEY, IMAGE_KEY, SHAPES_KEY = "table", "he", "spots"  # elements of a sample's SpatialData store


def pathway_column(collection: str) -> str:
    """Name of a collection's scores: the store table's ``obsm`` key and the patch dataset column."""
    from humanst.pathways.results import obsm_key

    return obsm_key(collection)


def read_sample_store(path: Path) -> SpatialData:
    """Open a SpatialData store with ``spatialdata.read_zarr``, without its informational warnings."""
    from spatialdata import read_zarr

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_zarr(path)


def mask_column(collection: str) -> str:
    """Name of a collection's per-spot coverage mask column in the patch dataset."""
    return f"pathway_mask_{collection}"


@dataclass(frozen=True)
class DatasetFiles:
    """The files humanst adds beside a saved ``datasets`` folder (``ATLAS/hf``, or a temporary one being written)."""

    folder: Path

    @property
    def info(self) -> Path:
        """``humanst.json``: format version, rows, samples, digest of the parts it was assembled from."""
        return self.folder / "humanst.json"

    @property
    def genes(self) -> Path:
        """``genes.txt``: the gene vocabulary that ``gene_idx`` indexes, one symbol per line."""
        return self.folder / "genes.txt"

    @property
    def pathway_names(self) -> Path:
        """``pathways.json``: collection -> the set names of every ``pathways_<collection>`` list."""
        return self.folder / "pathways.json"

    @property
    def card(self) -> Path:
        """``README.md``: the dataset card with every sample's licence and citation."""
        return self.folder / "README.md"


@dataclass(frozen=True)
class Atlas:
    """An atlas folder: where each part lives, and typed reads of each part.

    Parameters
    ----------
    root
        The atlas folder (``humanst build --out``).
    """

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    @classmethod
    def open(cls, path: str | Path, *, need_dataset: bool = False) -> Atlas:
        """Open an existing atlas, checking its format version.

        Raises
        ------
        AtlasError
            No atlas at ``path``, no patch dataset when ``need_dataset``, or another format version.
        """
        atlas = cls(Path(path))
        if not atlas.records_dir.is_dir():
            msg = f"atlas '{path}': not an atlas (no {atlas.records_dir.name}/ folder); build it with `humanst build`"
            raise AtlasError(msg)
        if atlas.dataset.info.is_file():
            atlas.check_version(atlas.info().get("format_version"), where="patch dataset")
        elif need_dataset:
            msg = (
                f"atlas '{path}': no patch dataset ('{atlas.dataset.info}' missing); "
                f"build it with `humanst build MANIFEST --out {path}`"
            )
            raise AtlasError(msg)
        return atlas

    def check_version(self, found: object, *, where: str) -> None:
        """Raise :class:`AtlasError` when ``found`` is not the format version this humanst reads and writes."""
        if found != ATLAS_FORMAT_VERSION:
            msg = (
                f"atlas '{self.root}': {where} has format version {found!r}, this humanst reads "
                f"{ATLAS_FORMAT_VERSION}; rebuild it with `humanst build MANIFEST --out {self.root} --force`, "
                "or use the humanst version that wrote it"
            )
            raise AtlasError(msg)

    # -- layout ---------------------------------------------------------------------------------------------
    @property
    def samples_dir(self) -> Path:
        """SpatialData stores, one ``<id>.zarr`` per sample."""
        return self.root / "samples"

    @property
    def parts_dir(self) -> Path:
        """Per-sample patch parquet files, assembled into ``hf``."""
        return self.root / "parts"

    @property
    def records_dir(self) -> Path:
        """Per-sample build records."""
        return self.root / "records"

    @property
    def hf_dir(self) -> Path:
        """The Hugging Face dataset (``datasets.load_from_disk``)."""
        return self.root / "hf"

    @property
    def dataset(self) -> DatasetFiles:
        """The humanst files of the patch dataset."""
        return DatasetFiles(self.hf_dir)

    @property
    def work_dir(self) -> Path:
        """Scratch space of the build (``datasets`` cache while assembling)."""
        return self.root / ".cache"

    @property
    def lock_path(self) -> Path:
        """The lock file a build holds while it writes into the atlas."""
        return self.root / ".build.lock"

    @property
    def report_paths(self) -> tuple[Path, Path]:
        """``build_report.json`` and ``build_report.md``."""
        return self.root / "build_report.json", self.root / "build_report.md"

    def store_path(self, sample_id: str) -> Path:
        """Return the SpatialData store of a sample."""
        return self.samples_dir / f"{sample_id}.zarr"

    def table_path(self, sample_id: str) -> Path:
        """Return the AnnData table inside a sample's store."""
        return self.store_path(sample_id) / "tables" / TABLE_KEY

    def record_path(self, sample_id: str) -> Path:
        """Return the build record path of a sample."""
        return self.records_dir / f"{sample_id}.json"

    def part_paths(self, sample_id: str) -> tuple[Path, Path]:
        """Return the patch part of a sample and its gene list (``<id>.parquet``, ``<id>.genes.txt``)."""
        return self.parts_dir / f"{sample_id}.parquet", self.parts_dir / f"{sample_id}.genes.txt"

    # -- reads ------------------------------------------------------------------------------------------------
    def record(self, sample_id: str) -> SampleOutcome | None:
        """Read a sample's build record; ``None`` when missing or unreadable."""
        return read_record(self.record_path(sample_id))

    def records(self) -> list[SampleOutcome]:
        """Every readable build record, sorted by sample id."""
        paths = sorted(self.records_dir.glob("*.json")) if self.records_dir.is_dir() else []
        return [r for p in paths if (r := read_record(p)) is not None]

    def record_bytes(self, sample_id: str) -> bytes | None:
        """Return the raw bytes of a sample's record (content hashes of derived outputs), ``None`` when missing."""
        path = self.record_path(sample_id)
        return path.read_bytes() if path.is_file() else None

    def built_samples(self) -> list[str]:
        """Ids of samples whose record says built or unchanged, sorted."""
        return [r.sample_id for r in self.records() if r.finished]

    def info(self) -> dict[str, Any]:
        """Read the patch dataset's ``humanst.json``."""
        path = self.dataset.info
        try:
            return dict(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            msg = f"atlas '{self.root}': no patch dataset ('{path}' missing); build it with `humanst build`"
            raise AtlasError(msg) from None
        except (OSError, json.JSONDecodeError) as exc:
            msg = f"atlas '{self.root}': '{path}' is unreadable ({exc}); rebuild the atlas"
            raise AtlasError(msg) from exc

    def pathway_names(self) -> dict[str, list[str]]:
        """Return collection -> set names of the dataset's ``pathways_<collection>`` columns."""
        return {str(k): [str(n) for n in v] for k, v in self._json(self.dataset.pathway_names).items()}

    def genes(self) -> list[str]:
        """Return the gene vocabulary of the dataset's ``gene_idx`` column."""
        return self.dataset.genes.read_text(encoding="utf-8").split()

    def build_report(self) -> dict[str, Any] | None:
        """Read the last build's ``build_report.json``, ``None`` when there is none."""
        path = self.report_paths[0]
        return self._json(path) if path.is_file() else None

    def read_store(self, sample_id: str) -> SpatialData:
        """Open a sample's SpatialData store (``spatialdata.read_zarr``, without its informational warnings)."""
        return read_sample_store(self._existing(self.store_path(sample_id), sample_id))

    def read_table(self, sample_id: str) -> AnnData:
        """Read only a sample's table (AnnData: raw counts, obs, pathway scores); the image is not opened."""
        import anndata as ad

        return ad.read_zarr(self._existing(self.table_path(sample_id), sample_id))

    def load_dataset(self) -> Dataset:
        """Load the patch dataset (``datasets.load_from_disk``, memory-mapped), after a version check."""
        import datasets

        self.check_version(self.info().get("format_version"), where="patch dataset")
        return datasets.load_from_disk(str(self.hf_dir))

    @property
    def samples(self) -> AtlasSamples:
        """The built samples as SpatialData objects, each read when first looked up (``atlas.samples["S1"]``)."""
        return AtlasSamples(self)

    @property
    def patches(self) -> Dataset:
        """The patch dataset (:meth:`load_dataset`): one row per spot with its patch, pathway scores and counts."""
        return self.load_dataset()

    def patch_table(self) -> pa.Table:
        """Return the patch dataset's memory-mapped arrow table."""
        return self.load_dataset().data.table

    def _existing(self, path: Path, sample_id: str) -> Path:
        if not path.exists():
            msg = f"atlas '{self.root}': sample '{sample_id}' has no store at '{path}'; build the sample first"
            raise AtlasError(msg)
        return path

    def _json(self, path: Path) -> dict[str, Any]:
        try:
            return dict(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError) as exc:
            msg = f"atlas '{self.root}': '{path}' is missing or unreadable ({exc}); rebuild the atlas"
            raise AtlasError(msg) from exc


class AtlasSamples(Mapping[str, "SpatialData"]):
    """An atlas's built samples by id, read as SpatialData on first access and kept."""

    def __init__(self, atlas: Atlas) -> None:
        self._atlas = atlas
        self._ids = atlas.built_samples()
        self._read: dict[str, SpatialData] = {}

    def __getitem__(self, sample_id: str) -> SpatialData:
        if sample_id not in self._ids:
            shown = ", ".join(self._ids[:8]) + (" ..." if len(self._ids) > 8 else "")
            msg = f"atlas '{self._atlas.root}': no built sample {sample_id!r}; built: {shown or 'none'}"
            raise KeyError(msg)
        if sample_id not in self._read:
            self._read[sample_id] = self._atlas.read_store(sample_id)
        return self._read[sample_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    def __repr__(self) -> str:
        return f"AtlasSamples({len(self._ids)} built samples of '{self._atlas.root}')"


def open_atlas(path: str | Path) -> Atlas:
    """Open an atlas for a notebook: ``atlas.samples[id]`` is a sample's SpatialData, ``atlas.patches`` the dataset.

    Raises
    ------
    AtlasError
        No atlas at ``path``, or one of another format version.
    """
    return Atlas.open(path)
