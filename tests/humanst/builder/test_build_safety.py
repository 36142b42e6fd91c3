"""Build safety: the atlas lock, workers that die with the build, clear lines for unwritable or full output folders."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from humanst.builder.lock import AtlasLockedError, LockHolder, atlas_lock
from humanst.cli import app
from humanst.store import Atlas
from humanst.store.validate import validate_atlas

from .conftest import build_atlas, copy_sample, sample_dict, write_manifest

TIMEOUT_S = 300


def _manifest(raw_samples: dict[str, Any], tmp_path: Path, prefix: str = "safe") -> tuple[Path, list[str]]:
    samples = [
        sample_dict(f"{prefix}-{platform.replace('_', '-')}", platform, [{"path": str(written.data_path)}])
        for platform, written in sorted(raw_samples.items())
    ]
    return write_manifest(tmp_path / "manifest.yaml", samples), [s["id"] for s in samples]


def _start(manifest: Path, atlas: Path, *, workers: int, log: Path) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-c", "from humanst.cli import main; main()", "build", str(manifest), "--out", str(atlas),
        "--data-root", str(manifest.parent), "--cache", str(manifest.parent / "cache"), "--workers", str(workers),
        "--allow-absolute-paths",
    ]  # fmt: skip
    with log.open("ab") as out:  # a session of its own: its process group id is its pid
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def _alive_in_group(pgid: int) -> list[str]:
    """Processes of a process group that still run (zombies, already dead and only waiting to be reaped, excluded)."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            alive.append(f"{stat.parent.name} {text.split(' ', 1)[1].rsplit(')', 1)[0]})")
    return alive


def _wait_for(what: Any, timeout_s: float = TIMEOUT_S) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if what():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="lists processes through /proc (Linux)")
def test_kill_9_of_a_pool_build_leaves_no_process_of_its_group(raw_samples: dict[str, Any], tmp_path: Path) -> None:
    manifest, _ = _manifest(raw_samples, tmp_path)
    atlas, log = tmp_path / "atlas", tmp_path / "build.log"
    proc = _start(manifest, atlas, workers=2, log=log)
    try:
        # parent + 2 workers (+ the resource tracker), and a worker writing a store: the pool is busy
        busy = _wait_for(lambda: len(_alive_in_group(proc.pid)) >= 3 and any(
            p.name.startswith(".") for p in (atlas / "samples").glob("*.zarr")))  # fmt: skip
        assert busy, log.read_text()[-3000:]
        os.kill(proc.pid, signal.SIGKILL)  # the build only, as `kill -9 <pid>` does: not its group
        proc.wait()
        left = _wait_for(lambda: not _alive_in_group(proc.pid), timeout_s=30)
        assert left, f"still running after the build was killed: {_alive_in_group(proc.pid)}"
    finally:
        if _alive_in_group(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)


def test_a_second_build_into_a_locked_atlas_is_refused_while_the_first_finishes_valid(
    raw_samples: dict[str, Any], tmp_path: Path
) -> None:
    manifest, ids = _manifest(raw_samples, tmp_path)
    atlas, log = tmp_path / "atlas", tmp_path / "first.log"
    first = _start(manifest, atlas, workers=1, log=log)
    lock = Atlas(atlas).lock_path
    assert _wait_for(lambda: lock.is_file() and LockHolder.parse(lock.read_text()) is not None), log.read_text()
    second = subprocess.run(
        [sys.executable, "-c", "from humanst.cli import main; main()", "build", str(manifest), "--out", str(atlas),
         "--data-root", str(tmp_path), "--cache", str(tmp_path / "cache"), "--allow-absolute-paths"],
        capture_output=True, text=True, timeout=TIMEOUT_S, check=False,
    )  # fmt: skip
    assert second.returncode == 1
    errors = [line for line in second.stderr.splitlines() if line.strip()]
    assert len(errors) == 1, second.stderr
    assert f"pid {first.pid}" in errors[0]
    assert "is writing into it" in errors[0]
    assert "Traceback" not in second.stderr + second.stdout
    assert first.wait(timeout=TIMEOUT_S) == 0, log.read_text()[-3000:]
    assert validate_atlas(atlas) == ([], len(ids))
    assert lock.read_text() == ""  # released


def test_the_lock_names_its_holder_and_a_dead_holder_is_stale(tmp_path: Path) -> None:
    atlas = Atlas(tmp_path / "atlas")
    with atlas_lock(atlas, command="humanst build m.yaml") as stale:
        assert stale is None
        with pytest.raises(AtlasLockedError, match=f"pid {os.getpid()} on .*humanst build m.yaml"), atlas_lock(atlas):
            pass
    dead = {"pid": 999999, "host": "elsewhere", "command": "humanst build x.yaml", "started": "2026-01-01T00:00:00"}
    atlas.lock_path.write_text(json.dumps(dead))  # a description with no lock behind it: its build died
    with atlas_lock(atlas) as stale:
        assert stale is not None
        assert stale.pid == 999999
    assert atlas.lock_path.read_text() == ""


def test_a_read_only_atlas_folder_is_one_line_before_any_sample_runs(
    raw_samples: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest, _ = _manifest({"hest": raw_samples["hest"]}, tmp_path)
    atlas = tmp_path / "atlas"
    atlas.mkdir()
    atlas.chmod(0o555)  # read-only for a normal user; root ignores modes, so the write is also refused below
    real_write = Path.write_bytes

    def refuse(self: Path, data: bytes) -> int:
        if self.parent == atlas or atlas in self.parents:
            raise PermissionError(13, "Permission denied", str(self))
        return real_write(self, data)

    monkeypatch.setattr(Path, "write_bytes", refuse)
    try:
        out = CliRunner().invoke(app, ["build", str(manifest), "--out", str(atlas), "--data-root", str(tmp_path),
                                       "--cache", str(tmp_path / "cache"), "--allow-absolute-paths"])  # fmt: skip
    finally:
        atlas.chmod(0o755)
    assert out.exit_code == 1
    assert "Traceback" not in out.output
    error = [line for line in out.output.splitlines() if "error:" in line]
    assert len(error) == 1, out.output
    assert "cannot write" in out.output
    assert "Permission denied" in out.output
    assert not list(atlas.rglob("*.json"))  # nothing was built


def test_too_little_free_space_is_one_line_before_any_sample_runs(
    raw_samples: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from collections import namedtuple

    import humanst.builder.preflight as preflight
    from humanst.errors import AtlasError

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(preflight.shutil, "disk_usage", lambda _: usage(10**9, 10**9 - 1000, 1000))
    manifest, _ = _manifest({"hest": raw_samples["hest"]}, tmp_path)
    with pytest.raises(AtlasError, match=r"0\.00 GB free on its disk, the samples to build need about"):
        build_atlas(manifest, tmp_path / "atlas", data_root=tmp_path, cache_dir=tmp_path / "cache")
    assert not list((tmp_path / "atlas").rglob("*.json"))


def test_a_write_error_of_a_sample_is_one_line_naming_sample_and_path(
    raw_samples: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import humanst.store.sample_zarr as sample_zarr

    def full(path: Path, *args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(sample_zarr, "write_sample_store", full)
    manifest, (sample_id,) = _manifest({"hest": raw_samples["hest"]}, tmp_path)
    (outcome,) = build_atlas(manifest, tmp_path / "atlas", data_root=tmp_path, cache_dir=tmp_path / "cache").outcomes
    assert outcome.status == "failed"
    assert outcome.error.startswith(f"sample '{sample_id}': cannot write '")
    assert f"{sample_id}.zarr' (No space left on device)" in outcome.error
    assert "\n" not in outcome.error


def test_lost_spots_are_shown_by_reason_and_flagged_with_progress_lines_in_a_log(
    raw_samples: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's Visium sample whose positions match only half the barcodes; the output is not a terminal."""
    import pandas as pd

    import humanst.console

    monkeypatch.setattr(humanst.console, "LINE_INTERVAL_S", 0.0)  # a line at every step instead of every 5 s
    half = copy_sample(raw_samples["visium"], tmp_path / "data" / "half-positions")
    positions = half / "spatial" / "tissue_positions.csv"
    table = pd.read_csv(positions)
    tissue = table.index[table["in_tissue"] == 1]
    table.drop(index=tissue[: len(tissue) // 2]).to_csv(positions, index=False)
    samples = [
        sample_dict("half-positions", "visium", [{"path": str(half)}]),
        sample_dict("good-hest", "hest", [{"path": str(raw_samples["hest"].data_path)}]),
    ]
    manifest = write_manifest(tmp_path / "manifest.yaml", samples)
    atlas = tmp_path / "atlas"
    out = CliRunner().invoke(app, ["build", str(manifest), "--out", str(atlas), "--data-root", str(tmp_path),
                                   "--cache", str(tmp_path / "cache"), "--allow-absolute-paths"])  # fmt: skip
    assert out.exit_code == 0, out.output
    text = " ".join(out.output.split())
    assert f"no_position {len(tissue) // 2}" in text  # the reason and its count in the terminal table
    assert "(!)" in text
    lost = re.search(r"warning: sample 'half-positions' lost (\d+)% of its spots \(no_position \d+\)", text)
    assert lost is not None, out.output
    assert 45 <= int(lost.group(1)) <= 55  # half the tissue spots (minus QC's own drops)
    assert "absent from tissue_positions.csv" in text  # the reader's own explanation, in the terminal
    assert "good-hest" in text
    assert "warning: sample 'good-hest'" not in text
    lines = out.output.splitlines()
    assert sum(line.startswith("patches:") for line in lines) >= 2  # progress as plain lines, step by step
    assert any(line.startswith("samples (") and "2/2" in line for line in lines)
    validate = CliRunner().invoke(app, ["validate", str(atlas), "--manifest", str(manifest)])
    assert validate.exit_code == 0, validate.output
    more = write_manifest(tmp_path / "more.yaml", [*samples, sample_dict("never-built", "hest", [{"path": "x"}])])
    validate = CliRunner().invoke(app, ["validate", str(atlas), "--manifest", str(more)])
    assert validate.exit_code == 1
    assert "sample 'never-built' of manifest" in validate.output
    assert "missing from the atlas (never built)" in " ".join(validate.output.split())
    with atlas_lock(Atlas(atlas), command="humanst build elsewhere.yaml"):  # a build holds it: score must not write
        score = CliRunner().invoke(app, ["score", str(atlas), "--gene-sets", "hallmark"])
    assert score.exit_code == 1
    assert "humanst build elsewhere.yaml" in " ".join(score.output.split())
    assert "is writing into it" in " ".join(score.output.split())
