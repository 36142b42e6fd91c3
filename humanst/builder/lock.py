"""The atlas lock: one process at a time writes into an atlas (``humanst build``, ``humanst score ATLAS``).

An OS lock (``fcntl.flock``) on ``Atlas.lock_path`` (``ATLAS/.build.lock``): the kernel releases it when the
holder dies, however it dies (``kill -9`` included), so a crashed build never blocks the next one. The file
also holds the holder's pid, host, command and start time, so a refused build says who holds the atlas; a
leftover description with no lock behind it is a stale lock from a build that died, reported and replaced.
The file is emptied on release, never deleted (deleting a lock file lets two processes lock two different
files of the same name).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from humanst.errors import AtlasError
from humanst.store.atlas import Atlas

__all__ = ["AtlasLockedError", "LockHolder", "atlas_lock"]


class AtlasLockedError(AtlasError):
    """Another process holds the atlas lock."""


@dataclass(frozen=True)
class LockHolder:
    """Who holds (or held) an atlas lock."""

    pid: int
    host: str
    command: str
    started: str

    @classmethod
    def me(cls, command: str) -> LockHolder:
        """Describe the calling process."""
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        return cls(os.getpid(), socket.gethostname(), command, now)

    @classmethod
    def parse(cls, text: str) -> LockHolder | None:
        """Read a lock file's description; ``None`` when empty or unreadable."""
        try:
            doc: dict[str, Any] = json.loads(text)
            return cls(int(doc["pid"]), str(doc["host"]), str(doc["command"]), str(doc["started"]))
        except (ValueError, KeyError, TypeError):
            return None

    def describe(self) -> str:
        """``pid N on HOST (`command`, since T)``."""
        return f"pid {self.pid} on {self.host} (`{self.command}`, since {self.started})"


def _read(fd: int) -> str:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    return b"".join(chunks).decode("utf-8", errors="replace")


@contextmanager
def atlas_lock(atlas: Atlas, *, command: str | None = None) -> Iterator[LockHolder | None]:
    """Hold the atlas lock for the ``with`` block; yield the stale holder it replaced (``None`` if none).

    Raises
    ------
    AtlasLockedError
        Another live process holds the lock; the message names it.
    OSError
        The atlas folder cannot be created or the lock file cannot be opened (e.g. a read-only folder).
    """
    import fcntl  # POSIX only, as the process pools and the build itself

    atlas.root.mkdir(parents=True, exist_ok=True)
    fd = os.open(atlas.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = LockHolder.parse(_read(fd))
            who = holder.describe() if holder else "another process"
            msg = (
                f"atlas '{atlas.root}': {who} is writing into it; wait for it to finish (its lock is released when "
                "it ends, killed or not), or use another --out"
            )
            raise AtlasLockedError(msg) from None
        stale = LockHolder.parse(_read(fd))  # a description with no lock behind it: its holder died
        me = LockHolder.me(command or " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]))
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, json.dumps(me.__dict__).encode())
        os.fsync(fd)
        try:
            yield stale
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
