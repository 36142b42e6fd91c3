"""Gene harmonisation: control probes dropped, symbols upper-cased, Ensembl ids mapped, duplicates summed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import sparse

from humanst.errors import SampleError

if TYPE_CHECKING:
    from anndata import AnnData

__all__ = ["GeneReport", "harmonise_genes", "is_control_probe"]

# Xenium / CosMx / 10x non-gene features; matched on the feature name, case-insensitively.
_CONTROL = re.compile(
    r"^(NegControl|NegPrb|Negative|BLANK|Blank-|UnassignedCodeword|DeprecatedCodeword|GenomicControl|"
    r"IntergenicRegion|antisense_|SystemControl)",
    re.IGNORECASE,
)
_ENSEMBL = re.compile(r"^ENS[A-Z]*G\d{6,}(\.\d+)?$")
_SYMBOL_COLUMNS = ("gene_symbols", "gene_symbol", "feature_name", "symbol", "gene_name")
MIN_KNOWN_FRACTION = 0.2  # below this share of recognisable gene names, the naming is "unknown"


def is_control_probe(name: str) -> bool:
    """Whether a feature name is a control probe / codeword rather than a gene."""
    return bool(_CONTROL.match(str(name)))


@lru_cache(maxsize=1)
def _known_symbols() -> frozenset[str]:
    from humanst.pathways import load_collection

    return frozenset(g.upper() for name in ("hallmark", "reactome") for g in load_collection(name).genes())


@dataclass
class GeneReport:
    """What gene harmonisation did to one sample."""

    n_input: int
    n_controls: int = 0
    n_non_gene: int = 0  # other feature types (antibody capture, ...)
    n_duplicates_merged: int = 0
    n_ensembl_mapped: int = 0
    naming: str = "symbol"  # "symbol" or "ensembl"
    warnings: list[str] = field(default_factory=list)


def _symbols_and_ids(var: pd.DataFrame, names: pd.Index) -> tuple[np.ndarray, np.ndarray, str]:
    """Return (symbol, ensembl id) per feature and the naming scheme of ``var_names``."""
    names_arr = names.astype(str).to_numpy()
    ids = var["gene_ids"].astype(str).to_numpy() if "gene_ids" in var else np.full(names_arr.size, "", dtype=object)
    is_ens = np.array([bool(_ENSEMBL.match(n)) for n in names_arr])
    if is_ens.mean() > 0.5:  # var_names are Ensembl ids: take symbols from a symbol column
        column = next((c for c in _SYMBOL_COLUMNS if c in var), None)
        if column is None:
            return names_arr, names_arr, "ensembl-unmapped"
        return var[column].astype(str).to_numpy(), names_arr, "ensembl"
    return names_arr, ids, "symbol"


def harmonise_genes(counts: AnnData, *, sample_id: str) -> tuple[AnnData, GeneReport]:
    """Return a new AnnData over harmonised genes (upper-case HGNC symbols, duplicates summed) and a report.

    ``var`` of the result: index = symbol, ``source_name`` (original names, ``;``-joined when merged),
    ``ensembl_id`` (when known). Raises :class:`SampleError` when the gene naming is not recognisable.
    """
    import anndata as ad

    var = counts.var
    report = GeneReport(n_input=counts.n_vars)
    keep = np.ones(counts.n_vars, dtype=bool)
    if "feature_type" in var:
        ftype = var["feature_type"].astype(str).to_numpy()
        gene_like = np.isin(ftype, ["Gene Expression", "gene", "Gene", "nan", ""])
        report.n_non_gene = int((~gene_like).sum())
        keep &= gene_like
    controls = np.array([is_control_probe(n) for n in counts.var_names])
    report.n_controls = int((controls & keep).sum())
    keep &= ~controls
    symbols, ids, naming = _symbols_and_ids(var, counts.var_names)
    symbols = np.array([s.strip().upper() for s in symbols[keep]], dtype=object)
    ids, source = ids[keep], counts.var_names.astype(str).to_numpy()[keep]
    if naming == "ensembl-unmapped":
        msg = (
            "gene names are Ensembl ids and var has no symbol column "
            f"({', '.join(_SYMBOL_COLUMNS)}); expected HGNC symbols or Ensembl ids with symbols. "
            "Add a symbol column to var or use the platform's features file."
        )
        raise SampleError(msg, sample_id=sample_id)
    universe = _known_symbols()
    known = np.fromiter((s in universe for s in symbols), dtype=bool, count=symbols.size)
    if symbols.size == 0 or known.mean() < MIN_KNOWN_FRACTION:
        examples = ", ".join(repr(s) for s in source[:3])
        msg = (
            f"unknown gene naming: {known.sum() if symbols.size else 0} of {symbols.size} feature names are "
            f"known human gene symbols (examples: {examples}); expected HGNC symbols (e.g. 'EPCAM') or Ensembl "
            "ids. Check that this is a human sample and that var_names hold gene names."
        )
        raise SampleError(msg, sample_id=sample_id)
    report.naming = "ensembl" if naming == "ensembl" else "symbol"
    report.n_ensembl_mapped = int(symbols.size) if naming == "ensembl" else 0
    codes, uniques = pd.factorize(pd.Index(symbols))
    report.n_duplicates_merged = int(symbols.size - uniques.size)
    x = sparse.csr_matrix(counts.X)[:, np.flatnonzero(keep)]
    if report.n_duplicates_merged:
        merge = sparse.csr_matrix((np.ones(codes.size, dtype=x.dtype), (np.arange(codes.size), codes)))
        x = sparse.csr_matrix(x @ merge)
        report.warnings.append(f"{report.n_duplicates_merged} duplicated gene name(s) merged (counts summed)")
    x.sum_duplicates()
    groups = pd.Series(source).groupby(codes)
    new_var = pd.DataFrame(
        {
            "source_name": groups.agg(";".join).to_numpy(),
            "ensembl_id": pd.Series(ids).groupby(codes).first().replace({"nan": "", "None": ""}).to_numpy(),
        },
        index=pd.Index(uniques.astype(str), name=None),
    )
    out = ad.AnnData(X=x, obs=counts.obs.copy(), var=new_var)
    return out, report
