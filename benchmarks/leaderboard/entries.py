"""Leaderboard entries: what the evaluator accepted, keyed by submission id, never overwritten or deleted.

::

    LEADERBOARD/
      entries/<submission id>.json   the evaluator's record: name, version, submitter, verified or
                                     self-reported and how, the checks passed, sha256 of the result file
      results/<submission id>.json   the result file as accepted (the evaluator's own when it scored or
                                     reproduced it)
      leaderboard.{csv,md,html}      rendered by `stamp-bench leaderboard`

A submission id is ``<name>__<task>__<protocol>__v<version>``. A name belongs to the submitter who used it
first: the same submitter adds a new version (the old one stays), anyone else is refused. Files are created
exclusively (a hard link from a finished temporary file), so an existing entry can never be replaced, even by
two submissions racing each other.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field

from benchmarks.errors import ResultError, SubmissionError
from benchmarks.schema import Result, canonical_digest, read_result
from humanst.errors import FileFormatError
from humanst.strict_model import StrictModel
from humanst.versioned import VersionedFormat

__all__ = [
    "ENTRIES",
    "RESULTS",
    "Entry",
    "EntryRecord",
    "Verification",
    "add_entry",
    "claim_version",
    "read_entries",
    "registered_names",
    "submission_id",
]

Verification = Literal["verified", "self-reported"]
ENTRIES, RESULTS = "entries", "results"

ENTRY_VERSION = 1


class EntryRecord(StrictModel):
    """The evaluator's record of one accepted submission."""

    schema_version: int = ENTRY_VERSION
    submission_id: str
    name: str
    version: int = Field(ge=1)
    submitter: str
    task: str
    protocol: str
    verification: Verification
    how: str = Field(description="How the entry was verified, or why it is self-reported.")
    checks: list[str] = Field(default_factory=list, description="The checks the submission passed.")
    result_file: str
    result_sha256: str
    source_digest: str = Field(description="Digest of what was submitted (a resubmission of it is not a version).")
    accepted: str


ENTRY_FORMAT: VersionedFormat[EntryRecord] = VersionedFormat(
    name="leaderboard entry", model=EntryRecord, current=ENTRY_VERSION, key="schema_version", package="stamp-bench"
)


@dataclass(frozen=True)
class Entry:
    """An accepted entry: the evaluator's record and its result."""

    record: EntryRecord
    result: Result


def registered_names() -> set[str]:
    """Lower-cased names only the evaluator may use: the registered encoders and the benchmark's baselines."""
    from benchmarks.baselines import baseline_names
    from stamp.encoders import encoder_names

    return {n.lower() for n in [*encoder_names(), *baseline_names()]}


def submission_id(name: str, task: str, protocol: str, version: int) -> str:
    """``<name>__<task>__<protocol>__v<version>`` with anything outside ``[A-Za-z0-9._+-]`` replaced by ``_``."""
    return re.sub(r"[^A-Za-z0-9._+-]", "_", f"{name}__{task}__{protocol}__v{version}").lstrip(".")


def read_entries(board: Path) -> tuple[list[Entry], list[str]]:
    """Read every entry of a leaderboard folder; an unreadable one is reported, never ranked."""
    entries, problems = [], []
    folder = Path(board) / ENTRIES
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            record = ENTRY_FORMAT.read(path)
        except FileFormatError as exc:
            problems.append(f"'{path}': not an entry record ({str(exc).splitlines()[0]})")
            continue
        result_path = Path(board) / record.result_file
        try:
            digest = hashlib.sha256(result_path.read_bytes()).hexdigest()
            if digest != record.result_sha256:
                problems.append(f"'{result_path}': changed after it was accepted (sha256 differs); entry not ranked")
                continue
            entries.append(Entry(record, read_result(result_path)))
        except (OSError, ResultError) as exc:
            problems.append(str(exc))
    return entries, problems


def claim_version(board: Path, name: str, task: str, protocol: str, submitter: str, source_digest: str) -> int | Entry:
    """Return the version a submission gets, or the existing entry when the same thing was already accepted.

    Raises
    ------
    SubmissionError
        The name (case-insensitive) belongs to another submitter's entry.
    """
    entries, _ = read_entries(board)
    same_name = [e for e in entries if e.record.name.lower() == name.lower()]
    others = sorted({e.record.submitter for e in same_name if e.record.submitter != submitter})
    if others:
        owner = next(e.record.submission_id for e in same_name if e.record.submitter != submitter)
        msg = (
            f"the name {name!r} belongs to another submitter's entry ({owner}); nothing was changed. Choose another "
            "name (model_card.json `name`), or submit as that submitter (--submitter) to add a new version"
        )
        raise SubmissionError(msg, path=Path(board))
    mine = [e for e in same_name if (e.record.task, e.record.protocol) == (task, protocol)]
    for entry in mine:
        if entry.record.source_digest == source_digest:
            return entry
    version = max((e.record.version for e in mine), default=0) + 1
    while (Path(board) / RESULTS / f"{submission_id(name, task, protocol, version)}.json").exists():
        version += 1  # a result file left by an interrupted submission: kept, its id skipped
    return version


def _create_exclusive(path: Path, data: bytes) -> None:
    """Write ``path`` only if it does not exist: a finished temporary file hard-linked into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    try:
        os.link(tmp, path)
    except FileExistsError as exc:
        msg = "an entry with this submission id exists already; it is never replaced (submit again for a new version)"
        raise SubmissionError(msg, path=path) from exc
    finally:
        tmp.unlink(missing_ok=True)


def add_entry(
    board: Path, result: Result, *, name: str, version: int, submitter: str, verification: Verification, how: str,
    checks: list[str], source_digest: str,
) -> Entry:  # fmt: skip
    """Write a new entry (result file first, then its record): both created exclusively, nothing replaced."""
    board = Path(board)
    sid = submission_id(name, result.task.name, result.task.protocol, version)
    sealed = result.model_copy(update={"digest": ""})
    sealed = sealed.model_copy(update={"digest": canonical_digest(sealed)})
    data = sealed.model_dump_json(indent=2).encode()
    result_rel = f"{RESULTS}/{sid}.json"
    _create_exclusive(board / result_rel, data)
    record = EntryRecord(
        submission_id=sid, name=name, version=version, submitter=submitter, task=result.task.name,
        protocol=result.task.protocol, verification=verification, how=how, checks=checks, result_file=result_rel,
        result_sha256=hashlib.sha256(data).hexdigest(), source_digest=source_digest,
        accepted=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )  # fmt: skip
    _create_exclusive(board / ENTRIES / f"{sid}.json", record.model_dump_json(indent=2).encode())
    return Entry(record, sealed)
