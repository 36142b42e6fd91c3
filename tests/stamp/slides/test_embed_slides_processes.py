"""``stamp embed-slides`` as processes: SIGKILL mid-run then resume; two gloo ranks under torchrun."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from humanst.slides import TilingSettings
from stamp.slides import SlideFeatureFolder, embed_slides

ROOT = Path(__file__).resolve().parents[3]
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
OPTIONS = {"num_workers": 0, "device": "cpu", "show_progress": False}


def _command(slide_dir: Path, out: Path, *extra: str) -> list[str]:
    return ["-m", "stamp.cli", "embed-slides", str(slide_dir), "--encoder", "vit-tiny-test", "--out", str(out),
            "--device", "cpu", *extra]  # fmt: skip


def test_killed_run_resumes_and_every_slide_is_embedded_once(slide_dir, tmp_path):
    out = tmp_path / "feats"
    folder = out / "224px-0.5um" / "vit-tiny-test"
    with (tmp_path / "log.txt").open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, *_command(slide_dir, out, "--num-workers", "1")],
            stdout=log, stderr=subprocess.STDOUT, env=ENV, start_new_session=True,
        )  # fmt: skip
    deadline = time.monotonic() + 300
    while proc.poll() is None and time.monotonic() < deadline and not list(folder.glob("*.safetensors")):
        time.sleep(0.005)
    os.killpg(proc.pid, signal.SIGKILL)  # the run and its reader worker, mid-run
    proc.wait()
    before = {p.name[: -len(".safetensors")]: p.stat().st_mtime_ns for p in folder.glob("*.safetensors")}
    assert 1 <= len(before) < 4, (tmp_path / "log.txt").read_text()[-2000:]
    rerun = embed_slides([slide_dir], "vit-tiny-test", out=out, **OPTIONS)
    assert sorted(rerun.skipped) == sorted(before)
    assert sorted(rerun.embedded) == sorted(set("abcd") - set(before))  # each slide embedded by exactly one run
    store = SlideFeatureFolder(folder)
    assert store.slide_ids() == ["a", "b", "c", "d"]
    assert {s: store.path(s).stat().st_mtime_ns for s in before} == before
    assert not [p for p in folder.rglob(".*") if "tmp-" in p.name]  # the killed run's temporaries are gone
    for slide_id in "abcd":
        feats = store.load(slide_id)
        assert len(feats) == feats.provenance["slide"]["n_tiles"] > 50
        assert store.h5_path(slide_id).is_file()


@pytest.mark.slow  # ~20 s (two torchrun ranks), `make test-all`
def test_two_gloo_ranks_split_the_slides_and_equal_one_process(slide_dir, tmp_path):
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           *_command(slide_dir, tmp_path / "ddp", "--num-workers", "0", "--max-tiles", "12")]  # fmt: skip
    done = subprocess.run(cmd, cwd=tmp_path, env=ENV, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    ddp = SlideFeatureFolder(tmp_path / "ddp" / "224px-0.5um" / "vit-tiny-test")
    report = ddp.report()
    assert report["world_size"] == 2
    assert {s: v["rank"] for s, v in report["slides"].items()} == {"a": 0, "b": 1, "c": 0, "d": 1}
    assert all(v["status"] == "embedded" for v in report["slides"].values())
    assert sorted(json.loads((ddp.folder / "cache.json").read_text())["samples"]) == ["a", "b", "c", "d"]
    single = embed_slides([slide_dir], "vit-tiny-test", out=tmp_path / "one", tiling=TilingSettings(max_tiles=12),
                          **OPTIONS)  # fmt: skip
    one = SlideFeatureFolder(single.folder)
    for slide_id in "abcd":
        a, b = ddp.load(slide_id), one.load(slide_id)
        np.testing.assert_array_equal(a.coords_px, b.coords_px)
        np.testing.assert_allclose(a.features, b.features, atol=1e-5)
        assert a.provenance["settings_hash"] == b.provenance["settings_hash"]
