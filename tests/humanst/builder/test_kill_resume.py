"""``humanst build`` killed (SIGKILL) at random points: what it committed is always valid, and a rerun finishes."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from humanst.store import Atlas, read_record
from humanst.store.validate import validate_atlas, validate_store

from .conftest import build_atlas, read_table, sample_dict, write_manifest

FINAL_TIMEOUT_S = 300
# Kill points are events the build shows on disk (a temp store, a temp part, a record, the dataset being written),
# taken in a seeded random order and at a seeded random occurrence: where the kill lands does not depend on how
# fast this machine is.
KILL_EVENTS = ("store being written", "part being written", "record written", "dataset being written")


def _manifest(raw_samples: dict[str, Any], path: Path) -> tuple[Path, list[str]]:
    samples = [
        sample_dict(f"kill-{platform.replace('_', '-')}", platform, [{"path": str(written.data_path)}])
        for platform, written in sorted(raw_samples.items())
    ]
    return write_manifest(path, samples), [s["id"] for s in samples]


def _start(manifest: Path, atlas: Path, *, workers: int, force: bool, log: Path) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-c", "from humanst.cli import main; main()", "build", str(manifest), "--out", str(atlas),
        "--data-root", str(manifest.parent), "--cache", str(manifest.parent / "cache"), "--workers", str(workers),
        "--allow-absolute-paths",
    ]  # fmt: skip
    if force:
        command.append("--force")
    with log.open("ab") as out:  # the child keeps its own descriptor
        # A session of its own: the kill reaches the worker processes too (by the group id of this child only).
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def _part_spot_ids(atlas: Path, sample_id: str) -> list[str] | None:
    import pyarrow.parquet as pq

    part, genes = Atlas(atlas).part_paths(sample_id)
    if not part.is_file() or not genes.is_file():
        return None
    return pq.read_table(part, columns=["spot_id"]).column("spot_id").to_pylist()


def _check_committed(atlas: Path, ids: list[str]) -> int:
    """Every record saying 'built' vouches for a valid store and part; nothing else looks like a store."""
    n_built = 0
    records = atlas / "records"
    for path in sorted(records.glob("*.json")) if records.is_dir() else []:
        record = read_record(path)
        assert record is not None, f"unreadable record {path}"
        if record.status != "built":
            continue
        store = atlas / "samples" / f"{record.sample_id}.zarr"
        problems, n_obs, spot_ids, _ = validate_store(store, record.sample_id, input_hash=record.input_hash)
        assert problems == []
        assert n_obs == record.spots_kept
        assert _part_spot_ids(atlas, record.sample_id) == spot_ids
        n_built += 1
    samples = atlas / "samples"
    visible = sorted(p.name for p in samples.iterdir() if not p.name.startswith(".")) if samples.is_dir() else []
    assert set(visible) <= {f"{i}.zarr" for i in ids}, visible  # temp stores are hidden names, never '<id>.zarr'
    return n_built


def _check_final(atlas: Path, ids: list[str]) -> None:
    import json

    from datasets import load_from_disk

    problems, n_checked = validate_atlas(atlas)
    assert problems == []
    assert n_checked == len(ids)
    assert sorted(json.loads((atlas / "hf" / "humanst.json").read_text())["samples"]) == sorted(ids)
    dataset = load_from_disk(str(atlas / "hf"))
    spots = {i: read_table(atlas / "samples" / f"{i}.zarr").n_obs for i in ids}
    assert len(dataset) == sum(spots.values())
    column = dataset.data.table.column("sample_id").to_pylist()
    assert {i: column.count(i) for i in ids} == spots


def _event_seen(atlas: Path, event: str, since_ns: int) -> set[str]:
    """What on disk shows ``event`` now (names of temp stores/parts, records written since ``since_ns``)."""
    if event == "store being written":
        return {p.name for p in _listing(atlas / "samples") if p.name.startswith(".") and p.suffix == ".zarr"}
    if event == "part being written":
        return {p.name for p in _listing(atlas / "parts") if p.name.startswith(".")}
    if event == "record written":
        return {p.name for p in _listing(atlas / "records") if p.stat().st_mtime_ns > since_ns}
    return {p.name for p in _listing(atlas) if p.name.startswith(".hf.")}


def _listing(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except FileNotFoundError:
        return []


def _kill_at(proc: subprocess.Popen[bytes], atlas: Path, event: str, nth: int) -> bool:
    """SIGKILL the build's process group when ``event`` has been seen ``nth`` times; whether it was still running."""
    since = time.time_ns()
    seen: set[str] = set()
    deadline = time.monotonic() + FINAL_TIMEOUT_S
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            seen |= _event_seen(atlas, event, since)
        except FileNotFoundError:  # a file renamed away between listing and stat
            continue
        if len(seen) >= nth:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.002)
    return False


def _kill_and_resume(
    raw_samples: dict[str, Any], tmp_path: Path, *, kills: list[tuple[str, int]], workers: int, force_every: int
) -> None:
    manifest, ids = _manifest(raw_samples, tmp_path / "manifest.yaml")
    atlas, log = tmp_path / "atlas", tmp_path / "build.log"
    killed = 0
    for i, (event, nth) in enumerate(kills):
        force = force_every > 0 and i % force_every == force_every - 1  # rewrite committed samples too
        proc = _start(manifest, atlas, workers=workers, force=force, log=log)
        killed += _kill_at(proc, atlas, event, nth)
        if proc.returncode not in (0, -signal.SIGKILL):
            pytest.fail(f"build exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        _check_committed(atlas, ids)
    assert killed >= 1
    proc = _start(manifest, atlas, workers=workers, force=False, log=log)
    assert proc.wait(timeout=FINAL_TIMEOUT_S) == 0, log.read_text()[-3000:]
    assert _check_committed(atlas, ids) == len(ids)
    _check_final(atlas, ids)


def _kill_when(proc: subprocess.Popen[bytes], seen: Any, *, timeout_s: float = FINAL_TIMEOUT_S) -> bool:
    """SIGKILL the build's process group as soon as ``seen()`` is true; return whether it was still running."""
    deadline = time.monotonic() + timeout_s
    while proc.poll() is None and time.monotonic() < deadline:
        if seen():
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.005)
    return False


def _hidden(folder: Path, pattern: str) -> bool:
    return folder.is_dir() and any(p.name.startswith(".") for p in folder.glob(pattern))


def test_two_kills_mid_write_then_resume(raw_samples: dict[str, Any], tmp_path: Path) -> None:
    """Killed while a store is written, then while a part is written (after the store's rename): both recover."""
    manifest, ids = _manifest(raw_samples, tmp_path / "manifest.yaml")
    atlas, log = tmp_path / "atlas", tmp_path / "build.log"
    proc = _start(manifest, atlas, workers=1, force=False, log=log)
    assert _kill_when(proc, lambda: _hidden(atlas / "samples", "*.zarr")), log.read_text()[-3000:]
    assert _check_committed(atlas, ids) == 0
    proc = _start(manifest, atlas, workers=1, force=False, log=log)
    assert _kill_when(proc, lambda: _hidden(atlas / "parts", "*.tmp-*")), log.read_text()[-3000:]
    _check_committed(atlas, ids)
    uncommitted = [i for i in ids if (atlas / "samples" / f"{i}.zarr").is_dir() and read_record(
        atlas / "records" / f"{i}.json") is None]  # fmt: skip
    assert uncommitted, "the second kill should land after a store was renamed into place, before its record"
    proc = _start(manifest, atlas, workers=1, force=False, log=log)
    assert proc.wait(timeout=FINAL_TIMEOUT_S) == 0, log.read_text()[-3000:]
    assert _check_committed(atlas, ids) == len(ids)
    _check_final(atlas, ids)


@pytest.mark.parametrize(
    ("seed", "workers"), [pytest.param(11, 1, marks=pytest.mark.slow), pytest.param(12, 2, marks=pytest.mark.slow)]
)  # six random kills (~55 s each): `make test-all`; `make test` keeps the two kills mid-write below
def test_random_kills_then_resume(raw_samples: dict[str, Any], tmp_path: Path, seed: int, workers: int) -> None:
    rng = random.Random(seed)
    kills = [(rng.choice(KILL_EVENTS), rng.randint(1, len(raw_samples))) for _ in range(6)]
    _kill_and_resume(raw_samples, tmp_path, kills=kills, workers=workers, force_every=3)


def test_interrupted_rebuild_leaves_no_stale_built_record(
    raw_samples: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import humanst.store.patch_parts as patch_parts

    manifest, ids = _manifest({"hest": raw_samples["hest"]}, tmp_path / "manifest.yaml")
    atlas = tmp_path / "atlas"
    (first,) = build_atlas(manifest, atlas, data_root=tmp_path, cache_dir=tmp_path / "cache").outcomes
    assert first.status == "built"
    totals = read_table(atlas / "samples" / f"{ids[0]}.zarr").obs["total_counts"]
    min_counts = int(totals.median())  # the rebuild drops about half the spots

    def killed(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # as a kill between the store and the part: nothing after it runs

    monkeypatch.setattr(patch_parts, "write_part", killed)
    with pytest.raises(KeyboardInterrupt):
        build_atlas(manifest, atlas, data_root=tmp_path, cache_dir=tmp_path / "cache", min_counts=min_counts)
    monkeypatch.undo()
    _check_committed(atlas, ids)


def test_interrupted_rebuild_is_repaired_by_a_rerun(
    raw_samples: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import humanst.store.patch_parts as patch_parts

    manifest, ids = _manifest({"hest": raw_samples["hest"]}, tmp_path / "manifest.yaml")
    atlas, cache = tmp_path / "atlas", tmp_path / "cache"
    build_atlas(manifest, atlas, data_root=tmp_path, cache_dir=cache)
    monkeypatch.setattr(patch_parts, "write_part", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        build_atlas(manifest, atlas, data_root=tmp_path, cache_dir=cache, min_counts=2000)
    monkeypatch.undo()
    (outcome,) = build_atlas(manifest, atlas, data_root=tmp_path, cache_dir=cache, min_counts=2000).outcomes
    assert outcome.status == "built", outcome.error
    assert _check_committed(atlas, ids) == 1
    assert validate_atlas(atlas) == ([], 1)
