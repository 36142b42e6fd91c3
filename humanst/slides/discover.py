"""Find slide files from the paths a user gives: files as they are, folders searched for slide suffixes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from humanst.errors import SlideError
from humanst.slides._registry import BACKENDS
from humanst.slides.slide import slide_id_of

__all__ = ["find_slides", "slide_suffixes"]


def slide_suffixes() -> tuple[str, ...]:
    """Return every file suffix a registered backend reads (lower case, with the dot)."""
    return tuple(sorted({ext for name in BACKENDS.names() for ext in BACKENDS.get(name).extensions}))


def _is_slide(path: Path, suffixes: tuple[str, ...]) -> bool:
    name = path.name.lower()
    return not name.startswith(".") and any(name.endswith(ext) for ext in suffixes)


def find_slides(inputs: Sequence[str | Path]) -> list[Path]:
    """Return the slides named by ``inputs`` (files, or folders searched recursively), sorted by slide id.

    Raises
    ------
    SlideError
        When an input does not exist, nothing is found, or two files share a slide id (the feature files are
        named by slide id).
    """
    suffixes = slide_suffixes()
    found: list[Path] = []
    for item in map(Path, inputs):
        if item.is_dir():
            found += sorted(p for p in item.rglob("*") if p.is_file() and _is_slide(p, suffixes))
        elif item.is_file():
            found.append(item)
        else:
            msg = "no such file or folder; check the path"
            raise SlideError(msg, path=item)
    if not found:
        msg = f"no slide files found (searched for {', '.join(suffixes)}); pass slide files or folders holding them"
        raise SlideError(msg, path=Path(inputs[0]) if inputs else None)
    by_id: dict[str, list[Path]] = defaultdict(list)
    for path in dict.fromkeys(p.resolve() for p in found):
        by_id[slide_id_of(path)].append(path)
    clashes = {k: v for k, v in by_id.items() if len(v) > 1}
    if clashes:
        listed = "; ".join(f"'{k}': {', '.join(map(str, v))}" for k, v in sorted(clashes.items()))
        msg = f"several files share a slide id (the file name without suffix): {listed}. Rename them or embed apart"
        raise SlideError(msg)
    return [paths[0] for _, paths in sorted(by_id.items())]
