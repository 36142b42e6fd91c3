"""``stamp embed-slides`` on hostile inputs: each slide's failure stays its own, outputs are checked, --mpp is said."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from humanst.slides import TilingSettings
from humanst.synth.slides import write_slide
from stamp.cli import app
from stamp.slides import SlideFeatureFolder, embed_slides

OPTIONS = {"num_workers": 0, "device": "cpu", "show_progress": False}
CLI_OPTIONS = ["--encoder", "vit-tiny-test", "--num-workers", "0", "--device", "cpu", "--max-tiles", "4"]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _provenance_um(store: SlideFeatureFolder, slide_id: str) -> float:
    meta = store.meta(slide_id)
    assert meta is not None
    return float(json.loads(meta["provenance"])["slide"]["pixel_size"]["x_um"])


def test_tiles_finer_than_a_preview_pixel_embed_and_draw(synthetic_slides, tmp_path: Path) -> None:
    image = np.asarray(synthetic_slides["image"])
    slide = write_slide(tmp_path / "fine.tif", image[:400, :400], um_per_px=0.5)  # 200 um: 125 x 125 tiles
    out = tmp_path / "feats"
    args = ["embed-slides", str(slide), *CLI_OPTIONS, "--out", str(out), "--tile-px", "16", "--tile-mpp", "0.1"]
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 0, done.output  # tiles of 1.6 um, drawn 0.8 px wide on the 2 um/px preview
    store = SlideFeatureFolder(out / "16px-0.1um" / "vit-tiny-test")
    assert len(store.load("fine")) == 4
    assert store.preview_path("fine").is_file()


def test_a_tile_plan_past_its_bound_is_refused_before_reading_and_the_folder_goes_on(
    synthetic_slides, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import humanst.slides.tiling as tiling

    monkeypatch.setattr(tiling, "MAX_GRID_TILES", 1000)  # 8 um tiles: 18,750 over the 1.2 x 1 mm slide
    folder = tmp_path / "slides"
    folder.mkdir()
    shutil.copy(synthetic_slides["pyr05"], folder / "big.tif")
    image = np.asarray(synthetic_slides["image"])
    write_slide(folder / "small.tif", image[:200, :200], um_per_px=0.5)  # 100 um: 144 tiles of 8 um
    settings = TilingSettings(size_px=16, um_per_px=0.5, min_tissue=0.0, max_tiles=4)
    result = embed_slides([folder], "vit-tiny-test", out=tmp_path / "feats", tiling=settings, **OPTIONS)
    assert result.embedded == ["small"]
    assert list(result.failed) == ["big"]
    reason = _one_line(result.failed["big"])
    assert "big.tif" in reason
    assert "grid of 18,750 tiles, more than 1,000" in reason
    assert "--tile-px" in reason
    assert not SlideFeatureFolder(result.folder).preview_path("big").exists()  # refused before its thumbnail


def test_a_slide_that_cannot_be_written_fails_alone(slide_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "feats"
    folder = out / "224px-0.5um" / "vit-tiny-test"
    (folder / "h5_files" / "b.h5").mkdir(parents=True)  # a folder where b's feature file goes
    done = CliRunner().invoke(app, ["embed-slides", str(slide_dir), *CLI_OPTIONS, "--out", str(out)])
    assert done.exit_code == 1, done.output
    assert done.exception is None or isinstance(done.exception, SystemExit)
    text = _one_line(done.output)
    assert "3 slide(s) embedded, 0 up to date, 1 failed" in text
    assert "failed b:" in text
    assert SlideFeatureFolder(folder).slide_ids() == ["a", "c", "d"]


def test_a_deleted_or_truncated_h5_is_embedded_again(slide_dir: Path, tmp_path: Path) -> None:
    slides = [slide_dir / "a.tif", slide_dir / "b.svs", slide_dir / "c.tif"]
    tiling = TilingSettings(max_tiles=4)
    first = embed_slides(slides, "vit-tiny-test", out=tmp_path, tiling=tiling, **OPTIONS)
    store = SlideFeatureFolder(first.folder)
    store.h5_path("a").unlink()
    data = store.h5_path("b").read_bytes()
    store.h5_path("b").write_bytes(data[: len(data) // 2])
    again = embed_slides(slides, "vit-tiny-test", out=tmp_path, tiling=tiling, **OPTIONS)
    assert (sorted(again.embedded), again.skipped) == (["a", "b"], ["c"])
    notes = " ".join(again.notes)
    assert "slide 'a' embedded again: its .h5 is missing" in notes
    assert "slide 'b' embedded again: its .h5 has" in notes
    assert store.damage("a") is None
    assert store.damage("b") is None


def test_an_unwritable_out_is_one_line_before_any_slide_is_read(slide_dir: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    done = CliRunner().invoke(app, ["embed-slides", str(slide_dir), *CLI_OPTIONS, "--out", str(blocker / "feats")])
    assert done.exit_code == 1
    assert done.exception is None or isinstance(done.exception, SystemExit), done.exception
    errors = [line for line in done.output.splitlines() if "error" in line]
    assert len(errors) == 1, done.output
    assert f"--out '{blocker / 'feats'}'" in _one_line(done.output)
    assert "slide(s) embedded" not in done.output


def test_mpp_fills_in_only_slides_without_a_pixel_size_unless_overridden(synthetic_slides, tmp_path: Path) -> None:
    folder = tmp_path / "slides"
    folder.mkdir()
    shutil.copy(synthetic_slides["plain"], folder / "bare.tif")  # no pixel size in its metadata
    write_slide(folder / "own.tif", np.asarray(synthetic_slides["image"]), um_per_px=0.499)
    base = ["embed-slides", str(folder), *CLI_OPTIONS, "--mpp", "0.5"]
    filled = CliRunner().invoke(app, [*base, "--out", str(tmp_path / "fill")])
    assert filled.exit_code == 0, filled.output
    store = SlideFeatureFolder(tmp_path / "fill" / "224px-0.5um" / "vit-tiny-test")
    assert _provenance_um(store, "bare") == 0.5
    assert _provenance_um(store, "own") == pytest.approx(0.499)
    assert "--mpp 0.5 was not used for 1 slide(s) with their own pixel size (own 0.499 um/px" in _one_line(
        filled.output
    )
    forced = CliRunner().invoke(app, [*base, "--mpp-override", "--out", str(tmp_path / "force")])
    assert forced.exit_code == 0, forced.output
    store = SlideFeatureFolder(tmp_path / "force" / "224px-0.5um" / "vit-tiny-test")
    assert _provenance_um(store, "own") == 0.5
    text = _one_line(forced.output)
    assert "slide 'own': pixel size 0.499 um/px" in text
    assert "replaced by 0.5 um/px (override (--mpp-override))" in text
    assert "slide 'bare': pixel size" not in text  # nothing to replace there
