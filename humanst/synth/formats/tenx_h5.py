"""Write the 10x Genomics feature-barcode matrix HDF5 (shared by Space Ranger and Xenium outputs)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import h5py
import numpy as np
from scipy import sparse

__all__ = ["write_10x_h5"]


def _bytes(values: Sequence[str]) -> np.ndarray:
    return np.array([v.encode("ascii") for v in values], dtype=f"S{max(1, max((len(v) for v in values), default=1))}")


def write_10x_h5(
    path: str | Path,
    counts: sparse.spmatrix,
    barcodes: Sequence[str],
    feature_ids: Sequence[str],
    feature_names: Sequence[str],
    *,
    feature_types: Sequence[str] | None = None,
    genome: str = "GRCh38",
    attrs: dict[str, str] | None = None,
) -> Path:
    """Write ``counts`` (observations x features) as a v3 ``/matrix`` group: CSC of features x barcodes."""
    path = Path(path)
    n_obs, n_features = counts.shape
    if len(barcodes) != n_obs or len(feature_ids) != n_features or len(feature_names) != n_features:
        msg = f"shape {counts.shape} does not match {len(barcodes)} barcodes and {len(feature_ids)} features"
        raise ValueError(msg)
    feature_types = list(feature_types) if feature_types is not None else ["Gene Expression"] * n_features
    # CSC of the (features x barcodes) matrix == CSR of (barcodes x features): one column per barcode.
    csr = sparse.csr_matrix(counts, dtype=np.int32)
    csr.sort_indices()
    tmp = path.with_name(path.name + ".partial")
    with h5py.File(tmp, "w") as h5:
        for key, value in {"filetype": "matrix", "version": 2, **(attrs or {})}.items():
            h5.attrs[key] = value
        matrix = h5.create_group("matrix")
        matrix.create_dataset("barcodes", data=_bytes(barcodes))
        matrix.create_dataset("data", data=csr.data.astype(np.int32), compression="gzip")
        matrix.create_dataset("indices", data=csr.indices.astype(np.int64), compression="gzip")
        matrix.create_dataset("indptr", data=csr.indptr.astype(np.int64))
        matrix.create_dataset("shape", data=np.array([n_features, n_obs], dtype=np.int32))
        features = matrix.create_group("features")
        features.create_dataset("id", data=_bytes(feature_ids))
        features.create_dataset("name", data=_bytes(feature_names))
        features.create_dataset("feature_type", data=_bytes(feature_types))
        features.create_dataset("genome", data=_bytes([genome] * n_features))
        features.create_dataset("_all_tag_keys", data=_bytes(["genome"]))
    tmp.replace(path)
    return path
