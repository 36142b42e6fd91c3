"""The one reader of the project's versioned JSON files: check the format version, migrate older ones, refuse newer.

Every file that passes between commands (``run.json``, an embedding cache's ``cache.json``, a slide feature
cache's provenance, cohort records, leaderboard entries) is a pydantic model with a version key. A
:class:`VersionedFormat` names the file, its model, the version this code writes and the key that holds it; its
:meth:`~VersionedFormat.parse` checks the version before the model sees the data:

- the current version: validated as is;
- an older version with a migration: migrated step by step, then validated;
- no version key: read as ``missing`` (the version files had before the key was written), else refused;
- a newer version: one line saying which file, which version, which this code reads, and how to upgrade.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from pydantic import BaseModel, JsonValue, ValidationError

from humanst.errors import FileFormatError

__all__ = ["DISTRIBUTION", "JsonDict", "Migration", "VersionedFormat", "version_problem"]

DISTRIBUTION = "humanst"  # the one PyPI distribution that installs humanst, stamp and benchmarks

M = TypeVar("M", bound=BaseModel)
JsonDict = dict[str, JsonValue]
Migration = Callable[[JsonDict], JsonDict]


def version_problem(where: str, found: object, current: int, *, key: str, package: str, oldest: int) -> str | None:
    """Return the one-line problem with a file's version (``None``: readable), naming the file and the fix."""
    if isinstance(found, bool) or not isinstance(found, int):
        return f"{where}: {key} {found!r} is not a version number; expected an integer up to {current}"
    if found > current:
        return (
            f"{where} has {key} {found}, newer than this {package} reads ({current}): "
            f"upgrade {package} (pip install -U {DISTRIBUTION})"
        )
    if found < oldest:
        return (
            f"{where} has {key} {found}, older than this {package} reads ({oldest}-{current}): "
            f"write it again with this {package}"
        )
    return None


@dataclass(frozen=True)
class VersionedFormat(Generic[M]):
    """A versioned JSON file: its name, its model, the version written now, and how older versions are read.

    Parameters
    ----------
    name
        What the file is called in messages (``run.json``).
    model
        The pydantic model of the current version.
    current
        The version this code writes.
    key
        The key holding the version (``format_version``; ``schema_version`` for older formats).
    package
        The distribution to upgrade when a file is newer (``stamp``).
    migrations
        ``{v: f}``: ``f`` turns a version-``v`` mapping into a version ``v + 1`` one.
    missing
        The version of a file without the key (written before the key existed); ``None``: such a file is refused.
    drop_none
        Leave keys whose value is ``None`` out of the file (formats whose optional keys were written only when set).
    """

    name: str
    model: type[M]
    current: int
    key: str = "format_version"
    package: str = "humanst"
    migrations: Mapping[int, Migration] = field(default_factory=dict)
    missing: int | None = None
    drop_none: bool = False

    @property
    def oldest(self) -> int:
        """The oldest version this code reads (through migrations)."""
        version = self.current
        while version - 1 in self.migrations:
            version -= 1
        return min(version, self.missing) if self.missing is not None else version

    def upgrade(self, data: Mapping[str, JsonValue], where: str) -> JsonDict:
        """Return ``data`` migrated to the current version (with the key set), or raise the one-line problem.

        Raises
        ------
        FileFormatError
            No version key (and no ``missing`` version), a newer version, or an older one without a migration.
        """
        tree = dict(data)
        if self.key not in tree and self.missing is None:
            msg = f"{where} has no {self.key}; it was not written by {self.package} (expected {self.name})"
            raise FileFormatError(msg)
        found = tree.get(self.key, self.missing)
        problem = version_problem(where, found, self.current, key=self.key, package=self.package, oldest=self.oldest)
        if problem is not None:
            raise FileFormatError(problem)
        version = int(found) if isinstance(found, int) else self.current
        while version < self.current:
            if version not in self.migrations:
                msg = f"{where} has {self.key} {version}, which this {self.package} cannot read; write it again"
                raise FileFormatError(msg)
            tree = self.migrations[version](tree)
            version += 1
        tree[self.key] = self.current
        return tree

    def parse(self, data: object, where: str) -> M:
        """Check the version of ``data`` (a decoded JSON mapping), migrate it and validate it into the model.

        Raises
        ------
        FileFormatError
            Not a mapping, a version it cannot read, or content that does not fit the model (each field named).
        """
        if not isinstance(data, Mapping):
            msg = f"{where}: expected a JSON object ({self.name}), found {type(data).__name__}"
            raise FileFormatError(msg)
        tree = self.upgrade(data, where)
        try:
            return self.model.model_validate(tree)
        except ValidationError as err:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(top)'}: {e['msg']}" for e in err.errors())
            msg = f"{where}: not a valid {self.name} ({problems})"
            raise FileFormatError(msg) from err

    def read(self, path: Path) -> M:
        """Read, check and validate one file.

        Raises
        ------
        FileFormatError
            The file is unreadable, not JSON, or fails :meth:`parse`.
        """
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            msg = f"{path}: cannot read it as {self.name} ({err})"
            raise FileFormatError(msg) from err
        return self.parse(data, str(path))

    def dump(self, value: M) -> JsonDict:
        """Return the JSON-ready mapping of ``value``, the version key included (``drop_none``: no ``None`` values)."""
        tree: JsonDict = value.model_dump(mode="json", exclude_none=self.drop_none)
        tree[self.key] = self.current
        return tree

    def write(self, path: Path, value: M, *, indent: int | None = 2) -> Path:
        """Write ``value`` to ``path`` atomically (temp file, then rename)."""
        from humanst.atomic import atomic_write_text

        atomic_write_text(Path(path), json.dumps(self.dump(value), indent=indent))
        return Path(path)
