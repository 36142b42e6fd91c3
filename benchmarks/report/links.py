"""What a report shows, for others to link to: ``report.json`` beside ``index.html``, and the links it gives.

``report.json`` lists every result on the page (embedding key, task, protocol) with the anchor of its task's section.
``stamp-bench leaderboard --report DIR`` reads it and links each leaderboard entry to the section of the report
that shows it (:func:`report_links`), with a path relative to the leaderboard page.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from pydantic import ValidationError

from benchmarks.errors import BenchmarkError
from benchmarks.report.inputs import TaskGroup
from humanst.strict_model import StrictModel

__all__ = ["INDEX", "MANIFEST", "ReportManifest", "ReportedResult", "report_links", "write_report_manifest"]

INDEX = "index.html"
MANIFEST = "report.json"
LinkKey = tuple[str, str, str]  # (embedding key, task, protocol)


class ReportedResult(StrictModel):
    """One result shown by the report, and the anchor of its task's section."""

    embedding_key: str
    task: str
    protocol: str
    anchor: str


class ReportManifest(StrictModel):
    """The results a report shows (``report.json``)."""

    schema_version: Literal[1] = 1
    results: list[ReportedResult]


def write_report_manifest(folder: Path, groups: Sequence[TaskGroup]) -> Path:
    """Write ``report.json`` into the (temporary) report folder; task sections are anchored ``task-<index>``."""
    results = [
        ReportedResult(
            embedding_key=r.result.embedding_key, task=group.task, protocol=group.protocol, anchor=f"task-{index}"
        )
        for index, group in enumerate(groups)
        for r in group.results
    ]
    path = Path(folder) / MANIFEST
    path.write_text(ReportManifest(results=results).model_dump_json(indent=2), encoding="utf-8")
    return path


def read_report_manifest(report: Path) -> ReportManifest:
    """Read a report folder's ``report.json``.

    Raises
    ------
    BenchmarkError
        Not a report folder written by ``stamp-bench report`` (no or an unreadable ``report.json``).
    """
    path = Path(report) / MANIFEST
    try:
        return ReportManifest.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValidationError) as exc:
        msg = (
            f"report '{report}': {MANIFEST} is missing or unreadable ({str(exc).splitlines()[0]}); pass a folder "
            "written by `stamp-bench report --out`"
        )
        raise BenchmarkError(msg) from exc


def report_links(reports: Sequence[Path], page_dir: Path) -> dict[LinkKey, str]:
    """``(embedding key, task, protocol) -> href`` of the first report showing it (relative, percent-encoded).

    Raises
    ------
    BenchmarkError
        A folder is not a report.
    """
    links: dict[LinkKey, str] = {}
    for report in reports:
        manifest = read_report_manifest(report)
        index = os.path.relpath(Path(report).resolve() / INDEX, Path(page_dir).resolve())
        for item in manifest.results:
            href = f"{urllib.parse.quote(Path(index).as_posix())}#{item.anchor}"  # a folder name may hold spaces
            links.setdefault((item.embedding_key, item.task, item.protocol), href)
    return links
