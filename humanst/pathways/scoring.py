"""``score()``: pathway scores per spot for an AnnData of raw counts, by any registered method."""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from humanst._logging import logger
from humanst.builder.settings import DEFAULTS
from humanst.errors import HumanstError
from humanst.pathways._registry import get_method
from humanst.pathways.context import Background, CountsSource, ScoringContext
from humanst.pathways.genesets import GeneSets, load_collection
from humanst.pathways.matching import GeneIndex, match_gene_sets
from humanst.pathways.results import PathwayScores

if TYPE_CHECKING:
    from anndata import AnnData

__all__ = ["score"]

_BACKGROUNDS = ("matched", "all", "none")


def _groups(adata: AnnData, groupby: str | None) -> list[tuple[str, np.ndarray]]:
    if groupby is None:
        return [("all", np.arange(adata.n_obs))]
    if groupby not in adata.obs:
        msg = f"groupby column {groupby!r} not in obs; available: {', '.join(map(str, adata.obs.columns))}"
        raise HumanstError(msg)
    codes, uniques = pd.factorize(adata.obs[groupby], sort=True)
    return [(str(u), np.flatnonzero(codes == i)) for i, u in enumerate(uniques)]


def _resolve_controls(controls: Mapping[str, Sequence[str]] | None, index: GeneIndex) -> dict[str, np.ndarray]:
    resolved = {}
    for name, genes in (controls or {}).items():
        missing = [g for g in genes if str(g).strip().upper() not in index.lookup]
        if missing:
            msg = f"control genes of set {name!r} not in the data: {missing[:10]}"
            raise HumanstError(msg)
        resolved[name] = np.unique([index.lookup[str(g).strip().upper()] for g in genes])
    return resolved


def score(
    adata: AnnData,
    gene_sets: GeneSets | str | Path,
    method: str = "mean_z",
    *,
    min_coverage: float = DEFAULTS.min_coverage,
    layer: str | None = None,
    background: Background | None = None,
    standardize: bool = True,
    groupby: str | None = None,
    seed: int = 0,
    ctrl_size: int | None = None,
    controls: Mapping[str, Sequence[str]] | None = None,
    chunk_size: int = 10_000,
    progress: bool = False,
) -> PathwayScores:
    """Score every gene set of a collection for every spot of ``adata`` (raw counts, CSR or dense, or backed).

    Parameters
    ----------
    adata
        AnnData whose ``X`` (or ``layers[layer]``) holds raw counts; spots x genes.
    gene_sets
        A :class:`GeneSets`, a shipped collection name (``hallmark``, ``reactome``) or a GMT path.
    method
        A registered method: ``mean_z`` (default), ``ulm`` (decoupler) or ``ssgsea`` (gseapy).
    min_coverage
        Sets whose measured members / all members fall below this are masked (scores NaN).
    layer
        Layer with raw counts instead of ``X``.
    background
        ``mean_z`` only: ``matched`` (default; expression-matched control genes), ``all`` (the spot's
        mean z over all genes) or ``none`` (naive; tracks library size and cellularity).
    standardize
        Per-gene z of log1p(CP10k) (default). ``False`` scores log1p(CP10k) values as they are (the
        Seurat / scanpy module score).
    groupby
        ``obs`` column whose groups (samples) get their own per-gene statistics and controls.
    seed
        Seeds the control-gene draw (per set name, independent of the other sets).
    ctrl_size
        ``None`` (default): the matched background is the bin-weighted mean of *all* non-member genes in
        the members' expression bins (the expectation of Seurat's draw, without its noise). An integer
        draws about that many controls per set (at least one per member), seeded, as Seurat does.
    controls
        Explicit control genes for some sets (overrides the matched draw for them).
    chunk_size
        Spots per chunk: memory stays bounded by a chunk, the output and the weights.
    progress
        Show a progress bar.

    Notes
    -----
    Several tuning parameters are keyword-only on purpose (STYLE rule 9): the first three are the
    everyday call, the rest have defaults that match DESIGN 2.5.
    """
    spec = get_method(method)
    if spec.requires and importlib.util.find_spec(spec.requires) is None:
        msg = f"method {method!r} delegates to {spec.requires}, which is not installed; pip install {spec.requires}"
        raise HumanstError(msg)
    if background is None:
        background = "matched" if spec.supports_background else None
    elif not spec.supports_background:
        msg = f"background={background!r} applies to method 'mean_z' only; {method!r} has its own null"
        raise HumanstError(msg)
    if background is not None and background not in _BACKGROUNDS:
        msg = f"unknown background {background!r}; use one of {', '.join(_BACKGROUNDS)}"
        raise HumanstError(msg)
    if not 0.0 <= min_coverage <= 1.0:
        msg = f"min_coverage must lie in [0, 1]; found {min_coverage}"
        raise HumanstError(msg)
    sets = gene_sets if isinstance(gene_sets, GeneSets) else load_collection(gene_sets)
    if layer is not None and layer not in adata.layers:
        msg = f"layer {layer!r} not found; available layers: {', '.join(adata.layers) or 'none'}"
        raise HumanstError(msg)
    matrix = adata.layers[layer] if layer is not None else adata.X
    index = GeneIndex.from_var(adata.var_names, adata.var.get("gene_ids"))
    matched = match_gene_sets(sets, index)
    mask = (matched.coverage >= min_coverage) & (matched.n_measured > 0)
    logger.info(
        "%s: %d sets, %d masked (coverage < %.2f), %d with unmatched members",
        sets.name,
        len(sets),
        int((~mask).sum()),
        min_coverage,
        len(matched.unmatched),
    )
    explicit = _resolve_controls(controls, index)
    out = np.full((adata.n_obs, len(matched.names)), np.nan, dtype=np.float32)
    used_controls: dict[str, dict[str, list[str]]] = {}
    groups = _groups(adata, groupby)
    from humanst.console import progress as house_progress

    started = time.perf_counter()
    with house_progress(enabled=progress, transient=True) as bar:
        task = bar.add_task(f"{sets.name} ({method})", total=2 * adata.n_obs)
        for group, rows in groups:
            ctx = ScoringContext(
                source=CountsSource(matrix, rows, index, chunk_size),
                matched=matched,
                active=mask,
                background=background or "none",
                standardize=standardize,
                seed=seed,
                ctrl_size=ctrl_size,
                explicit_controls=explicit,
                output=out,
                on_chunk=(lambda n: bar.advance(task, n)) if progress else None,
            )
            ctx.compute_statistics(where=f"{sets.name}: group '{group}'" if groupby else sets.name)
            spec.func(ctx)
            genes = np.asarray(ctx.genes, dtype=object)
            used_controls[group] = {name: genes[idx].tolist() for name, idx in ctx.controls.items()}
    logger.info("%s scored with %s in %.2f s", sets.name, method, time.perf_counter() - started)
    return PathwayScores(
        names=matched.names,
        scores=out,
        coverage=matched.coverage,
        mask=mask,
        n_members=matched.n_members,
        n_measured=matched.n_measured,
        method=method,
        background=background,
        min_coverage=min_coverage,
        standardize=standardize,
        seed=seed,
        collection=sets.name,
        license=sets.license,
        citation=sets.citation,
        groupby=groupby,
        unmatched=matched.unmatched,
        controls=used_controls,
    )
