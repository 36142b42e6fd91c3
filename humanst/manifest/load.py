"""Load a manifest YAML into :class:`AtlasManifest`, reporting every problem with its sample and field."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from humanst.errors import ManifestError
from humanst.manifest.models import AtlasManifest, SampleEntry

__all__ = ["load_manifest", "parse_manifest"]


def _field_path(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(f".{item}" if parts else str(item))
    return "".join(parts) or "(entry)"


def _problems(error: ValidationError, prefix: str) -> list[tuple[str, str]]:
    out = []
    for item in error.errors():
        loc = tuple(x for x in item["loc"] if not (isinstance(x, str) and x.startswith("function-after")))
        msg = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            msg = "unknown field (typo?); remove it or check the manifest reference in DESIGN 2.1"
        elif item["type"] == "missing":
            msg = "required field is missing"
        out.append((f"{prefix}field '{_field_path(loc)}'", msg))
    return out


def parse_manifest(data: Any, *, path: str | Path | None = None) -> AtlasManifest:
    """Validate a manifest already parsed from YAML; raise one :class:`ManifestError` listing all problems."""
    if not isinstance(data, dict):
        raise ManifestError(path, [("document", f"expected a mapping of atlas keys, found {type(data).__name__}")])
    problems: list[tuple[str, str]] = []
    samples_raw = data.get("samples")
    samples: list[SampleEntry] = []
    if isinstance(samples_raw, list):
        for index, raw in enumerate(samples_raw):
            sid = raw.get("id") if isinstance(raw, dict) else None
            label = f"sample '{sid}' " if isinstance(sid, str) and sid else f"sample #{index + 1} "
            if not isinstance(raw, dict):
                problems.append((label.strip(), f"expected a mapping of sample keys, found {type(raw).__name__}"))
                continue
            try:
                samples.append(SampleEntry.model_validate(raw))
            except ValidationError as exc:
                problems.extend(_problems(exc, label))
    top = {k: v for k, v in data.items() if k != "samples"}
    try:
        AtlasManifest.model_validate({**top, "samples": samples or [_placeholder()]})
    except ValidationError as exc:
        problems.extend(_problems(exc, "atlas "))
    if samples_raw is None:
        problems.append(("atlas field 'samples'", "required field is missing"))
    elif not isinstance(samples_raw, list) or not samples_raw:
        problems.append(("atlas field 'samples'", "expected a non-empty list of sample entries"))
    problems.extend(_cross_sample_problems(samples))
    if problems:
        raise ManifestError(path, problems)
    return AtlasManifest.model_validate({**top, "samples": samples})


def _placeholder() -> dict[str, Any]:
    """Return a valid sample, used only to validate atlas-level keys when no sample is valid."""
    return {
        "id": "x",
        "study": "x",
        "patient_id": "x:x",
        "organ": "x",
        "disease": "x",
        "platform": "visium",
        "files": [{"path": "x"}],
        "license": "CC0-1.0",
        "redistributable": True,
        "citation": "x",
    }


def _cross_sample_problems(samples: list[SampleEntry]) -> list[tuple[str, str]]:
    problems = []
    seen: dict[str, int] = defaultdict(int)
    for entry in samples:
        seen[entry.id] += 1
    for sid, count in seen.items():
        if count > 1:
            problems.append((f"sample '{sid}' field 'id'", f"appears {count} times; sample ids must be unique"))
    splits: dict[str, set[str]] = defaultdict(set)
    for entry in samples:
        if entry.split is not None:
            splits[entry.patient_id].add(entry.split.value)
    for patient, values in splits.items():
        if len(values) > 1:
            ids = [e.id for e in samples if e.patient_id == patient]
            problems.append(
                (
                    f"samples {ids} field 'split'",
                    f"patient '{patient}' is pinned to several splits {sorted(values)}; "
                    "all samples of a patient must share one split",
                )
            )
    return problems


def load_manifest(path: str | Path) -> AtlasManifest:
    """Read and validate a manifest YAML file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ManifestError(path, [("file", "not found; check the path")]) from exc
    except UnicodeDecodeError as exc:
        raise ManifestError(path, [("file", f"not UTF-8 text ({exc.reason} at byte {exc.start})")]) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "YAML"
        raise ManifestError(path, [(where, f"not valid YAML: {getattr(exc, 'problem', exc)}")]) from exc
    return parse_manifest(data, path=path)
