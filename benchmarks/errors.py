"""Error hierarchy of :mod:`benchmarks`: every error names its subject, the cause and a fix."""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "BenchmarkError",
    "CacheError",
    "CohortError",
    "ResultError",
    "SubmissionError",
    "TaskError",
    "TierError",
]


class BenchmarkError(Exception):
    """Base class of all errors raised on purpose by :mod:`benchmarks`."""


class TaskError(BenchmarkError):
    """A task file is malformed or names samples/targets the atlas lacks; ``problems`` lists them all.

    ``schema`` names the model the file was validated against (tier 1 and tiers 2-3 have their own), when it was.
    """

    def __init__(self, path: str | Path | None, problems: list[tuple[str, str]], *, schema: str | None = None) -> None:
        self.path = None if path is None else Path(path)
        self.problems = list(problems)
        where = f"task '{self.path}'" if self.path is not None else "task"
        lines = [f"{where}: {len(self.problems)} problem(s)"]
        lines += [f"  - {loc}: {msg}" for loc, msg in self.problems]
        lines.append(
            f"Fix the entries above (schema: {schema}) and run again."
            if schema
            else "Fix the entries above and run again."
        )
        super().__init__("\n".join(lines))


class _PathError(BenchmarkError):
    """An error about one file or folder; carries ``path``."""

    def __init__(self, message: str, *, path: str | Path | None = None) -> None:
        self.path = None if path is None else Path(path)
        super().__init__(f"'{self.path}': {message}" if self.path is not None else message)


class CacheError(_PathError):
    """An embedding cache file is missing, of the wrong schema, shape or content."""


class ResultError(_PathError):
    """A results file does not validate or does not match the hashes it claims."""


class SubmissionError(_PathError):
    """A leaderboard submission is refused (not data-only, oversize, unsafe name, bad values)."""


class CohortError(_PathError):
    """A cohort definition, cohort folder, label table or split file is missing or malformed, or an API refused."""


class TierError(BenchmarkError):
    """An unknown or unbuilt tier was asked for, or a tier cannot run on the data given."""
