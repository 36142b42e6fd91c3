"""The tiny atlas built through the real path: stores, parts, dataset, rerun, validate, export, info."""

from __future__ import annotations

import io
import json
import shutil
import warnings

import numpy as np
import pytest
from scipy import sparse

from humanst.store.validate import validate_atlas

from .conftest import SAMPLES, BuiltAtlas, build


def test_every_sample_builds_and_the_atlas_validates(built: BuiltAtlas):
    statuses = {o.sample_id: o.status for o in built.report.outcomes}
    assert statuses == dict.fromkeys(SAMPLES, "built"), [o.error for o in built.report.failed]
    problems, n = validate_atlas(built.atlas)
    assert problems == []
    assert n == len(SAMPLES)
    report = json.loads((built.atlas / "build_report.json").read_text())
    assert [s["sample_id"] for s in report["samples"]] == list(SAMPLES)
    assert "| t-visium | visium | built |" in (built.atlas / "build_report.md").read_text()


def test_stores_open_with_spatialdata_and_hold_the_contract(built: BuiltAtlas):
    from spatialdata import read_zarr
    from spatialdata.transformations import get_transformation

    for outcome in built.report.outcomes:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sdata = read_zarr(built.atlas / "samples" / f"{outcome.sample_id}.zarr")
        table = sdata.tables["table"]
        assert sparse.issparse(table.X)
        assert table.X.dtype == np.int32
        np.testing.assert_array_equal(np.asarray(table.X.sum(axis=1)).ravel(), table.obs["total_counts"].to_numpy())
        assert (table.obs["total_counts"] >= 100).all()
        assert table.var_names.is_unique
        assert all(g == g.upper() for g in table.var_names)
        assert not any(g.startswith(("NEGCONTROL", "BLANK")) for g in table.var_names)
        assert table.obsm["pathways_hallmark"].shape == (table.n_obs, 50)
        meta = table.uns["humanst"]
        assert meta["input_hash"] == outcome.input_hash
        assert meta["um_per_px"] == pytest.approx(outcome.um_per_px)
        provenance = json.loads(meta["provenance"])
        assert provenance["manifest_entry"]["id"] == outcome.sample_id
        assert provenance["um_per_px_source"]
        shapes = sdata.shapes["spots"]
        assert len(shapes) == table.n_obs
        np.testing.assert_allclose(shapes["radius"], outcome.footprint_um / 2 / outcome.um_per_px)
        scale = get_transformation(sdata.images["he"], "global").to_affine_matrix(("x", "y"), ("x", "y"))
        assert scale[0, 0] == pytest.approx(outcome.um_per_px)
        xy = np.c_[shapes.geometry.x, shapes.geometry.y] * outcome.um_per_px
        by_id = table.obs.set_index("spot_id").loc[shapes.index.astype(str), ["x_um", "y_um"]].to_numpy()
        np.testing.assert_allclose(xy, by_id, rtol=1e-6)


def test_patch_dataset_loads_and_matches_the_stores(built: BuiltAtlas):
    from datasets import load_from_disk
    from PIL import Image

    dataset = load_from_disk(str(built.atlas / "hf"))
    spots = {o.sample_id: o.spots_kept for o in built.report.outcomes}
    assert len(dataset) == sum(spots.values()) == built.report.dataset_rows
    genes = (built.atlas / "hf" / "genes.txt").read_text().split()
    names = json.loads((built.atlas / "hf" / "pathways.json").read_text())
    for row in dataset.data.table.take(list(range(0, len(dataset), 37))).to_pylist():
        image = Image.open(io.BytesIO(row["image"]["bytes"]))
        assert image.size == (224, 224)
        assert image.format == "JPEG"
        assert sum(row["counts"]) == row["total_counts"]
        assert max(row["gene_idx"]) < len(genes)
        assert len(row["pathways_hallmark"]) == len(row["pathway_mask_hallmark"]) == len(names["hallmark"])
    assert set(dataset.unique("sample_id")) == set(SAMPLES)
    card = (built.atlas / "hf" / "README.md").read_text()
    assert "LicenseRef-test-private" in card
    assert "| t-hest |" in card


def test_patches_show_the_tissue_under_each_spot(built: BuiltAtlas):
    """A patch equals the H&E window around its spot resampled to 0.5 um/px (up to JPEG error)."""
    import xarray as xr
    from datasets import load_from_disk
    from PIL import Image
    from spatialdata import read_zarr

    outcome = next(o for o in built.report.outcomes if o.sample_id == "t-visium")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sdata = read_zarr(built.atlas / "samples" / "t-visium.zarr")
    element = sdata.images["he"]
    level0 = element if isinstance(element, xr.DataArray) else element["scale0"]["image"]
    image = np.asarray(level0.values).transpose(1, 2, 0)
    rows = load_from_disk(str(built.atlas / "hf")).filter(lambda s: s == "t-visium", input_columns="sample_id")
    row = rows[5]
    x, y = row["x_um"] / outcome.um_per_px, row["y_um"] / outcome.um_per_px
    half = 56 / outcome.um_per_px  # 112 um field of view
    window = image[round(y - half) : round(y + half), round(x - half) : round(x + half)]
    expected = np.asarray(Image.fromarray(window).resize((224, 224), Image.Resampling.BILINEAR), dtype=float)
    got = np.asarray(row["image"], dtype=float)
    assert np.abs(got - expected).mean() < 12  # JPEG + half-pixel placement; a wrong window differs by far more
    other = np.asarray(rows[6]["image"], dtype=float)
    assert np.abs(other - expected).mean() > np.abs(got - expected).mean()


def test_rerun_skips_unchanged_samples_and_keeps_the_dataset(built: BuiltAtlas):
    hf_info = built.atlas / "hf" / "humanst.json"
    before = hf_info.stat().st_mtime_ns
    report = build(built.manifest_path, built.raw, built.atlas)
    assert {o.status for o in report.outcomes} == {"skipped"}
    assert hf_info.stat().st_mtime_ns == before
    assert report.dataset_rows == built.report.dataset_rows


def test_validate_names_the_broken_sample(built: BuiltAtlas, tmp_path):
    copy = tmp_path / "atlas"
    shutil.copytree(built.atlas, copy)
    shutil.rmtree(copy / "samples" / "t-st.zarr" / "tables")
    (copy / "parts" / "t-hd.parquet").unlink()
    _tamper_counts(copy / "parts" / "t-xenium.parquet")
    problems, _ = validate_atlas(copy)
    assert any("t-st" in p and "table" in p for p in problems)
    assert any("t-hd" in p and "part" in p for p in problems)
    assert any("t-xenium" in p and "counts differ" in p for p in problems)
    assert not any("t-visium" in p for p in problems)


def test_export_leaves_out_non_redistributable_samples(built: BuiltAtlas, tmp_path):
    import pyarrow.parquet as pq

    from humanst.store.export import export_atlas

    allowed, withheld, rows = export_atlas(built.atlas, tmp_path / "export")
    assert withheld == ["t-hest"]
    assert "t-hest" not in allowed
    shards = sorted((tmp_path / "export" / "data").glob("train-*.parquet"))
    table = pq.read_table(shards)
    assert table.num_rows == rows == sum(o.spots_kept for o in built.report.outcomes if o.sample_id != "t-hest")
    assert "t-hest" not in set(table.column("sample_id").to_pylist())
    card = (tmp_path / "export" / "README.md").read_text()
    assert "| t-hest |" not in card
    assert "not part of this export" in card


def test_cli_info_and_validate(built: BuiltAtlas):
    from typer.testing import CliRunner

    from humanst.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["info", str(built.atlas)])
    assert result.exit_code == 0
    assert "5 sample(s) built" in result.output
    result = runner.invoke(app, ["validate", str(built.atlas)])
    assert result.exit_code == 0
    assert "valid" in result.output


def test_score_command_rescores_the_stores_in_place(built: BuiltAtlas, tmp_path):
    from typer.testing import CliRunner

    from humanst.cli import app
    from humanst.pathways import PathwayScores

    copy = tmp_path / "atlas"
    shutil.copytree(built.atlas, copy)
    result = CliRunner().invoke(app, ["score", str(copy), "--gene-sets", "hallmark", "--background", "none"])
    assert result.exit_code == 0, result.output
    for sample_id in ("t-visium", "t-xenium"):
        table = _read_table(copy, sample_id)
        assert PathwayScores.from_obsm(table, "pathways_hallmark").background == "none"
        assert (
            _read_table(built.atlas, sample_id).uns["humanst"]["pathways"]["pathways_hallmark"]["background"]
            == "matched"
        )
    assert validate_atlas(copy)[0] == []


def _read_table(atlas, sample_id):
    from spatialdata import read_zarr

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_zarr(atlas / "samples" / f"{sample_id}.zarr").tables["table"]


def _tamper_counts(part):
    """Add one count to the first spot of a part (as a damaged or stale part would)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(part)
    counts = table.column("counts").to_pylist()
    counts[0][0] += 1
    index = table.schema.get_field_index("counts")
    pq.write_table(table.set_column(index, "counts", pa.array(counts, type=pa.list_(pa.int32()))), part)
