"""`stamp-bench report` end to end on the demo atlas: files, summary, and the page checked in headless Chromium."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from benchmarks.cache import write_cache_info, write_embeddings
from benchmarks.cli import app
from benchmarks.spot.runner import evaluate_cache
from humanst.store.atlas import Atlas
from stamp.run_dir import RunFiles
from stamp.train.metrics_log import MetricsLog
from stamp.train.verdict import Check, verdict_json
from tests.conftest import run_info_json

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
INSTALL = "sudo apt-get install -y chromium (or `make chromium`)"
ADAPTER = "a1b2c3d4e5f6"
NAMED = "HALLMARK_OXIDATIVE_PHOSPHORYLATION"
PROBE = """<script>
window.addEventListener('load', function () {
  var images = Array.prototype.map.call(document.images, function (i) {
    return i.getAttribute('src') + '=' + i.naturalWidth; });
  document.body.setAttribute('data-images', images.join('|'));
  var tables = Array.prototype.map.call(document.querySelectorAll('table'), function (t) {
    return t.id + '=' + t.tBodies[0].rows.length; });
  document.body.setAttribute('data-tables', tables.join('|'));
});
</script>"""


@pytest.fixture(scope="module")
def aligned(prepared, tmp_path_factory):
    """An 'aligned' entry: informative embeddings in a cache carrying an adapter hash, scored into its own folder."""
    rng = np.random.default_rng(1)
    data = prepared.data
    _, scores = data.pathways["hallmark"]
    z = (scores - scores.mean(0)) / scores.std(0)
    x = np.hstack([z + rng.normal(size=z.shape), rng.normal(size=(z.shape[0], 20))]).astype(np.float32)
    cache = tmp_path_factory.mktemp("emb") / f"vit-tiny-test+{ADAPTER}"
    meta = {"encoder": "vit-tiny-test", "adapter_hash": ADAPTER, "weights": "random"}
    for sample in sorted(set(data.sample_ids.tolist())):
        rows = np.flatnonzero(data.sample_ids == sample)
        write_embeddings(cache, sample, data.spot_ids[rows].tolist(), x[rows], {**meta, "content_hash": sample})
    write_cache_info(cache, embed_dim=x.shape[1], **meta)
    out = tmp_path_factory.mktemp("aligned")
    evaluate_cache(prepared, cache, kind="model", out=out)
    return out


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    """A run folder as `stamp fit` leaves it: run.json, config.yaml, metrics.csv (written by stamp's own logger)."""
    run = tmp_path_factory.mktemp("run")
    log = MetricsLog(run, tensorboard=False)
    for step in range(10, 60, 10):
        values = {"loss": 4.0 - step / 50, "loss_con": 3.0, "loss_reg": 1.0 - step / 100}
        log.log(step, {**values, "temperature": 0.07, "lr": 1e-3, "patches_per_s": 90.0})
    log.close()
    fields = {"adapter_hash": ADAPTER, "encoder": "vit-tiny-test", "train_patients": ["synth-breast:P1"], "wall_s": 3.0}
    checks = [
        Check("moved", "Did the encoder move?", "1 - CKA", value=0.02, rule="above 0.01", passed=True),
        Check("beat_base", "Did it beat its base?", "val r, B - A", a_label="base", a=0.1, b_label="kept", b=0.15,
              value=0.05, ci_low=-0.01, ci_high=0.11, rule="lower end above 0", passed=False, resampled="tiles"),
    ]  # fmt: skip
    info = run_info_json(**fields, verdict=verdict_json(checks, None))
    (run / RunFiles.INFO).write_text(json.dumps(info))
    (run / RunFiles.CONFIG).write_text("encoder: vit-tiny-test\noptim:\n  steps: 50\n")
    return run, info


@pytest.fixture(scope="module")
def report(demo_results, aligned, run_folder, demo_atlas, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "report"
    args = [str(demo_results), str(aligned), "--out", str(out), "--atlas", str(demo_atlas)]
    args += ["--run", str(run_folder[0]), "--pathway", NAMED, "--n-boot", "200"]
    done = CliRunner().invoke(app, ["report", *args])
    assert done.exit_code == 0, done.output
    return out, done.output


def test_the_summary_names_the_named_programme_for_base_and_aligned_per_patient(report):
    _, output = report
    flat = " ".join(output.split())  # rich wraps long lines
    line = flat[flat.index(NAMED) :].split(" HALLMARK_")[0]
    # the demo holds out 2 patients: fewer than the task's 5, so values per patient and no interval
    assert "no interval over patients" in flat
    assert re.search(r"A r = -?\d\.\d{3} \(per patient -?\d\.\d{3}, -?\d\.\d{3}; no CI\)", line)
    assert re.search(r"B r = -?\d\.\d{3} \(per patient", line)
    assert "B - A = " in line
    assert "A = vit-tiny-test, B = vit-tiny-test+" + ADAPTER in output
    assert "index.html" in output
    assert "moved yes, beat_base no" in flat  # the run's own verdict, from its run.json


def test_every_figure_is_a_png_beside_the_page_and_nothing_is_external(report):
    out, _ = report
    page = (out / "index.html").read_text()
    sources = re.findall(r'<img src="([^"]+)"', page)
    assert len(sources) == 5  # gains, one map per held-out sample (3), training curves
    for src in sources:
        assert (out / src).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", page)
    assert "<script" not in page
    verdict = re.search(r'<table id="verdict">.*?</table>', page, re.S).group(0)
    gain = re.search(r"<tr><td>demo-spot \(1\)</td><td>[^<]*</td><td>pathways:hallmark .*?</tr>", verdict, re.S)
    assert gain is not None
    # 2 held-out patients: the paired interval within their tissue (compare's), and the per-patient values
    interval = r"[+-]\d\.\d{3} \[[+-]\d\.\d{3}, [+-]\d\.\d{3}\] within these patients&#x27; tissue"
    assert re.search(interval, gain.group(0))


def _dump(page: Path) -> dict[str, dict[str, int]]:
    if CHROMIUM is None:
        pytest.fail(f"headless Chromium is needed to check the report page; install it with: {INSTALL}")
    probe = page.with_name("probe.html")
    probe.write_text(page.read_text().replace("</body>", PROBE + "</body>"))
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", probe.as_uri()]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    probe.unlink()
    assert done.returncode == 0, done.stderr[-2000:]
    found = {}
    for key in ("images", "tables"):
        text = re.search(rf'data-{key}="([^"]*)"', done.stdout).group(1)
        found[key] = {k: int(v) for k, v in (item.rsplit("=", 1) for item in text.split("|"))}
    return found


def test_chromium_loads_every_image_and_every_table_has_its_rows(
    report, prepared, demo_atlas, demo_results, run_folder
):
    out, _ = report
    found = _dump(out / "index.html")
    assert len(found["images"]) == 5
    assert all(width > 0 for width in found["images"].values()), found["images"]
    tables = found["tables"]
    n_results = len(list(demo_results.glob("*.json"))) + 1
    n_pathways = len(prepared.data.pathways["hallmark"][0])
    assert tables["results-0"] == n_results == 4
    assert tables["compare-0-0"] == 4  # pathways, random sets, genes, and the pathway - random gap
    assert 3 <= tables["summary-0"] <= 5  # the named pathway, the 2 best and 2 worst gains (when distinct)
    assert tables["gains-0-0-0"] == n_pathways
    assert tables["result-cards"] == n_results
    assert tables["build"] == len(Atlas.open(demo_atlas).records())
    assert tables[f"run-{ADAPTER}"] == len(run_folder[1]) + 1  # every run.json field, and the folder
    assert tables["verdict-runs"] == 2  # the run's own verdict rows, from its run.json
    broken = out.parent / "broken"
    shutil.copytree(out, broken)
    next(broken.glob("*maps*.png")).unlink()
    assert sorted(_dump(broken / "index.html")["images"].values())[0] == 0  # the check does see a missing image


def test_bad_inputs_are_one_clear_line(report, demo_results, tmp_path):
    done = CliRunner().invoke(app, ["report", str(tmp_path / "nowhere"), "--out", str(tmp_path / "r")])
    assert done.exit_code == 1
    assert "no such result file or folder" in done.output
    args = ["report", str(demo_results), "--out", str(tmp_path / "r"), "--pathway", "HALLMARK_OXIDATIVE_PHOSPHORYLATON"]
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 1, done.output
    assert "did you mean" in done.output
    assert "'HALLMARK_OXIDATIVE_PHOSPHORYLATION'" in done.output
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "keep.txt").write_text("mine")
    done = CliRunner().invoke(app, ["report", str(demo_results), "--out", str(tmp_path / "busy")])
    assert done.exit_code == 1
    assert "not a report folder" in done.output
    assert (tmp_path / "busy" / "keep.txt").read_text() == "mine"
