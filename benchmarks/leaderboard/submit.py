"""Data-only leaderboard submissions: a results file (re-verified) or embeddings scored by the evaluator.

Nothing from a submission is executed or unpickled. Files are checked before they are opened for
content: regular files only (no links), safe names (no ``..``, no separators), allowed suffixes, size
limits, no pickle or zip magic bytes; a safetensors header is parsed as JSON with its length bounded.
An embeddings submission is a folder of ``<sample_id>.safetensors`` (one float32 tensor ``embeddings``
[N, D], rows in the order of the ``spot_ids`` metadata) plus ``model_card.json``; the evaluator scores it
on a task whose labels the submitter does not need to have, and writes the result into the leaderboard.
"""

from __future__ import annotations

import json
import re
import shutil
import struct
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from benchmarks.errors import CacheError, ResultError, SubmissionError
from benchmarks.schema import Result, read_result, result_filename

__all__ = ["ModelCard", "SubmissionLimits", "check_files", "submit", "verify_result"]

SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$")
ALLOWED_SUFFIXES = {".json", ".safetensors", ".parquet"}
PICKLE_SUFFIXES = {".pkl", ".pickle", ".pt", ".pth", ".ckpt", ".bin", ".joblib", ".npy", ".npz"}
MAGIC = {b"\x80": "a Python pickle", b"PK\x03\x04": "a zip archive (torch.save / npz)", b"\x93NUMPY": "a numpy file"}


@dataclass(frozen=True)
class SubmissionLimits:
    """Size limits of a submission, in bytes."""

    max_file_bytes: int = 1 << 30
    max_total_bytes: int = 4 << 30
    max_json_bytes: int = 8 << 20
    max_header_bytes: int = 64 << 20


class ModelCard(BaseModel):
    """What an embeddings submission says about itself (``model_card.json``); unknown keys are refused."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$")
    embed_dim: int = Field(ge=1, le=65536)
    description: str = Field("", max_length=2000)
    license: str = Field("", max_length=200)
    url: str = Field("", max_length=500)
    contact: str = Field("", max_length=200)
    files: dict[str, str] = Field(default_factory=dict, description="sample id -> file name (default <id>.safetensors)")


def safe_name(name: str, *, where: Path) -> str:
    """Return ``name`` if it is a plain file name; refuse ``..``, separators and odd characters."""
    if ".." in name or "/" in name or "\\" in name or not SAFE_NAME.match(name):
        msg = (
            f"unsafe name {name!r}: names must be plain file names matching {SAFE_NAME.pattern} "
            "(no '..', no path separators); rename the file"
        )
        raise SubmissionError(msg, path=where)
    return name


def check_files(folder: Path, limits: SubmissionLimits) -> list[Path]:
    """Check every entry of a submission folder before reading any content; return the files.

    Raises
    ------
    SubmissionError
        A link, a sub-folder, an unsafe name, a pickle-like suffix or magic bytes, a suffix that is not
        data, or a file or total size over the limits.
    """
    files, total = [], 0
    for entry in sorted(Path(folder).iterdir()):
        safe_name(entry.name, where=entry)
        if entry.is_symlink() or not entry.is_file():
            msg = "only regular files are accepted (no links, no folders); copy the data in"
            raise SubmissionError(msg, path=entry)
        suffix = entry.suffix.lower()
        if suffix in PICKLE_SUFFIXES:
            msg = f"'{suffix}' files can hold pickled code and are refused; submit safetensors, JSON or parquet"
            raise SubmissionError(msg, path=entry)
        if suffix not in ALLOWED_SUFFIXES:
            msg = f"suffix '{suffix}' is not a data format we accept; allowed: {sorted(ALLOWED_SUFFIXES)}"
            raise SubmissionError(msg, path=entry)
        size = entry.stat().st_size
        limit = limits.max_json_bytes if suffix == ".json" else limits.max_file_bytes
        if size > limit:
            msg = f"file is {size} bytes, over the {limit}-byte limit for '{suffix}' files"
            raise SubmissionError(msg, path=entry)
        with entry.open("rb") as handle:
            head = handle.read(9)
        if suffix == ".safetensors" and len(head) == 9 and head[8:9] == b"{":
            head = b""  # a safetensors header (8-byte length, then JSON): its length bytes are not magic
        for magic, what in MAGIC.items():
            if head.startswith(magic):
                msg = f"content is {what} whatever its name; pickles and archives are refused, submit data"
                raise SubmissionError(msg, path=entry)
        total += size
        files.append(entry)
    if total > limits.max_total_bytes:
        msg = f"submission holds {total} bytes, over the {limits.max_total_bytes}-byte total limit"
        raise SubmissionError(msg, path=folder)
    return files


def _safetensors_header(path: Path, limits: SubmissionLimits) -> dict[str, object]:
    with path.open("rb") as handle:
        raw = handle.read(8)
        if len(raw) < 8:
            msg = "too short to be a safetensors file"
            raise SubmissionError(msg, path=path)
        (length,) = struct.unpack("<Q", raw)
        if length > min(limits.max_header_bytes, path.stat().st_size - 8):
            msg = f"safetensors header claims {length} bytes (limit {limits.max_header_bytes}); not a valid file"
            raise SubmissionError(msg, path=path)
        try:
            header = json.loads(handle.read(length))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            msg = "safetensors header is not JSON; write the file with safetensors.numpy.save_file"
            raise SubmissionError(msg, path=path) from exc
    if not isinstance(header, dict):
        msg = "safetensors header is not a JSON object"
        raise SubmissionError(msg, path=path)
    return header


def verify_result(result: Result, *, task_hash: str, atlas_hash: str | None, split_hash: str | None) -> None:
    """Re-verify a submitted result against the task, atlas and split hashes recomputed here.

    Raises
    ------
    ResultError
        A hash differs (another task version, atlas or split than the leaderboard's).
    """
    checks = [("task_hash", result.task.task_hash, task_hash)]
    if atlas_hash is not None:
        checks.append(("atlas_hash", result.task.atlas_hash, atlas_hash))
    if split_hash is not None:
        checks.append(("split_hash", result.task.split_hash, split_hash))
    for name, found, expected in checks:
        if found != expected:
            msg = (
                f"result of {result.encoder!r} on task {result.task.name!r}: {name} {found[:12]} does not match "
                f"{expected[:12]} recomputed here; rerun `stamp-bench run` on the leaderboard's task and atlas"
            )
            raise ResultError(msg)


def _submit_result(path: Path, leaderboard: Path, atlas: Path | None, limits: SubmissionLimits) -> Path:
    from benchmarks.runner import prepare_task
    from benchmarks.tasks import load_task, task_hash

    safe_name(path.name, where=path)
    if path.is_symlink() or path.stat().st_size > limits.max_json_bytes:
        msg = f"a results file must be a regular JSON file of at most {limits.max_json_bytes} bytes"
        raise SubmissionError(msg, path=path)
    result = read_result(path)
    task = load_task(result.task.name)
    atlas_hash = split_hash = None
    if atlas is not None:
        prepared = prepare_task(atlas, task, result.task.protocol)
        atlas_hash, split_hash = prepared.atlas_hash, prepared.split_hash
    verify_result(result, task_hash=task_hash(task), atlas_hash=atlas_hash, split_hash=split_hash)
    leaderboard.mkdir(parents=True, exist_ok=True)
    target = leaderboard / result_filename(result.embedding_key, result.task.name, result.task.protocol)
    shutil.copyfile(path, target)
    return target


def _submit_embeddings(
    folder: Path, leaderboard: Path, atlas: Path, task_name: str, protocol: str, limits: SubmissionLimits
) -> Path:
    from benchmarks.cache import CACHE_SCHEMA_VERSION, read_embeddings, write_cache_info, write_embeddings
    from benchmarks.runner import prepare_task, run_benchmark
    from benchmarks.tasks import load_task

    files = {p.name: p for p in check_files(folder, limits)}
    if "model_card.json" not in files:
        msg = "an embeddings submission needs model_card.json (name, embed_dim, ...) beside the safetensors files"
        raise SubmissionError(msg, path=folder)
    try:
        card = ModelCard.model_validate_json(files["model_card.json"].read_text(encoding="utf-8"))
    except (ValidationError, UnicodeDecodeError) as exc:
        msg = f"model_card.json does not match the model card schema: {exc}"
        raise SubmissionError(msg, path=files["model_card.json"]) from exc
    prepared = prepare_task(atlas, load_task(task_name), protocol)
    data = prepared.data
    staging = leaderboard / ".staging" / card.name
    shutil.rmtree(staging, ignore_errors=True)
    for sample in sorted(set(data.sample_ids.tolist())):
        name = safe_name(card.files.get(sample, f"{sample}.safetensors"), where=folder)
        if name not in files:
            msg = f"sample '{sample}' has no embeddings file '{name}'; the task needs every one of its samples"
            raise SubmissionError(msg, path=folder)
        path = files[name]
        header = _safetensors_header(path, limits)
        tensor = header.get("embeddings")
        n_spots = int((data.sample_ids == sample).sum())
        if not isinstance(tensor, dict) or tensor.get("dtype") != "F32" or len(tensor.get("shape", [])) != 2:
            msg = "needs one float32 tensor 'embeddings' of shape [N, D]"
            raise SubmissionError(msg, path=path)
        shape = tensor["shape"]
        if shape[1] != card.embed_dim or shape[0] < n_spots:
            msg = f"wrong shape {shape}: expected [{n_spots} spots (or more), {card.embed_dim} = model card embed_dim]"
            raise SubmissionError(msg, path=path)
        meta = header.get("__metadata__") or {}
        if not isinstance(meta, dict) or "spot_ids" not in meta:
            msg = "safetensors metadata must hold 'spot_ids' (JSON list, one per row)"
            raise SubmissionError(msg, path=path)
        full_meta = {
            "schema_version": str(CACHE_SCHEMA_VERSION),
            "sample_id": sample,
            "encoder": f"submitted:{card.name}",
            "adapter_hash": "",
            "weights": "submitted",
            "content_hash": "",
            "embed_dim": str(shape[1]),
            "spot_ids": str(meta["spot_ids"]),
        }
        try:
            emb = read_embeddings(_with_meta(path, full_meta, staging / "raw" / f"{sample}.safetensors"))
        except CacheError as exc:
            raise SubmissionError(str(exc).split(": ", 1)[-1], path=path) from exc
        content = _digest(path)
        write_embeddings(
            staging / card.name,
            sample,
            emb.spot_ids,
            emb.embeddings,
            {"encoder": f"submitted:{card.name}", "adapter_hash": "", "weights": "submitted", "content_hash": content},
        )
    cache = staging / card.name
    write_cache_info(
        cache, encoder=f"submitted:{card.name}", adapter_hash="", weights="submitted", embed_dim=card.embed_dim
    )
    try:
        ((_, out),) = run_benchmark(
            atlas, [prepared], caches=[(cache, "model")], out=leaderboard, cache_root=staging,
            submitted_by=card.name, show_progress=False,
        )  # fmt: skip
    except CacheError as exc:
        raise SubmissionError(str(exc), path=folder) from exc
    finally:
        shutil.rmtree(leaderboard / ".staging", ignore_errors=True)
    if out is None:  # results are written whenever out is given
        msg = "the evaluator wrote no result file"
        raise SubmissionError(msg, path=folder)
    return out


def _with_meta(path: Path, meta: dict[str, str], out: Path) -> Path:
    """Re-write a submitted tensor with the cache metadata (data copied as numbers, never executed)."""
    from safetensors import SafetensorError
    from safetensors.numpy import load_file, save_file

    try:
        tensors = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        msg = f"not a readable safetensors file ({exc})"
        raise SubmissionError(msg, path=path) from exc
    out.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(out), metadata=meta)
    return out


def _digest(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def submit(
    path: Path,
    leaderboard: Path,
    *,
    atlas: Path | None = None,
    task: str = "demo-spot",
    protocol: str = "default",
    limits: SubmissionLimits | None = None,
) -> list[Path]:
    """Add a submission to a leaderboard folder and return the result files written.

    Parameters
    ----------
    path
        A results JSON, a folder of results JSONs, or an embeddings folder (``model_card.json`` +
        ``<sample>.safetensors``).
    leaderboard
        The leaderboard folder of validated result files.
    atlas
        The atlas the leaderboard is computed on: needed to score embeddings, and used to re-verify the
        atlas and split hashes of a results file.
    task, protocol
        The task (and protocol) an embeddings submission is scored on.
    limits
        Size limits (defaults: 1 GiB a file, 4 GiB in all, 8 MiB a JSON file).

    Raises
    ------
    SubmissionError, ResultError
        The submission is refused; the message names the file and the reason.
    """
    limits = limits or SubmissionLimits()
    path, leaderboard = Path(path), Path(leaderboard)
    if path.is_symlink() or not path.exists():
        msg = "no such file or folder (links are not followed)"
        raise SubmissionError(msg, path=path)
    if path.is_file():
        if path.suffix.lower() != ".json":
            msg = "a single-file submission must be a results JSON made by `stamp-bench run`"
            raise SubmissionError(msg, path=path)
        return [_submit_result(path, leaderboard, atlas, limits)]
    if (path / "model_card.json").exists():
        if atlas is None:
            msg = "scoring an embeddings submission needs the atlas: pass --atlas"
            raise SubmissionError(msg, path=path)
        return [_submit_embeddings(path, leaderboard, atlas, task, protocol, limits)]
    results = check_files(path, limits)
    if not results:
        msg = "empty folder: expected result JSONs or an embeddings submission with model_card.json"
        raise SubmissionError(msg, path=path)
    return [_submit_result(p, leaderboard, atlas, limits) for p in results]
