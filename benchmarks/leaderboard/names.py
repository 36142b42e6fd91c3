"""The names a submission may carry: its entry name from one field, and its task from the evaluator's list.

An entry is named after the result's ``embedding_key`` (``<encoder>[+<adapter hash>][+random]``, the folder its
embeddings were cached in), and every name check reads that same field: a registered encoder's or baseline's
name, with or without an adapter hash, is only ever a *verified* entry. The free-text ``encoder`` field must say
the same thing as the key (``stamp-bench run`` writes both from one encoder), so the table cannot show one name
while the entry is filed under another.

A result's task is looked up by name among the shipped tasks (``stamp-bench tasks``), or is the task file the
evaluator passes with ``--task``; a name that is not a task name (a path, say) is refused without being opened
or echoed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.errors import SubmissionError
from benchmarks.schema import TASK_NAME, Result

if TYPE_CHECKING:
    from benchmarks.tasks import AnyTask

__all__ = ["SUBMITTED_PREFIX", "entry_name", "is_reserved", "name_problems", "result_task"]

SUBMITTED_PREFIX = "submitted:"  # the encoder field of embeddings scored by the evaluator: submitted:<card name>
_RANDOM = "+random"


def entry_name(result: Result) -> str:
    """Return the name a result is filed and checked under: its ``embedding_key``."""
    return result.embedding_key


def is_reserved(name: str) -> bool:
    """Whether ``name`` is a registered encoder or baseline, with or without ``+<adapter hash>`` or ``+random``."""
    from benchmarks.leaderboard.entries import registered_names

    return name.split("+", 1)[0].lower() in registered_names()


def name_problems(result: Result) -> list[str]:
    """Ways the result's ``encoder`` and ``adapter_hash`` disagree with the ``embedding_key`` it is named by."""
    from stamp.embedding_cache import cache_key

    key = result.embedding_key
    if result.encoder.startswith(SUBMITTED_PREFIX):
        expected = result.encoder.removeprefix(SUBMITTED_PREFIX)
    else:
        expected = cache_key(result.encoder, adapter_hash=result.adapter_hash, random_init=key.endswith(_RANDOM))
    if key == expected:
        return []
    return [
        "its encoder and adapter_hash do not make its embedding_key (the entry's name): `stamp-bench run` writes "
        "both from one encoder, so one of them was edited"
    ]


def result_task(name: str, *, given: str, path: Path) -> AnyTask:
    """Return the task a submitted result names: the ``--task`` file when it is that task, else the shipped one.

    Parameters
    ----------
    name
        The result's ``task.name`` (already a task name if the result validated).
    given
        The evaluator's ``--task``: a shipped name or a task file (``.yaml``).
    path
        The submitted file, named in errors.

    Raises
    ------
    SubmissionError
        The name is not a task name, or is neither a shipped task nor the ``--task`` file's; nothing is opened.
    """
    from benchmarks.tasks import load_any_task, shipped_tasks

    if not re.fullmatch(TASK_NAME, name):
        msg = "its task name is not a task name (see `stamp-bench tasks`); a task is never read from a submission"
        raise SubmissionError(msg, path=path)
    if Path(given).suffix.lower() in (".yaml", ".yml"):
        task = load_any_task(given)  # the evaluator's own file
        if task.name == name:
            return task
    if name in shipped_tasks():
        return load_any_task(name)
    msg = (
        f"its task {name!r} is not a shipped task (`stamp-bench tasks`); the evaluator passes the task's file with "
        "--task to accept results of other tasks"
    )
    raise SubmissionError(msg, path=path)
