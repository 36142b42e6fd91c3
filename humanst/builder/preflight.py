"""Checks of the output folder before the first sample runs: writable, and enough free space.

A read-only atlas folder used to fail after each sample was fully computed, with a long traceback; a full
disk failed in the middle of a store. Both are now one line before any work starts. Write errors that still
happen later (a disk filling up during the build) are turned into one line naming the path by
:func:`write_error`.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from humanst.atomic import probe_writable
from humanst.builder.lock import LockHolder, atlas_lock
from humanst.builder.task import SampleTask
from humanst.errors import AtlasError, FetchError
from humanst.store.atlas import Atlas

__all__ = ["SPACE_FACTOR", "build_guard", "check_output", "estimate_bytes", "write_error"]

SPACE_FACTOR = 1.5  # stores + patch parts + the dataset take about 1.5x a sample's raw inputs (demo and HEST data)
MIN_FREE_BYTES = 64 << 20


def write_error(atlas: Atlas, exc: OSError) -> AtlasError:
    """One line for an ``OSError`` while writing into the atlas: the path, the cause, what to do."""
    where = exc.filename or atlas.root
    cause = exc.strerror or type(exc).__name__
    msg = (
        f"atlas '{atlas.root}': cannot write '{where}' ({cause}); "
        "check the folder's permissions and free space, or choose another --out"
    )
    return AtlasError(msg)


def _local_bytes(task: SampleTask, path: str) -> int:
    """Bytes of a local input, counted only when it resolves inside the data root and within the folder bounds."""
    from humanst.fetch import measure_local

    try:
        found = measure_local(
            path, data_root=task.data_root, sample_id=task.entry.id, allow_absolute=task.allow_absolute_paths
        )
    except FetchError:
        return 0  # the sample fails with this error when it runs; the others go on
    return found.bytes


def estimate_bytes(tasks: Sequence[SampleTask]) -> int:
    """Bytes the samples still to build will write: SPACE_FACTOR x their inputs (manifest sizes or local files)."""
    total = 0
    for task in tasks:
        record = task.atlas.record(task.entry.id)
        if record is not None and record.finished and not task.force:
            continue  # probably unchanged: skipped without writing
        for spec in task.entry.files:
            if spec.size is not None:
                total += spec.size
            elif spec.path is not None:
                total += _local_bytes(task, spec.path)
    return int(total * SPACE_FACTOR)


def check_output(atlas: Atlas, tasks: Sequence[SampleTask]) -> None:
    """Make the atlas folders and check they are writable and the disk has room for the samples to build.

    Raises
    ------
    AtlasError
        A folder cannot be created or written, or the free space is below the estimate; one line each.
    """
    for folder in (atlas.root, atlas.samples_dir, atlas.parts_dir, atlas.records_dir):
        try:
            probe_writable(folder)
        except OSError as exc:
            raise write_error(atlas, exc) from exc
    need = max(estimate_bytes(tasks), MIN_FREE_BYTES)
    free = shutil.disk_usage(atlas.root).free
    if free < need:
        msg = (
            f"atlas '{atlas.root}': {_gb(free)} free on its disk, the samples to build need about {_gb(need)} "
            f"({SPACE_FACTOR:g}x their inputs); free some space or choose another --out"
        )
        raise AtlasError(msg)


@contextmanager
def build_guard(atlas: Atlas, tasks: Sequence[SampleTask], *, command: str) -> Iterator[LockHolder | None]:
    """Check the output folder, then hold the atlas lock for the ``with`` block; yield the stale holder replaced.

    Raises
    ------
    AtlasError
        Not writable, too full, or locked by another live build (:class:`AtlasLockedError`); one line each.
    """
    check_output(atlas, tasks)
    try:
        lock = atlas_lock(atlas, command=command)
        stale = lock.__enter__()
    except OSError as exc:
        raise write_error(atlas, exc) from exc
    try:
        yield stale
    finally:
        lock.__exit__(None, None, None)


def _gb(n: int) -> str:
    return f"{n / 1e9:.2f} GB"
