"""Write the synthetic samples of a manifest in their platforms' raw layouts, in parallel, atomically."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from humanst.errors import FormatError, HumanstError
from humanst.manifest.models import AtlasManifest, SampleEntry
from humanst.synth.formats import get_format
from humanst.synth.sample import SynthSample, WrittenSample

__all__ = ["SynthOutcome", "write_sample", "write_synthetic"]


@dataclass(frozen=True)
class SynthOutcome:
    """Result of writing one sample: what was written, or the error that stopped it."""

    sample_id: str
    platform: str
    written: WrittenSample | None
    error: str | None
    seconds: float
    unchanged: bool = False  # the raw files were already there from the same spec: not rewritten


def write_sample(entry: SampleEntry, out_dir: str | Path) -> WrittenSample:
    """Write one manifest entry's synthetic raw files to ``out_dir/<id>/`` (temp folder, renamed when complete)."""
    if entry.synth is None:
        msg = "has no 'synth' block; only synthetic (demo) samples can be generated"
        raise FormatError(msg, sample_id=entry.id)
    out_dir = Path(out_dir)
    final = out_dir / entry.id
    partial = out_dir / f".{entry.id}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        sample = SynthSample.create(entry.id, entry.platform.value, entry.synth)
        written = get_format(entry.platform.value).writer(sample, partial)
    except Exception:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    expected = {Path(f.path) for f in entry.files if f.path is not None}
    produced = Path(entry.id) / written.data_path.relative_to(partial)
    if expected and produced not in expected:
        shutil.rmtree(partial, ignore_errors=True)
        listed = ", ".join(sorted(str(p) for p in expected))
        msg = (
            f"field 'files': the {entry.platform.value} layout is read from '{produced}', "
            f"but the manifest lists {listed}"
        )
        raise FormatError(msg, sample_id=entry.id)
    if final.exists():
        shutil.rmtree(final)
    partial.rename(final)
    return _relocate(written, partial, final)


def _relocate(written: WrittenSample, old: Path, new: Path) -> WrittenSample:
    def move(p: Path) -> Path:
        return new / p.relative_to(old)

    return WrittenSample(
        written.sample_id,
        written.platform,
        new,
        move(written.data_path),
        [move(p) for p in written.files],
        written.n_obs,
        written.n_genes,
        written.um_per_px,
    )


def _timed(entry: SampleEntry, out_dir: Path) -> SynthOutcome:
    from humanst.synth.unchanged import find_unchanged, record_written

    start = time.perf_counter()
    unchanged = find_unchanged(entry, out_dir)
    if unchanged is not None:
        seconds = time.perf_counter() - start
        return SynthOutcome(entry.id, entry.platform.value, unchanged, None, seconds, unchanged=True)
    try:
        written = write_sample(entry, out_dir)
        record_written(entry, out_dir, written)
    except HumanstError as exc:
        return SynthOutcome(entry.id, entry.platform.value, None, str(exc), time.perf_counter() - start)
    except Exception as exc:  # noqa: BLE001  (one bad sample must not stop the others; the error is reported)
        text = f"sample '{entry.id}': {type(exc).__name__}: {exc}"
        return SynthOutcome(entry.id, entry.platform.value, None, text, time.perf_counter() - start)
    return SynthOutcome(entry.id, entry.platform.value, written, None, time.perf_counter() - start)


def write_synthetic(
    manifest: AtlasManifest,
    out_dir: str | Path,
    *,
    sample_ids: Sequence[str] | None = None,
    workers: int = 2,
    on_done: Callable[[SynthOutcome], None] | None = None,
) -> list[SynthOutcome]:
    """Write every synthetic sample of ``manifest`` (or those in ``sample_ids``); failures are reported, not raised."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    entries = [manifest.sample(s) for s in sample_ids] if sample_ids else list(manifest.samples)
    outcomes: dict[str, SynthOutcome] = {}
    if workers <= 1 or len(entries) <= 1:
        for entry in entries:
            outcomes[entry.id] = _timed(entry, out_dir)
            if on_done is not None:
                on_done(outcomes[entry.id])
    else:
        from humanst.builder.workers import die_with_parent

        with ProcessPoolExecutor(max_workers=workers, initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
            futures = [pool.submit(_timed, entry, out_dir) for entry in entries]
            for future in as_completed(futures):
                outcome = future.result()
                outcomes[outcome.sample_id] = outcome
                if on_done is not None:
                    on_done(outcome)
    return [outcomes[e.id] for e in entries]
