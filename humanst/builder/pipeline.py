"""One sample, start to finish: fetch, read, harmonise, QC, score, write store and patch part, record.

This is the only place that catches a sample's errors: whatever goes wrong is returned as a failed
:class:`SampleOutcome` (with the cause in words), so the other samples go on.
"""

from __future__ import annotations

import json
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from humanst._logging import logger
from humanst.builder.task import SampleTask
from humanst.errors import HumanstError, SampleError
from humanst.store.records import SampleOutcome, write_record

if TYPE_CHECKING:
    from anndata import AnnData

    from humanst.readers.raw import ImageArray, RawSample

__all__ = ["build_sample"]

# progress(event, done, total): "download <file>" with bytes done/total (None when unknown),
# "score" and "patches" with the amount just finished (total None).
Progress = Callable[[str, int, "int | None"], None]


def _task_hash(task: SampleTask, inputs: list[Path]) -> str:
    import humanst
    from humanst.provenance import input_hash
    from humanst.store.atlas import ATLAS_FORMAT_VERSION

    entry = task.entry.model_dump(mode="json", exclude={"synth"})
    return input_hash(
        entry, task.settings.as_dict(), _fingerprints(task, inputs), ATLAS_FORMAT_VERSION, humanst.__version__
    )


def _fingerprints(task: SampleTask, inputs: list[Path]) -> list[dict[str, str | int]]:
    """Content fingerprints of a sample's inputs (hashes cached under the download cache)."""
    from humanst.content_hash import hash_cache_dir
    from humanst.provenance import fingerprint_inputs

    return fingerprint_inputs(inputs, cache=hash_cache_dir(task.cache_dir))


def _is_done(task: SampleTask, digest: str) -> SampleOutcome | None:
    sample_id = task.entry.id
    record = task.atlas.record(sample_id)
    part, genes = task.atlas.part_paths(sample_id)
    complete = task.atlas.store_path(sample_id).is_dir() and part.is_file() and genes.is_file()
    if record is not None and record.finished and record.input_hash == digest and complete:
        return record
    return None


def _table(task: SampleTask, raw: RawSample, progress: Progress | None) -> tuple[AnnData, np.ndarray, SampleOutcome]:
    """Harmonise genes, check counts, drop QC failures, add obs columns and pathway scores."""
    from humanst.harmonise.genes import harmonise_genes
    from humanst.harmonise.qc import check_counts, spot_filter
    from humanst.pathways import score

    entry, settings = task.entry, task.settings
    outcome = SampleOutcome(entry.id, "built", platform=entry.platform.value, spots_in=raw.counts.n_obs)
    outcome.redistributable, outcome.license = bool(entry.redistributable), entry.license
    raw.counts.X = check_counts(raw.counts.X, sample_id=entry.id)
    adata, gene_report = harmonise_genes(raw.counts, sample_id=entry.id)
    keep, qc = spot_filter(adata.X, raw.xy_px, raw.image.shape, min_counts=settings.min_counts)
    if not keep.any():
        msg = f"no spot passed QC ({qc.dropped}); check min_counts ({settings.min_counts}) and the spot coordinates"
        raise HumanstError(msg)
    adata = adata[keep].copy()
    xy_px = raw.xy_px[keep]
    obs = adata.obs
    obs["spot_id"] = adata.obs_names.astype(str)
    obs["sample_id"], obs["patient_id"] = entry.id, entry.patient_id
    obs["x_um"], obs["y_um"] = xy_px[:, 0] * raw.um_per_px, xy_px[:, 1] * raw.um_per_px
    obs["total_counts"] = np.asarray(adata.X.sum(axis=1)).ravel().astype(np.int64)
    obs["n_genes"] = np.diff(adata.X.indptr).astype(np.int32)
    coverage = {}
    adata.uns.setdefault("humanst", {})
    for name in settings.gene_sets:
        result = score(adata, name, min_coverage=settings.min_coverage)
        result.to_obsm(adata)
        coverage[name] = float(np.mean(result.mask))
        if progress is not None:
            progress("score", 1, None)
    outcome.spots_kept, outcome.genes = adata.n_obs, adata.n_vars
    outcome.dropped = {k: v for k, v in {**raw.dropped, **qc.dropped}.items() if v}  # every reason, reader's and QC's
    outcome.warnings = [*raw.warnings, *gene_report.warnings]
    if gene_report.n_controls:
        outcome.warnings.append(f"{gene_report.n_controls} control probe feature(s) dropped")
    adata.uns["humanst"]["build"] = {
        "genes": {
            "naming": gene_report.naming, "n_input": gene_report.n_input, "n_controls": gene_report.n_controls,
            "n_non_gene": gene_report.n_non_gene, "n_duplicates_merged": gene_report.n_duplicates_merged,
        },
        "qc": {"min_counts": settings.min_counts, "n_input": qc.n_input, **qc.dropped},
        "sets_kept_fraction": coverage,
    }  # fmt: skip
    return adata, xy_px, outcome


def _provenance(
    task: SampleTask, raw: RawSample, digest: str, inputs: list[Path], build: dict[str, Any]
) -> dict[str, Any]:
    """``uns['humanst']``: a few top-level keys, the rest as one JSON string (one zarr array, not fifty)."""
    from humanst.provenance import package_versions
    from humanst.store.atlas import ATLAS_FORMAT_VERSION

    entry = task.entry
    details = {
        "manifest_entry": entry.model_dump(mode="json"),
        "inputs": _fingerprints(task, inputs),
        "versions": package_versions(),
        "reader": raw.metadata,
        "um_per_px_source": raw.um_per_px_source,
        "footprint_um": float(raw.footprint_um),
        "patch": task.settings.patch.model_dump(),
        "citation": entry.citation,
        **build,
    }
    return {
        "format_version": ATLAS_FORMAT_VERSION,
        "input_hash": digest,
        "sample_id": entry.id,
        "um_per_px": float(raw.um_per_px),
        "license": entry.license,
        "redistributable": bool(entry.redistributable),
        "provenance": json.dumps(details, sort_keys=True, default=str),
    }


def _load_image(raw: RawSample, sample_id: str) -> ImageArray:
    """Decode the H&E now (whole when it fits in memory), so a corrupt file fails here, named."""
    from humanst.errors import ReaderError
    from humanst.store.sample_zarr import IN_MEMORY_BYTES

    try:
        image = raw.image.load()
        if int(np.prod(image.shape)) <= IN_MEMORY_BYTES:
            image = np.asarray(image)
    except Exception as exc:
        msg = f"the H&E image cannot be decoded ({type(exc).__name__}: {exc}); download it again or check its format"
        raise ReaderError(msg, sample_id=sample_id, path=raw.image.path) from exc
    return image


def _clear_unfinished(task: SampleTask) -> None:
    """Before rewriting a sample: drop its record (it no longer vouches for the outputs) and stale temp files."""
    from humanst.atomic import remove_stale_temporaries

    sample_id = task.entry.id
    task.atlas.record_path(sample_id).unlink(missing_ok=True)
    for final in (task.atlas.store_path(sample_id), *task.atlas.part_paths(sample_id)):
        remove_stale_temporaries(final)


def build_sample(task: SampleTask, progress: Progress | None = None) -> SampleOutcome:
    """Build one sample into the atlas; never raises for a problem of the sample itself."""
    start = time.perf_counter()
    entry = task.entry
    try:
        outcome = _build(task, progress)
    except HumanstError as exc:
        text = str(exc) if getattr(exc, "sample_id", None) else f"sample '{entry.id}': {exc}"
        outcome = SampleOutcome(entry.id, "failed", platform=entry.platform.value, error=text)
    except Exception as exc:  # noqa: BLE001  (one broken sample must not stop the build; the cause is reported)
        logger.debug("sample %s failed:\n%s", entry.id, traceback.format_exc())
        cause = f"{type(exc).__name__}: {exc}"
        outcome = SampleOutcome(
            entry.id, "failed", platform=entry.platform.value, error=f"sample '{entry.id}': {cause}"
        )
    outcome.seconds = round(time.perf_counter() - start, 3)
    outcome.redistributable, outcome.license = bool(entry.redistributable), entry.license
    if outcome.status != "skipped":  # the record of a built sample is its commit marker: written last
        try:
            write_record(task.atlas.record_path(entry.id), outcome)
        except OSError as exc:
            error = _write_failure(entry.id, exc)
            outcome = SampleOutcome(entry.id, "failed", platform=entry.platform.value, error=str(error))
    return outcome


def _write_failure(sample_id: str, exc: OSError) -> SampleError:
    """One line for a failed write: the sample, the path, the cause and what to do."""
    cause = exc.strerror or type(exc).__name__
    msg = f"cannot write '{exc.filename}' ({cause}); check the atlas folder's permissions and free space"
    return SampleError(msg, sample_id=sample_id)


def _build(task: SampleTask, progress: Progress | None) -> SampleOutcome:
    from humanst.fetch import materialise_sample
    from humanst.readers import ReadSettings, get_reader
    from humanst.store.patch_parts import write_part
    from humanst.store.sample_zarr import SampleData, write_sample_store

    entry = task.entry
    fetched = (lambda label, done, total: progress(f"download {label}", done, total)) if progress else None
    inputs = materialise_sample(
        entry, data_root=task.data_root, cache_dir=task.cache_dir, progress=fetched,
        allow_absolute=task.allow_absolute_paths,
    )  # fmt: skip
    digest = _task_hash(task, inputs)
    done = None if task.force else _is_done(task, digest)
    if done is not None:
        done.status = "skipped"
        return done
    settings = task.settings
    read = ReadSettings(settings.pseudo_spot_um, entry.um_per_px, entry.um_per_px_source)
    raw = get_reader(entry.platform.value).func(entry, inputs, read)
    if not (np.isfinite(raw.um_per_px) and raw.um_per_px > 0):
        msg = (
            f"could not measure the H&E pixel size ({raw.um_per_px_source}: {raw.um_per_px}); too few spots to fit "
            f"the grid? ({raw.counts.n_obs} spot(s)). Give 'um_per_px' and 'um_per_px_source' in the manifest."
        )
        raise HumanstError(msg)
    adata, xy_px, outcome = _table(task, raw, progress)
    build = adata.uns["humanst"].pop("build")
    adata.uns["humanst"].update(_provenance(task, raw, digest, inputs, build))
    image = _load_image(raw, entry.id)
    sample = SampleData(adata, xy_px, image, raw.um_per_px, raw.footprint_um)
    meta = {"sample_id": entry.id, "patient_id": entry.patient_id, "organ": entry.organ,
            "platform": entry.platform.value, "split": entry.split.value if entry.split else ""}  # fmt: skip
    step = (lambda n: progress("patches", n, None)) if progress is not None else None
    try:
        _clear_unfinished(task)
        write_sample_store(task.atlas.store_path(entry.id), sample)
        info = write_part(
            task.atlas.part_paths(entry.id), sample, meta, settings.patch, collections=list(settings.gene_sets),
            progress=step,
        )  # fmt: skip
    except OSError as exc:
        raise _write_failure(entry.id, exc) from exc
    outcome.input_hash, outcome.patches_padded = digest, info.n_padded
    outcome.um_per_px, outcome.um_per_px_source, outcome.footprint_um = (
        raw.um_per_px,
        raw.um_per_px_source,
        raw.footprint_um,
    )
    if info.n_padded:
        outcome.warnings.append(f"{info.n_padded} patch(es) reach past the image edge (padded white, flagged)")
    return outcome
