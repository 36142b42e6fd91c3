"""``data.targets: random``: the negative control of the alignment, size- and expression-matched random gene sets.

For every pathway of every collection in ``data.collections`` one random set is drawn with the very function tier 1
and the validation draw their specificity controls with (:func:`humanst.pathways.random_sets.matched_random_sets`:
same size in measured genes, one gene per member from the member's expression bin, never a member), from its own
random stream (``TRAINING_STREAM``) so the control encoder is never trained on the sets it is measured against, and
seeded by the run's seed (replicate seeds redraw the sets). The draw matches expression on the spots of up to
``MAX_DRAW_SAMPLES`` training samples whose genes cover the collection, over the genes all of them measure; every
training sample is then scored with the atlas's own method and parameters (per sample, background-corrected), so
the control targets are made exactly like the pathway targets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

import numpy as np

from stamp._logging import logger
from stamp.errors import DataError
from stamp.targets._registry import TargetRows, TargetSpec, TargetTable, register_target

if TYPE_CHECKING:
    from anndata import AnnData

    from humanst.pathways import GeneSets

__all__ = ["MAX_DRAW_SAMPLES", "random_set_targets"]

MAX_DRAW_SAMPLES = 24  # training samples whose spots match the sets' expression (as the validation probe's)


class DrawInfo(TypedDict):
    """Which training samples the random sets were matched on, and over how many genes (``run.json`` targets)."""

    draw_samples: list[str]
    n_genes_matched: int


def _covered(table: AnnData, collection: str) -> bool:
    from humanst.store import pathway_column
    from stamp.train.validation_set import MIN_COVERED_SHARE

    scores = np.asarray(table.obsm[pathway_column(collection)], dtype=np.float64)
    return bool(np.isfinite(scores).all(0).mean() >= MIN_COVERED_SHARE)


def _draw(
    rows: TargetRows, tables: dict[str, AnnData], collection: str, names: list[str], spec: TargetSpec
) -> tuple[GeneSets, DrawInfo]:
    import scipy.sparse as sp

    from humanst.pathways import load_collection
    from humanst.pathways.random_sets import TRAINING_STREAM, matched_random_sets

    samples = sorted(tables)
    chosen = [s for s in samples if _covered(tables[s], collection)]
    if not chosen:
        msg = (
            f"atlas '{rows.atlas.root}': no training sample measures enough of {collection!r} to match random sets "
            f"(each covers under half of its pathways); train data.targets=random on whole-transcriptome samples"
        )
        raise DataError(msg)
    shared = set(tables[chosen[0]].var_names)
    for sample in chosen[1:]:
        shared &= set(tables[sample].var_names)
    genes = [g for g in tables[chosen[0]].var_names if g in shared]
    counts = sp.vstack([sp.csr_matrix(tables[s][:, genes].X) for s in chosen]).tocsr()
    library = np.concatenate([np.asarray(tables[s].X.sum(axis=1)).ravel() for s in chosen])
    sets = matched_random_sets(
        load_collection(collection), names, genes, counts, library, n_bins=spec.n_bins, seed=spec.seed,
        stream=TRAINING_STREAM,
    )  # fmt: skip
    return sets, {"draw_samples": chosen, "n_genes_matched": len(genes)}


def _draw_samples(samples: list[str], seed: int) -> list[str]:
    if len(samples) <= MAX_DRAW_SAMPLES:
        return samples
    rng = np.random.default_rng([seed, 21])
    return sorted(rng.choice(samples, size=MAX_DRAW_SAMPLES, replace=False).tolist())


@register_target("random")
def random_set_targets(rows: TargetRows, spec: TargetSpec) -> TargetTable:
    """Score matched random sets of every pathway of ``spec.collections`` on every training row."""
    from humanst.console import progress
    from humanst.pathways.random_sets import score_like_atlas, scoring_params
    from humanst.store import pathway_column

    available = rows.atlas.pathway_names()
    missing = [c for c in spec.collections if c not in available]
    if missing:
        msg = f"atlas '{rows.atlas.root}': collection(s) {missing} not in the atlas; it has {sorted(available)}"
        raise DataError(msg)
    samples = sorted(set(rows.sample_id.tolist()))
    drawn = _draw_samples(samples, spec.seed)
    tables = {s: rows.atlas.read_table(s) for s in drawn}
    names: list[str] = []
    values = np.full((rows.rows.size, 0), np.nan, dtype=np.float32)
    details: dict[str, object] = {"collections": list(spec.collections), "seed": spec.seed, "n_bins": spec.n_bins}
    for collection in spec.collections:
        pathways = available[collection]
        sets, how = _draw(rows, tables, collection, pathways, spec)
        block = np.full((rows.rows.size, len(sets.names)), np.nan, dtype=np.float32)
        with progress(enabled=len(samples) > 1) as bar:
            task = bar.add_task(f"score random {collection} targets", total=len(samples))
            for sample in samples:
                table = tables[sample] if sample in tables else rows.atlas.read_table(sample)
                if pathway_column(collection) not in table.obsm:
                    msg = f"atlas '{rows.atlas.root}': sample '{sample}' has no {collection!r} scores; rebuild it"
                    raise DataError(msg)
                scores = score_like_atlas([table], sets, scoring_params(table, collection), quiet=True)
                position = {s: i for i, s in enumerate(table.obs["spot_id"].astype(str).tolist())}
                mine = np.flatnonzero(rows.sample_id == sample)
                block[mine] = scores[[position[s] for s in rows.spot_id[mine]]]
                bar.advance(task)
        names += [f"random:{collection}:{p}" for p in pathways]
        values = np.concatenate([values, block], axis=1)
        details[collection] = how
        logger.info(
            "random-set targets: %d sets matched to %s on %d genes of %d training sample(s), scored on %d samples",
            len(pathways), collection, how["n_genes_matched"], len(how["draw_samples"]), len(samples),
        )  # fmt: skip
    mask = np.isfinite(values)
    details["n_targets"] = len(names)
    return TargetTable(names, values, mask, details)
