"""Parity method: gseapy's single-sample GSEA (normalised enrichment score) on log1p(CP10k) values."""

from __future__ import annotations

import numpy as np
import pandas as pd

from humanst.pathways._registry import register_method
from humanst.pathways.context import ScoringContext

__all__ = ["ssgsea"]


@register_method(
    "ssgsea",
    description="gseapy ssGSEA: rank-based single-sample enrichment (NES) per spot; slow, for parity",
    reference="Barbie D.A. et al., Nature 2009; Fang Z. et al., GSEApy, Bioinformatics 2023 (gseapy.ssgsea)",
    requires="gseapy",
)
def ssgsea(ctx: ScoringContext) -> None:
    """Run ``gseapy.ssgsea`` chunk by chunk (genes x spots frames); returns NES per spot and set."""
    import gseapy

    gene_sets = ctx.active_members()
    names = list(gene_sets)
    if not names:
        return
    for positions, logn in ctx.log_chunks():
        index = [f"s{p}" for p in positions]
        frame = pd.DataFrame(logn.toarray().T, index=ctx.genes, columns=index)
        result = gseapy.ssgsea(
            data=frame,
            gene_sets=gene_sets,
            outdir=None,
            min_size=1,
            max_size=100_000,
            sample_norm_method="rank",
            permutation_num=0,
            no_plot=True,
            threads=1,
            verbose=False,
        )
        table = result.res2d.pivot(index="Name", columns="Term", values="NES")
        ctx.emit(positions, table.reindex(index=index, columns=names).to_numpy(dtype=np.float32))
