"""The fixed spots ``stamp fit`` validates on: a probe subset of training patients and the validation patients.

Chosen once per run (seeded): up to ``train_spots`` spots spread evenly over at most ``MAX_PROBE_SAMPLES``
training samples, and up to ``val_spots`` spots of the validation patients (the ``val`` split, or
``--val-patients``). Targets are read from the atlas stores as the benchmark reads them: the collection's
background-corrected pathway scores, and size- and expression-matched random gene sets scored with the atlas's
own method (:mod:`humanst.pathways.random_sets`). Samples whose gene panel masks most of the collection (Xenium)
are left out, and the run says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from stamp._logging import logger
from stamp.errors import ConfigError

if TYPE_CHECKING:
    from anndata import AnnData

    from humanst.store.atlas import Atlas


class ValidationSettings(Protocol):
    """What choosing the validation spots reads of ``TrainConfig.validation`` (a protocol: the config imports us)."""

    patients: list[str] | None
    splits: list[str]
    train_spots: int
    val_spots: int
    collection: str
    random_set_bins: int


__all__ = ["MAX_PROBE_SAMPLES", "ValidationSet", "load_validation_set", "validation_patients"]

MAX_PROBE_SAMPLES = 24  # tables read once per run; enough slides for a stable probe
MIN_COVERED_SHARE = 0.5  # a sample whose panel masks more of the collection than this is left out


@dataclass
class ValidationSet:
    """Rows (probe spots first, then validation spots) with their JPEG patches, groups and targets."""

    jpegs: list[bytes]
    probe: np.ndarray  # row indices of the probe spots (training patients)
    val: np.ndarray  # row indices of the validation spots
    patients: np.ndarray
    samples: np.ndarray
    spot_ids: np.ndarray
    coords_um: np.ndarray  # rows x 2
    pathways: np.ndarray  # rows x kept pathways
    random: np.ndarray  # rows x kept random sets
    pathway_names: list[str]
    collection: str
    left_out: dict[str, str] = field(default_factory=dict)  # sample -> why it is not used

    @property
    def val_patients(self) -> list[str]:
        """The validation patients, sorted."""
        return sorted(set(self.patients[self.val].tolist()))

    @property
    def probe_patients(self) -> list[str]:
        """The training patients the probe is fitted on, sorted."""
        return sorted(set(self.patients[self.probe].tolist()))

    def describe(self) -> dict[str, object]:
        """JSON-ready summary (for ``run.json``)."""
        return {
            "collection": self.collection,
            "val_patients": self.val_patients,
            "probe_patients": self.probe_patients,
            "n_val_spots": int(self.val.size),
            "n_probe_spots": int(self.probe.size),
            "n_pathways": int(self.pathways.shape[1]),
            "n_random_sets": int(self.random.shape[1]),
            "left_out_samples": self.left_out,
        }


def validation_patients(split: np.ndarray, patient: np.ndarray, settings: ValidationSettings) -> list[str]:
    """Return the validation patients: ``settings.patients`` when given, else the patients of ``settings.splits``."""
    if settings.patients is not None:
        unknown = sorted(set(settings.patients) - set(patient.tolist()))
        if unknown:
            msg = f"--val-patients {unknown} are not in the atlas; its patients: {sorted(set(patient.tolist()))}"
            raise ConfigError(msg)
        return sorted(settings.patients)
    return sorted(set(patient[np.isin(split, settings.splits)].tolist()))


def _spread(rows_by_sample: dict[str, np.ndarray], budget: int, rng: np.random.Generator) -> np.ndarray:
    """Take about ``budget`` rows, the same share from every sample (all rows of small samples)."""
    quota = max(1, budget // max(1, len(rows_by_sample)))
    picked = []
    for rows in rows_by_sample.values():
        picked.append(np.sort(rng.choice(rows, size=min(quota, rows.size), replace=False)))
    return np.concatenate(picked) if picked else np.zeros(0, dtype=np.int64)


def _probe_samples(samples: np.ndarray, patients: np.ndarray, rng: np.random.Generator) -> list[str]:
    """At most ``MAX_PROBE_SAMPLES`` training samples, dealt round-robin over patients (seeded order)."""
    by_patient: dict[str, list[str]] = {}
    for sample, patient in sorted(set(zip(samples.tolist(), patients.tolist(), strict=True))):
        by_patient.setdefault(patient, []).append(sample)
    queues = [list(rng.permutation(v)) for _, v in sorted(by_patient.items())]
    chosen: list[str] = []
    while any(queues) and len(chosen) < MAX_PROBE_SAMPLES:
        for queue in queues:
            if queue and len(chosen) < MAX_PROBE_SAMPLES:
                chosen.append(str(queue.pop(0)))
    return sorted(chosen)


@dataclass
class _SampleTargets:
    """One sample's validation rows: its table, the rows' positions in it and in the run, their pathway scores."""

    table: AnnData
    rows: np.ndarray
    scores: np.ndarray
    names: list[str]
    positions: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def _read_targets(atlas: Atlas, sample: str, spot_ids: np.ndarray, collection: str) -> _SampleTargets:
    from humanst.store.atlas import pathway_column

    table = atlas.read_table(sample)
    position = {s: i for i, s in enumerate(table.obs["spot_id"].astype(str).tolist())}
    rows = np.array([position[s] for s in spot_ids], dtype=np.int64)
    key = pathway_column(collection)
    if key not in table.obsm:
        msg = f"atlas '{atlas.root}': sample '{sample}' has no {collection!r} pathway scores; score or rebuild it"
        raise ConfigError(msg)
    names = [str(n) for n in table.uns["humanst"]["pathways"][key]["names"]]
    return _SampleTargets(table, rows, np.asarray(table.obsm[key], dtype=np.float64)[rows], names)


def _random_sets(
    parts: dict[str, _SampleTargets], names: list[str], collection: str, n_bins: int, seed: int
) -> np.ndarray:
    import scipy.sparse as sp

    from humanst.pathways import load_collection
    from humanst.pathways.random_sets import matched_random_sets, score_like_atlas, scoring_params

    tables = [p.table for p in parts.values()]
    shared = set(tables[0].var_names)
    for table in tables[1:]:
        shared &= set(table.var_names)
    genes = [g for g in tables[0].var_names if g in shared]
    counts = sp.vstack([sp.csr_matrix(p.table[p.rows, genes].X) for p in parts.values()]).tocsr()
    library = np.concatenate([np.asarray(p.table.X[p.rows].sum(axis=1)).ravel() for p in parts.values()])
    sets = matched_random_sets(load_collection(collection), names, genes, counts, library, n_bins=n_bins, seed=seed)
    params = scoring_params(tables[0], collection)
    full = [score_like_atlas([p.table], sets, params, quiet=True)[p.rows] for p in parts.values()]
    return np.vstack(full)


def _choose_rows(
    cols: dict[str, np.ndarray], settings: ValidationSettings, train_splits: Sequence[str], seed: int
) -> tuple[np.ndarray, np.ndarray] | None:
    val_patients = validation_patients(cols["split"], cols["patient_id"], settings)
    is_val = np.isin(cols["patient_id"], val_patients)
    is_train = np.isin(cols["split"], list(train_splits)) & ~is_val
    if not is_val.any() or not is_train.any():
        where = f"patients {settings.patients}" if settings.patients else f"splits {settings.splits}"
        reason = "no validation rows" if not is_val.any() else "no training rows outside the validation patients"
        logger.warning(
            "validation skipped: %s (validation %s); pass --val-patients, or --set validation.enabled=false",
            reason,
            where,
        )
        return None
    rng = np.random.default_rng([seed, 12])
    probe_samples = _probe_samples(cols["sample_id"][is_train], cols["patient_id"][is_train], rng)
    probe = _spread(
        {s: np.flatnonzero(is_train & (cols["sample_id"] == s)) for s in probe_samples}, settings.train_spots, rng
    )
    val_samples = sorted(set(cols["sample_id"][is_val].tolist()))
    val_by_sample = {s: np.flatnonzero(is_val & (cols["sample_id"] == s)) for s in val_samples}
    n_val = sum(r.size for r in val_by_sample.values())
    val = (
        np.sort(np.concatenate(list(val_by_sample.values())))
        if n_val <= settings.val_spots
        else _spread(val_by_sample, settings.val_spots, rng)
    )
    return probe, val


def load_validation_set(
    atlas_path: Path, settings: ValidationSettings, train_splits: Sequence[str], seed: int
) -> ValidationSet | None:
    """Choose and read the validation spots of a run; ``None`` (with a warning) when there is nothing to validate on.

    Raises
    ------
    ConfigError
        Unknown ``--val-patients``, or a collection the atlas did not score.
    """
    from humanst.store.atlas import Atlas

    atlas = Atlas.open(atlas_path, need_dataset=True)
    table = atlas.patch_table()
    names = ("sample_id", "spot_id", "patient_id", "split")
    cols = {c: table.column(c).to_numpy(zero_copy_only=False).astype(str) for c in names}
    chosen = _choose_rows(cols, settings, train_splits, seed)
    if chosen is None:
        return None
    probe, val = chosen
    rows = np.concatenate([probe, val])
    is_probe = np.arange(rows.size) < probe.size
    collection = settings.collection
    parts: dict[str, _SampleTargets] = {}
    left_out: dict[str, str] = {}
    keep = np.zeros(rows.size, dtype=bool)
    for sample in sorted(set(cols["sample_id"][rows].tolist())):
        mine = np.flatnonzero(cols["sample_id"][rows] == sample)
        part = _read_targets(atlas, sample, cols["spot_id"][rows[mine]], collection)
        covered = np.isfinite(part.scores).all(0)
        if covered.mean() < MIN_COVERED_SHARE:
            left_out[sample] = f"its genes cover only {int(covered.sum())} of {covered.size} {collection} sets"
            continue
        part.positions = mine
        parts[sample] = part
        keep[mine] = True
    for sample, why in left_out.items():
        logger.warning("validation leaves out sample %s: %s", sample, why)
    if not (keep & is_probe).any() or not (keep & ~is_probe).any():
        logger.warning("validation skipped: no probe or validation spots left after leaving out %s", sorted(left_out))
        return None
    order = np.concatenate([p.positions for p in parts.values()])
    scores = np.full((rows.size, len(next(iter(parts.values())).names)), np.nan)
    for part in parts.values():
        scores[part.positions] = part.scores
    finite = np.isfinite(scores[keep]).all(0)
    pathway_names = [n for n, f in zip(next(iter(parts.values())).names, finite, strict=True) if f]
    random_scores = _random_sets(parts, pathway_names, collection, settings.random_set_bins, seed)
    random = np.full((rows.size, random_scores.shape[1]), np.nan)
    random[order] = random_scores
    random_finite = np.isfinite(random[keep]).all(0)
    kept = np.flatnonzero(keep)
    rows = rows[kept]
    is_probe = is_probe[kept]
    images = table.select(["image"]).take(rows).column(0).combine_chunks().field("bytes").to_pylist()
    logger.info(
        "validation: %d spots of patients %s; probe fitted on %d spots of %s",
        int((~is_probe).sum()),
        sorted(set(cols["patient_id"][rows[~is_probe]].tolist())),
        int(is_probe.sum()),
        sorted(set(cols["patient_id"][rows[is_probe]].tolist())),
    )
    coords = np.stack([table.column(c).take(rows).to_numpy(zero_copy_only=False) for c in ("x_um", "y_um")], axis=1)
    return ValidationSet(
        jpegs=images,
        probe=np.flatnonzero(is_probe),
        val=np.flatnonzero(~is_probe),
        patients=cols["patient_id"][rows],
        samples=cols["sample_id"][rows],
        spot_ids=cols["spot_id"][rows],
        coords_um=coords.astype(np.float64),
        pathways=scores[kept][:, finite],
        random=random[kept][:, random_finite],
        pathway_names=pathway_names,
        collection=collection,
        left_out=left_out,
    )
