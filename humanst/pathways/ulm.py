"""Parity method: decoupler's univariate linear model (t-value of set membership) on the same z matrix."""

from __future__ import annotations

import numpy as np
import pandas as pd

from humanst.pathways._registry import register_method
from humanst.pathways.context import ScoringContext

__all__ = ["ulm"]


@register_method(
    "ulm",
    description="decoupler ULM: per-spot t-value of regressing gene z on set membership",
    reference="Badia-i-Mompel P. et al., decoupleR, Bioinformatics Advances 2022 (decoupler.mt.ulm)",
    requires="decoupler",
)
def ulm(ctx: ScoringContext) -> None:
    """Run ``decoupler.mt.ulm`` chunk by chunk on the per-gene z matrix; unfit spots come back NaN."""
    import decoupler as dc

    gene_sets = ctx.active_members()
    names = list(gene_sets)
    net = pd.DataFrame(
        [(name, gene) for name, genes in gene_sets.items() for gene in genes], columns=["source", "target"]
    ).assign(weight=1.0)
    for positions, logn in ctx.log_chunks():
        index = [f"s{p}" for p in positions]
        frame = pd.DataFrame(ctx.dense_z(logn), index=index, columns=ctx.genes)
        scores, _ = dc.mt.ulm(data=frame, net=net, tmin=1, verbose=False)
        ctx.emit(positions, scores.reindex(index=index, columns=names).to_numpy(dtype=np.float32))
