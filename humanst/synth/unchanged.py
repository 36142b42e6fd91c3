"""Skip rewriting a synthetic sample whose raw files are already there, unchanged, from the same spec.

``humanst synth`` / ``humanst demo`` used to rewrite every raw file on each run, which also made every file
look new to the build. After a sample is written, a small record ``OUT/.synth/<id>.json`` keeps what made it
(the manifest entry's synth spec, platform and the humanst version) and every file's size and mtime; a rerun
with the same spec finds the files as recorded and leaves them alone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from humanst.atomic import atomic_write_text
from humanst.manifest.models import SampleEntry
from humanst.synth.sample import WrittenSample

__all__ = ["find_unchanged", "record_written"]

RECORDS = ".synth"


def _record_path(out_dir: Path, sample_id: str) -> Path:
    return Path(out_dir) / RECORDS / f"{sample_id}.json"


def _spec(entry: SampleEntry) -> dict[str, Any]:
    from humanst.provenance import package_version

    synth = entry.synth.model_dump(mode="json") if entry.synth is not None else None
    return {"synth": synth, "platform": entry.platform.value, "humanst": package_version("humanst")}


def _stat(path: Path) -> list[int]:
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns]


def record_written(entry: SampleEntry, out_dir: Path, written: WrittenSample) -> None:
    """Remember what was written for ``entry`` (after the sample folder is in place)."""
    root = written.root
    files = sorted(p for p in root.rglob("*") if p.is_file())
    doc = {
        "spec": _spec(entry),
        "data_path": str(written.data_path.relative_to(root)),
        "files": {str(p.relative_to(root)): _stat(p) for p in files},
        "n_obs": written.n_obs, "n_genes": written.n_genes, "um_per_px": written.um_per_px,
    }  # fmt: skip
    path = _record_path(out_dir, entry.id)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(doc, indent=1))


def find_unchanged(entry: SampleEntry, out_dir: Path) -> WrittenSample | None:
    """Return the sample as written before if its spec and every file (size, mtime) are unchanged, else ``None``."""
    root = Path(out_dir) / entry.id
    try:
        doc = json.loads(_record_path(out_dir, entry.id).read_text(encoding="utf-8"))
        if doc["spec"] != _spec(entry) or not root.is_dir():
            return None
        present = {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}
        if present != set(doc["files"]) or any(_stat(root / rel) != stat for rel, stat in doc["files"].items()):
            return None
        return WrittenSample(
            entry.id, entry.platform.value, root, root / doc["data_path"], [root / rel for rel in sorted(doc["files"])],
            int(doc["n_obs"]), int(doc["n_genes"]), float(doc["um_per_px"]),
        )  # fmt: skip
    except (OSError, ValueError, KeyError, TypeError):
        return None
