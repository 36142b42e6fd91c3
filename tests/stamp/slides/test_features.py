"""The per-slide feature files: Trident / Patho-Bench ``.h5`` layout, safetensors twin, reader API."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from stamp.errors import DataError
from stamp.slides import SlideFeatureFolder, SlideFeatures, load_slide_features, write_slide_features

PROVENANCE = {
    "tiling": {"size_px": 224, "um_per_px": 0.5, "tile_um": 112.0},
    "slide": {"size_px_level0": 448, "pixel_size": {"x_um": 0.25, "y_um": 0.25, "source": "aperio.MPP"}},
    "encoder": "vit-tiny-test",
}


def _features(n: int = 5, dim: int = 8) -> SlideFeatures:
    rng = np.random.default_rng(0)
    coords_um = np.stack([np.arange(n) * 112.0, np.zeros(n)], axis=1)
    return SlideFeatures(
        "s1", rng.normal(size=(n, dim)).astype(np.float32), (coords_um / 0.25).astype(np.int64), coords_um,
        np.linspace(0.3, 1, n).astype(np.float32), PROVENANCE,
    )  # fmt: skip


def test_h5_has_the_trident_layout_and_both_files_read_back(tmp_path):
    written = _features()
    h5_path, st_path = write_slide_features(tmp_path, written, meta={"encoder": "vit-tiny-test", "content_hash": "x"})
    assert h5_path == tmp_path / "h5_files" / "s1.h5"
    with h5py.File(h5_path, "r") as h5:
        assert h5["features"].shape == (5, 8)
        assert h5["features"].dtype == np.float32
        assert h5["coords"].dtype == np.int64
        attrs = dict(h5["coords"].attrs)
    assert attrs["patch_size"] == 224
    assert attrs["patch_size_level0"] == 448
    assert (attrs["level0_magnification"], attrs["target_magnification"]) == (40, 20)
    assert attrs["patch_size"] * attrs["level0_magnification"] / attrs["target_magnification"] == 448
    for path in (h5_path, st_path):
        back = load_slide_features(path)
        assert back.slide_id == "s1"
        np.testing.assert_array_equal(back.features, written.features)
        np.testing.assert_array_equal(back.coords_px, written.coords_px)
        np.testing.assert_allclose(back.coords_um, written.coords_um)
        assert back.provenance == PROVENANCE
        assert back.tile_um == 112.0
    folder = SlideFeatureFolder(tmp_path)
    assert folder.slide_ids() == ["s1"]
    assert folder.meta("s1")["kind"] == "slide"
    assert folder.meta("missing") is None


def test_a_plain_trident_file_reads_too(tmp_path):
    path = tmp_path / "t.h5"
    with h5py.File(path, "w") as h5:
        h5.create_dataset("features", data=np.ones((3, 4), np.float32))
        coords = h5.create_dataset("coords", data=np.array([[0, 0], [512, 0], [1024, 0]]))
        coords.attrs.update({"patch_size": 256, "level0_magnification": 40, "target_magnification": 20, "name": "t"})
    back = load_slide_features(path)
    assert back.slide_id == "t"
    np.testing.assert_allclose(back.coords_um[:, 0], [0, 128, 256])  # 10 / 40x = 0.25 um/px
    assert back.provenance == {}


def test_missing_and_foreign_files_are_refused(tmp_path):
    with pytest.raises(DataError, match="run `stamp embed-slides` first"):
        load_slide_features(tmp_path / "none.safetensors")
    from safetensors.numpy import save_file

    spot = tmp_path / "spots.safetensors"
    save_file({"embeddings": np.zeros((2, 2), np.float32)}, str(spot), metadata={"sample_id": "x"})
    with pytest.raises(DataError, match="not a slide feature file"):
        load_slide_features(spot)
