"""One build over good samples and broken copies: each broken one fails clearly or is repaired, the rest build."""

from __future__ import annotations

import gzip
import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from humanst.store.validate import validate_atlas

from .conftest import FakeServer, build_atlas, copy_sample, read_table, sample_dict, write_manifest

N_MISSING_BARCODES = 3
N_OUTSIDE = 4


@dataclass
class Built:
    """The mixed build: its report, atlas and what the damage was."""

    report: Any
    atlas: Path
    facts: dict[str, Any]

    def outcome(self, sample_id: str) -> Any:
        return next(o for o in self.report.outcomes if o.sample_id == sample_id)


def _edit_h5ad(path: Path, edit: Any) -> None:
    import anndata as ad

    adata = ad.read_h5ad(path)
    edit(adata)
    adata.write_h5ad(path)


def _hest_h5ad(data_path: Path) -> Path:
    return next((data_path / "st").glob("*.h5ad"))


def _set_nan(adata: Any) -> None:
    x = adata.X.tocsr() if hasattr(adata.X, "tocsr") else adata.X
    x = x.astype(np.float32)
    x.data[0] = np.nan
    adata.X = x


def _rename_genes(adata: Any) -> None:
    adata.var_names = [f"gene_{i:04d}" for i in range(adata.n_vars)]


def _duplicate_first_gene(adata: Any) -> None:
    names = adata.var_names.to_list()
    names[1] = names[0]
    adata.var_names = names


def _move_outside(adata: Any) -> None:
    xy = np.asarray(adata.obsm["spatial"], dtype=np.float64).copy()
    xy[:N_OUTSIDE, 0] += 5000.0  # far right of the 700 px wide image
    adata.obsm["spatial"] = xy


def _tsv_edit(path: Path, edit: Any) -> None:
    table = pd.read_csv(path, sep="\t", index_col=0)
    table = edit(table)
    with gzip.open(path, "wt") as fh:
        table.to_csv(fh, sep="\t")


def _make_negative(table: pd.DataFrame) -> pd.DataFrame:
    table.iloc[0, 0] = -3
    return table


def _duplicate_column(table: pd.DataFrame) -> pd.DataFrame:
    columns = table.columns.to_list()
    columns[1] = columns[0]
    table.columns = columns
    return table


def _visium_duplicate_feature(h5: Path) -> None:
    import h5py

    with h5py.File(h5, "r+") as f:
        names = f["matrix/features/name"]
        names[1] = names[0]


def _evil_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("outs/readme.txt", "harmless")
        zf.writestr("../escaped.txt", "written outside the extraction folder")
    return buf.getvalue()


def _original_counts(written: Any, platform: str) -> Any:
    from humanst.manifest.models import SampleEntry
    from humanst.readers import ReadSettings, get_reader

    entry = SampleEntry(**sample_dict("orig", platform, [{"path": str(written.data_path)}]))
    return get_reader(platform).func(entry, [written.data_path], ReadSettings(55.0)).counts


@pytest.fixture(scope="module")
def mixed_build(
    raw_samples: dict[str, Any], tmp_path_factory: pytest.TempPathFactory, file_server: FakeServer
) -> Built:
    """Build two good samples and every broken copy in one run."""
    root = tmp_path_factory.mktemp("bad-inputs")
    data, facts = root / "raw", {}
    samples = [
        sample_dict("good-visium", "visium", [{"path": str(raw_samples["visium"].data_path)}]),
        sample_dict("good-hest", "hest", [{"path": str(raw_samples["hest"].data_path)}]),
    ]

    def add(sample_id: str, platform: str) -> Path:
        path = copy_sample(raw_samples[platform], data / sample_id)
        samples.append(sample_dict(sample_id, platform, [{"path": str(path)}]))
        return path

    (add("no-scalefactors", "visium") / "spatial" / "scalefactors_json.json").unlink()

    positions = add("missing-barcodes", "visium") / "spatial" / "tissue_positions.csv"
    table = pd.read_csv(positions)
    gone = table.index[table["in_tissue"] == 1][:N_MISSING_BARCODES]
    facts["missing_barcodes"] = table.loc[gone, "barcode"].tolist()
    table.drop(index=gone).to_csv(positions, index=False)

    _edit_h5ad(_hest_h5ad(add("outside-image", "hest")), _move_outside)
    _edit_h5ad(_hest_h5ad(add("nan-counts", "hest")), _set_nan)
    _tsv_edit(next((add("negative-counts", "legacy_st") / "count-matrices").glob("*.tsv.gz")), _make_negative)
    _edit_h5ad(_hest_h5ad(add("unknown-genes", "hest")), _rename_genes)
    _edit_h5ad(_hest_h5ad(add("dup-genes-hest", "hest")), _duplicate_first_gene)
    _visium_duplicate_feature(add("dup-genes-visium", "visium") / "filtered_feature_bc_matrix.h5")
    _tsv_edit(next((add("dup-genes-st", "legacy_st") / "count-matrices").glob("*.tsv.gz")), _duplicate_column)

    tif = next(add("image-garbage", "visium").glob("*.tif"))
    tif.write_bytes(np.random.default_rng(0).integers(0, 256, tif.stat().st_size, dtype=np.uint8).tobytes())
    facts["image-garbage"] = tif.name
    tif = next(add("image-truncated", "visium").glob("*.tif"))
    tif.write_bytes(tif.read_bytes()[: tif.stat().st_size // 2])
    facts["image-truncated"] = tif.name

    body = _evil_zip()
    url = file_server.add("/evil/outs.zip", body)
    samples.append(sample_dict("evil-archive", "visium", [{"url": url, "sha256": hashlib.sha256(body).hexdigest()}]))

    manifest = write_manifest(root / "manifest.yaml", samples)
    atlas = root / "atlas"
    report = build_atlas(manifest, atlas, data_root=root, cache_dir=root / "cache")
    facts["cache"] = root / "cache"
    return Built(report, atlas, facts)


def test_good_samples_build_and_the_atlas_validates(mixed_build: Built) -> None:
    for sample_id in ("good-visium", "good-hest"):
        assert mixed_build.outcome(sample_id).status == "built", mixed_build.outcome(sample_id).error
    problems, n_checked = validate_atlas(mixed_build.atlas)
    assert problems == []
    assert n_checked == sum(o.status == "built" for o in mixed_build.report.outcomes)


def test_failed_samples_leave_no_store_or_part(mixed_build: Built) -> None:
    failed = mixed_build.report.failed
    assert failed
    for outcome in failed:
        assert not (mixed_build.atlas / "samples" / f"{outcome.sample_id}.zarr").exists()
        assert not (mixed_build.atlas / "parts" / f"{outcome.sample_id}.parquet").exists()


FAILURES = {
    # sample id -> words the error must contain besides the sample id
    "no-scalefactors": ["missing", "scalefactors_json.json"],
    "nan-counts": ["NaN"],
    "negative-counts": ["negative"],
    "unknown-genes": ["unknown gene naming", "gene_0000"],
    "image-garbage": ["cannot read the H&E image"],
    "evil-archive": ["'../escaped.txt'", "refusing to extract"],
}


@pytest.mark.parametrize("sample_id", sorted(FAILURES))
def test_broken_sample_fails_naming_sample_and_cause(mixed_build: Built, sample_id: str) -> None:
    outcome = mixed_build.outcome(sample_id)
    assert outcome.status == "failed"
    assert f"sample '{sample_id}'" in outcome.error
    for words in FAILURES[sample_id]:
        assert words in outcome.error
    if sample_id in mixed_build.facts:  # an image problem names the image file
        assert mixed_build.facts[sample_id] in outcome.error


def test_archive_member_was_not_written_outside(mixed_build: Built) -> None:
    cache = mixed_build.facts["cache"]
    assert not list(cache.rglob("escaped.txt"))
    assert not (cache.parent / "escaped.txt").exists()


def test_truncated_image_fails_naming_the_image_file(mixed_build: Built) -> None:
    outcome = mixed_build.outcome("image-truncated")
    assert outcome.status == "failed"
    assert "sample 'image-truncated'" in outcome.error
    assert mixed_build.facts["image-truncated"] in outcome.error


def test_barcodes_without_positions_are_dropped_with_a_warning(mixed_build: Built, raw_samples: Any) -> None:
    outcome = mixed_build.outcome("missing-barcodes")
    assert outcome.status == "built", outcome.error
    assert any(f"{N_MISSING_BARCODES} barcode(s)" in w and "absent" in w for w in outcome.warnings)
    assert outcome.spots_in == raw_samples["visium"].n_obs - N_MISSING_BARCODES
    assert outcome.dropped["no_position"] == N_MISSING_BARCODES  # in the summary table, not only in a warning
    spot_ids = set(read_table(mixed_build.atlas / "samples" / "missing-barcodes.zarr").obs["spot_id"])
    assert spot_ids.isdisjoint(mixed_build.facts["missing_barcodes"])


def test_spots_outside_the_image_are_dropped_and_counted(mixed_build: Built, raw_samples: Any) -> None:
    outcome = mixed_build.outcome("outside-image")
    assert outcome.status == "built", outcome.error
    assert outcome.dropped["outside_image"] == N_OUTSIDE
    good = mixed_build.outcome("good-hest")
    assert outcome.spots_kept == good.spots_kept - N_OUTSIDE
    table = read_table(mixed_build.atlas / "samples" / "outside-image.zarr")
    assert table.n_obs == outcome.spots_kept


def _assert_summed(mixed_build: Built, sample_id: str, original: Any) -> None:
    outcome = mixed_build.outcome(sample_id)
    assert outcome.status == "built", outcome.error
    assert any("duplicated gene name(s) merged" in w for w in outcome.warnings), outcome.warnings
    table = read_table(mixed_build.atlas / "samples" / f"{sample_id}.zarr")
    first, second = original.var_names[0], original.var_names[1]
    assert second.upper() not in table.var_names
    assert outcome.genes == original.n_vars - 1
    x = original.X.tocsr()
    expected = pd.Series(np.asarray(x[:, 0].toarray() + x[:, 1].toarray()).ravel(), index=original.obs_names)
    got = np.asarray(table[:, first.upper()].X.toarray()).ravel()
    np.testing.assert_array_equal(got, expected.loc[table.obs["spot_id"].astype(str)].to_numpy())
    assert got.sum() > 0


def test_duplicated_gene_names_are_summed_hest(mixed_build: Built, raw_samples: Any) -> None:
    _assert_summed(mixed_build, "dup-genes-hest", _original_counts(raw_samples["hest"], "hest"))


def test_duplicated_gene_names_are_summed_visium(mixed_build: Built, raw_samples: Any) -> None:
    _assert_summed(mixed_build, "dup-genes-visium", _original_counts(raw_samples["visium"], "visium"))


def test_duplicated_gene_names_are_summed_legacy_st(mixed_build: Built, raw_samples: Any) -> None:
    _assert_summed(mixed_build, "dup-genes-st", _original_counts(raw_samples["legacy_st"], "legacy_st"))
