"""``humanst score ATLAS`` swaps each store in: rescored tables, untouched images, and a kill never leaves a store
that a rebuild would skip as finished."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from humanst.store import Atlas, pathway_column, rescore_store, validate_atlas, validate_store

from .conftest import BuiltAtlas, build

TIMEOUT_S = 300


@pytest.fixture
def atlas_copy(built: BuiltAtlas, tmp_path: Path) -> Atlas:
    target = tmp_path / "atlas"
    shutil.copytree(built.atlas, target, symlinks=True)
    return Atlas(target)


def test_rescore_writes_new_scores_and_keeps_the_image(atlas_copy: Atlas):
    sample = "t-visium"
    image_chunks = sorted(p for p in (atlas_copy.store_path(sample) / "images").rglob("*") if p.is_file())
    before_table = atlas_copy.read_table(sample)
    assert pathway_column("reactome") not in before_table.obsm
    n_obs, results = rescore_store(
        atlas_copy, sample, ["hallmark", "reactome"], method="mean_z", background=None, min_coverage=0.5
    )
    assert n_obs == before_table.n_obs
    assert [r.collection for r in results] == ["hallmark", "reactome"]
    after = atlas_copy.read_table(sample)
    np.testing.assert_allclose(after.obsm[pathway_column("reactome")], results[1].scores, equal_nan=True)
    np.testing.assert_allclose(
        after.obsm[pathway_column("hallmark")], before_table.obsm[pathway_column("hallmark")], rtol=1e-5, equal_nan=True
    )
    record = atlas_copy.record(sample)
    assert record is not None
    assert validate_store(atlas_copy.store_path(sample), sample, input_hash=record.input_hash).problems == []
    after_chunks = sorted(p for p in (atlas_copy.store_path(sample) / "images").rglob("*") if p.is_file())
    assert [p.relative_to(atlas_copy.store_path(sample)) for p in after_chunks] == [
        p.relative_to(atlas_copy.store_path(sample)) for p in image_chunks
    ]
    leftovers = [p.name for p in atlas_copy.samples_dir.iterdir() if p.name.startswith(".")]
    assert leftovers == [], "the staged copy and the old store are gone"


def _score_process(atlas: Path, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-c", "from humanst.cli import main; main()", "score", str(atlas),
               "--gene-sets", "hallmark,reactome"]  # fmt: skip
    with log.open("ab") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def _kill_when_staging(proc: subprocess.Popen[bytes], atlas: Atlas) -> bool:
    deadline = time.monotonic() + TIMEOUT_S
    while proc.poll() is None and time.monotonic() < deadline:
        if any(".rescore-" in p.name for p in atlas.samples_dir.iterdir()):
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.002)
    return False


def test_a_kill_while_rescoring_leaves_valid_stores_and_a_rebuild_finishes(
    atlas_copy: Atlas, built: BuiltAtlas, tmp_path: Path
):
    log = tmp_path / "score.log"
    proc = _score_process(atlas_copy.root, log)
    assert _kill_when_staging(proc, atlas_copy), log.read_text()[-3000:]
    # every visible store is the old one or the new one, complete; nothing half-written is visible
    for record in atlas_copy.records():
        store = atlas_copy.store_path(record.sample_id)
        if record.finished and store.is_dir():
            check = validate_store(store, record.sample_id, input_hash=record.input_hash)
            assert check.problems == [], check.problems
    # a kill between the two renames of the swap leaves the store missing: the next build must rebuild it
    missing = "t-hest"
    shutil.rmtree(atlas_copy.store_path(missing))
    report = build(built.manifest_path, built.raw, atlas_copy.root)
    statuses = {o.sample_id: o.status for o in report.outcomes}
    assert statuses[missing] == "built", statuses
    assert not report.failed
    assert validate_atlas(atlas_copy.root) == ([], len(statuses))
    # and a rerun of the rescoring finishes and leaves no staged copy behind
    done = _score_process(atlas_copy.root, log)
    assert done.wait(timeout=TIMEOUT_S) == 0, log.read_text()[-3000:]
    assert not [p for p in atlas_copy.samples_dir.iterdir() if p.name.startswith(".")]
    assert validate_atlas(atlas_copy.root) == ([], len(statuses))
