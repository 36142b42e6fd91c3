from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from humanst.errors import ReaderError, RegistryError
from humanst.manifest.models import Platform
from humanst.readers import ImageRef, RawSample, ReaderSpec, ReadSettings, get_reader, reader_names
from humanst.readers.pixel_size import apply_affine
from humanst.synth import counts_checksum, read_truth

from .conftest import PSEUDO_SPOT_UM, TINY_SPECS, clone_tree, read

PLATFORMS = reader_names()
POOLED = [p for p in PLATFORMS if get_reader(p).footprint_um is None and p != "hest"]
SPOTS = [p for p in PLATFORMS if p not in POOLED]


def test_every_manifest_platform_has_a_reader_and_a_test_layout():
    assert sorted(p.value for p in Platform) == PLATFORMS
    assert set(TINY_SPECS) == set(PLATFORMS), "add a tiny synthetic spec for every registered reader"
    assert isinstance(get_reader("visium"), ReaderSpec)
    assert get_reader("visium").footprint_um == 55.0
    assert get_reader("legacy_st").footprint_um == 100.0
    with pytest.raises(RegistryError, match="known: hest, legacy_st"):
        get_reader("merfish")


def test_import_readers_stays_light():
    code = (
        "import sys, humanst.readers\n"
        "print(','.join(m for m in ('torch', 'spatialdata', 'spatialdata_io', 'anndata') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


@pytest.mark.parametrize("platform", PLATFORMS)
def test_reader_returns_a_consistent_raw_sample(layouts, platform):
    raw = layouts[platform].raw
    assert isinstance(raw, RawSample)
    assert isinstance(raw.image, ImageRef)
    assert raw.platform == platform
    assert raw.sample_id == layouts[platform].sample.sample_id
    assert raw.counts.obs_names.is_unique
    assert raw.counts.X.format == "csr"
    assert raw.counts.X.dtype.kind == "i", "raw counts keep an integer dtype"
    pixels = raw.image.load()[:8, :8]
    assert np.asarray(pixels).shape == (8, 8, 3)
    assert np.asarray(pixels).dtype == np.uint8
    height, width = raw.image.shape
    # a pseudo-spot centre is its grid square's centre, which may lie up to half a square beyond the tissue edge
    slack = PSEUDO_SPOT_UM / 2 / raw.um_per_px if platform in POOLED else 0.0
    assert (raw.xy_px >= -slack).all()
    assert (raw.xy_px[:, 0] < width + slack).all()
    assert (raw.xy_px[:, 1] < height + slack).all()
    assert raw.metadata["reader"].split()[0] in {f"spatialdata_io.{platform}", f"humanst.readers.{platform}"}
    expected_footprint = PSEUDO_SPOT_UM if platform in POOLED else {"visium": 55.0, "hest": 55.0}.get(platform, 100.0)
    assert raw.footprint_um == expected_footprint
    assert raw.warnings == [] or platform == "legacy_st"


@pytest.mark.parametrize("platform", PLATFORMS)
def test_pixel_size_matches_the_synthetic_spec(layouts, platform):
    raw = layouts[platform].raw
    assert raw.um_per_px == pytest.approx(TINY_SPECS[platform].um_per_px, rel=0.01)
    assert raw.um_per_px_source
    keyword = {
        "visium": "spot pitch fit",
        "visium_hd": "microns_per_pixel",
        "xenium": "alignment matrix",
        "legacy_st": "array pitch fit",
        "hest": "pixel_size_um_estimated",
    }[platform]
    assert keyword in raw.um_per_px_source


@pytest.mark.parametrize("platform", SPOTS)
def test_spot_counts_and_centres_equal_the_truth(layouts, platform):
    layout = layouts[platform]
    raw, spec = layout.raw, layout.sample.spec
    truth, _ = read_truth(layout.written.root)
    if "selected" in truth:
        truth = truth[truth["selected"]]
    assert sorted(raw.counts.obs_names) == sorted(truth.index)
    truth = truth.loc[raw.counts.obs_names]
    np.testing.assert_array_equal(counts_checksum(raw.counts.X), truth["counts_checksum"].to_numpy())
    np.testing.assert_array_equal(np.asarray(raw.counts.X.sum(axis=1)).ravel(), truth["total_counts"].to_numpy())
    assert list(raw.counts.var_names) == list(layout.sample.genes.genes)
    expected_px = truth[["x_um", "y_um"]].to_numpy() / spec.um_per_px
    np.testing.assert_allclose(raw.xy_px, expected_px, atol=0.51)  # Space Ranger writes integer pixels


@pytest.mark.parametrize("platform", POOLED)
def test_pooling_preserves_counts_on_a_pseudo_spot_grid(layouts, platform):
    layout = layouts[platform]
    raw = layout.raw
    truth, _ = read_truth(layout.written.root)
    counts = raw.counts
    genes = (counts.var["feature_type"] == "Gene Expression").to_numpy()
    pooled_totals = np.asarray(counts.X[:, genes].sum(axis=1)).ravel()
    assert pooled_totals.sum() == truth["total_counts"].sum()
    cell = np.floor(truth[["x_um", "y_um"]].to_numpy() / PSEUDO_SPOT_UM).astype(int)
    expected = truth.groupby([cell[:, 0], cell[:, 1]])["total_counts"].sum()
    got = pd.Series(pooled_totals, index=pd.MultiIndex.from_arrays([counts.obs["grid_col"], counts.obs["grid_row"]]))
    pd.testing.assert_series_equal(got.sort_index(), expected.sort_index(), check_names=False, check_dtype=False)
    centres = counts.obs[["x_um", "y_um"]].to_numpy()
    np.testing.assert_allclose(np.mod(centres / PSEUDO_SPOT_UM, 1.0), 0.5)
    gaps = np.abs(centres[:, None, :] - centres[None, :, :]).sum(axis=2)
    assert gaps[gaps > 0].min() == pytest.approx(PSEUDO_SPOT_UM)
    assert int(counts.obs.filter(like="n_").iloc[:, 0].sum()) == len(truth)


def test_visium_hd_centres_are_in_full_resolution_pixels(layouts):
    raw = layouts["visium_hd"].raw
    np.testing.assert_allclose(raw.xy_px * raw.um_per_px, raw.counts.obs[["x_um", "y_um"]].to_numpy())
    assert raw.metadata["bin_um"] == 8


def test_xenium_centres_land_on_the_he_through_the_alignment(layouts):
    layout = layouts["xenium"]
    raw = layout.raw
    _, design = read_truth(layout.written.root)
    he_px_to_um = np.asarray(design["geometry"]["he_px_to_um"])
    np.testing.assert_allclose(apply_affine(he_px_to_um, raw.xy_px), raw.counts.obs[["x_um", "y_um"]], atol=1e-6)
    feature_type = raw.counts.var["feature_type"]
    assert (feature_type != "Gene Expression").sum() == raw.metadata["n_control_features"] > 0
    assert raw.counts.var_names[feature_type != "Gene Expression"].str.startswith(("NegControl", "BLANK")).all()


@pytest.mark.parametrize("platform", PLATFORMS)
def test_manifest_pixel_size_override_wins(layouts, platform):
    layout = layouts[platform]
    settings = ReadSettings(pseudo_spot_um=PSEUDO_SPOT_UM, um_per_px=0.777, um_per_px_source="lab notebook p. 12")
    raw = read(platform, layout.sample.sample_id, [layout.written.data_path], settings)
    assert raw.um_per_px == 0.777
    assert "lab notebook p. 12" in raw.um_per_px_source
    assert raw.metadata["um_per_px_measured"] == pytest.approx(TINY_SPECS[platform].um_per_px, rel=0.01)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_missing_files_name_the_sample_and_what_is_missing(tmp_path, platform):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ReaderError, match=r"sample 'bad-sample'.*missing") as info:
        read(platform, "bad-sample", [empty])
    assert info.value.sample_id == "bad-sample"
    assert info.value.path == empty


@pytest.mark.parametrize("platform", PLATFORMS)
def test_corrupt_image_names_the_image_file(layouts, tmp_path, platform):
    layout = layouts[platform]
    src = layout.written.data_path
    image_rel = layout.raw.image.path.relative_to(src).as_posix()
    clone = clone_tree(src, tmp_path / "clone", rewrite={image_rel: lambda _s, t: t.write_bytes(b"not an image\0" * 9)})
    with pytest.raises(ReaderError, match="cannot read the H&E image") as info:
        read(platform, "corrupt", [clone])
    assert info.value.path == clone / image_rel
    assert "sample 'corrupt'" in str(info.value)


def test_visium_missing_scalefactors_is_named(layouts, tmp_path):
    src = layouts["visium"].written.data_path
    clone = clone_tree(src, tmp_path / "outs", drop=("spatial/scalefactors_json.json",))
    with pytest.raises(ReaderError, match=r"scalefactors_json\.json") as info:
        read("visium", "no-sf", [clone])
    assert info.value.sample_id == "no-sf"


def test_visium_barcodes_missing_from_positions_are_dropped_and_reported(layouts, tmp_path):
    layout = layouts["visium"]
    src = layout.written.data_path
    removed = list(layout.raw.counts.obs_names[:3])

    def drop_rows(source, target):
        positions = pd.read_csv(source)
        positions[~positions["barcode"].isin(removed)].to_csv(target, index=False)

    clone = clone_tree(src, tmp_path / "outs", rewrite={"spatial/tissue_positions.csv": drop_rows})
    raw = read("visium", "holes", [clone])
    assert raw.counts.n_obs == layout.raw.counts.n_obs - 3
    assert not set(removed) & set(raw.counts.obs_names)
    assert any("3 barcode(s)" in w and "tissue_positions.csv" in w for w in raw.warnings)
    assert np.isfinite(raw.xy_px).all()


def test_scattered_single_files_are_found_and_staged(layouts):
    layout = layouts["visium"]
    outs = layout.written.data_path
    inputs = [
        outs / "filtered_feature_bc_matrix.h5",
        outs / "spatial",
        next(outs.glob("*_image.tif")),
    ]
    raw = read("visium", layout.sample.sample_id, inputs)
    np.testing.assert_array_equal(raw.counts.X.toarray(), layout.raw.counts.X.toarray())
    hest = layouts["hest"]
    root = hest.written.data_path
    sid = hest.sample.sample_id
    raw = read(
        "hest", sid, [root / "st" / f"{sid}.h5ad", root / "wsis" / f"{sid}.tif", root / "metadata" / f"{sid}.json"]
    )
    assert raw.counts.n_obs == hest.raw.counts.n_obs


def test_visium_scalefactors_disagreement_is_warned(layouts, tmp_path):
    src = layouts["visium"].written.data_path

    def inflate(source, target):
        factors = json.loads(source.read_text())
        factors["spot_diameter_fullres"] *= 1.2
        target.write_text(json.dumps(factors))

    clone = clone_tree(src, tmp_path / "outs", rewrite={"spatial/scalefactors_json.json": inflate})
    raw = read("visium", "odd-sf", [clone])
    assert raw.um_per_px == pytest.approx(layouts["visium"].raw.um_per_px)
    assert any("differ by 16.7 %" in w for w in raw.warnings)
    assert "DISAGREES" in raw.um_per_px_source


def test_public_names_resolve():
    import humanst.readers

    for name in humanst.readers.__all__:
        assert getattr(humanst.readers, name) is not None
    assert set(humanst.readers.__all__) >= {"RawSample", "ImageRef", "ReadSettings", "get_reader", "register_reader"}


def test_hest_falls_back_to_the_embedded_pixel_size_and_checks_it_against_the_pitch(layouts, tmp_path):
    layout = layouts["hest"]
    sid = layout.sample.sample_id

    def edit(source, target):
        meta = json.loads(source.read_text())
        meta["pixel_size_um_estimated"] = None
        meta["pixel_size_um_embedded"] = 1.3
        target.write_text(json.dumps(meta))

    clone = clone_tree(layout.written.data_path, tmp_path / "hest", rewrite={f"metadata/{sid}.json": edit})
    raw = read("hest", sid, [clone])
    assert raw.um_per_px == 1.3
    assert "pixel_size_um_embedded" in raw.um_per_px_source
    assert any("spot pitch" in w and "differ by" in w for w in raw.warnings)
