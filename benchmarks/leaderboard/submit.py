"""Data-only leaderboard submissions: a results file (checked, maybe reproduced) or embeddings scored here.

Nothing from a submission is executed or unpickled; its files are checked before their content is read
(:mod:`benchmarks.leaderboard.files`). An embeddings submission is a folder of ``<sample_id>.safetensors``
(one float32 tensor ``embeddings`` [N, D], rows in the order of the ``spot_ids`` metadata) plus
``model_card.json``; the evaluator scores it on a task whose labels the submitter does not need to have: a
*verified* entry. A results file is checked for internal consistency and against the task's split
(:mod:`benchmarks.spot.integrity`); it is *verified* when the evaluator reproduces it from its own
cached embeddings, *self-reported* otherwise. Every accepted submission is a new entry keyed by its
submission id (:mod:`benchmarks.leaderboard.entries`): nothing is overwritten or deleted.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field, ValidationError

from benchmarks.errors import CacheError, ResultError, SubmissionError
from benchmarks.leaderboard.entries import Entry, Verification, add_entry, claim_version
from benchmarks.leaderboard.files import (
    SubmissionLimits,
    check_file,
    check_files,
    digest_all,
    file_digest,
    safe_name,
    safetensors_header,
    with_meta,
)
from benchmarks.leaderboard.names import SUBMITTED_PREFIX, entry_name, is_reserved, name_problems, result_task
from benchmarks.schema import Result, read_result
from humanst.strict_model import StrictModel

if TYPE_CHECKING:
    from benchmarks.spot.runner import PreparedTask
    from benchmarks.spot.task import Task

__all__ = ["ModelCard", "SubmissionLimits", "check_files", "submit", "verify_result"]


class ModelCard(StrictModel):
    """What an embeddings submission says about itself (``model_card.json``); unknown keys are refused."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$")
    embed_dim: int = Field(ge=1, le=65536)
    description: str = Field("", max_length=2000)
    license: str = Field("", max_length=200)
    url: str = Field("", max_length=500)
    contact: str = Field("", max_length=200)
    files: dict[str, str] = Field(default_factory=dict, description="sample id -> file name (default <id>.safetensors)")


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


def _who(submitter: str | None, *fallbacks: str) -> str:
    """Return the submitter: as given (by the evaluator), else the submission's own word, else the login."""
    import getpass

    for candidate in (submitter, *fallbacks):
        if candidate:
            return candidate
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "anonymous"


def _submit_result(path: Path, board: Path, options: _Options) -> Entry:
    from benchmarks.spot.integrity import consistency_problems, reproduce, split_problems
    from benchmarks.spot.task import Task
    from benchmarks.tasks import task_hash

    safe_name(path.name, where=path)
    if path.is_symlink() or path.stat().st_size > options.limits.max_json_bytes:
        msg = f"a results file must be a regular JSON file of at most {options.limits.max_json_bytes} bytes"
        raise SubmissionError(msg, path=path)
    result = read_result(path)
    if problems := name_problems(result):
        msg = f"refused: {problems[0]}; resubmit the file `stamp-bench run` wrote"
        raise SubmissionError(msg, path=path)
    pinned = path.parent / safe_name(result.predictions.file, where=path) if result.predictions else None
    if pinned is not None and (pinned.is_symlink() or pinned.exists()):  # checked as a folder's files are
        check_file(pinned, options.limits)
    if result.task.tier > 1:
        return _submit_outcome_result(path, result, board, options)
    task = result_task(result.task.name, given=options.task, path=path)
    if not isinstance(task, Task):
        msg = f"a tier-1 result names task {task.name!r}, which is a tier-{task.tier} task"
        raise ResultError(msg, path=path)
    prepared = options.prepare(task, result.task.protocol)
    verify_result(
        result, task_hash=task_hash(task), atlas_hash=prepared.atlas_hash if prepared else None,
        split_hash=prepared.split_hash if prepared else None,
    )  # fmt: skip
    problems = consistency_problems(result) + split_problems(result, task, prepared)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        msg = f"refused, the result is not internally consistent: {problems[0]}{more}; rerun `stamp-bench run`"
        raise ResultError(msg, path=path)
    checks = ["schema and digest", "summaries recomputed from per-patient and per-target values", "task hash"]
    if prepared is not None:
        checks.append("atlas, split, patients and counts recomputed from the atlas")
    verification: Verification = "self-reported"
    how = "results file as submitted: internally consistent" + ("" if prepared else " (split not re-checked: no atlas)")
    stored = result
    if prepared is not None and options.cache is not None:
        mine, note = reproduce(result, prepared, options.cache)
        if mine is not None:
            verification, how, stored = "verified", note, mine
            checks.append("reproduced from the evaluator's cached embeddings")
        else:
            how += f"; not reproduced: {note}"
    return _add_result_entry(path, result, stored, board, options, verification, how, checks)


def _submit_outcome_result(path: Path, result: Result, board: Path, options: _Options) -> Entry:
    """Check a tier-2/3 result against its own predictions and the task; reproduce it from cached slide features."""
    from benchmarks.slide.integrity import outcome_problems, reproduce_outcomes
    from benchmarks.slide.task import SlideTask
    from benchmarks.tasks import task_hash

    task = result_task(result.task.name, given=options.task, path=path)
    if not isinstance(task, SlideTask):
        msg = f"a tier-{result.task.tier} result names task {task.name!r}, which is a tier-{task.tier} task"
        raise ResultError(msg, path=path)
    verify_result(result, task_hash=task_hash(task), atlas_hash=None, split_hash=None)
    problems = outcome_problems(result, path.parent, task)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        msg = f"refused, the result is not internally consistent: {problems[0]}{more}; rerun `stamp-bench run`"
        raise ResultError(msg, path=path)
    checks = ["schema and digest", "metrics and counts recomputed from its out-of-fold predictions", "task hash"]
    verification: Verification = "self-reported"
    how = "results file as submitted: consistent with its predictions"
    stored = result.model_copy(update={"predictions": None})  # the labels stay out of the leaderboard folder
    if options.cohort is not None and options.features is not None:
        mine, note = reproduce_outcomes(result, options.cohort, options.features, task)
        if mine is not None:
            verification, how, stored = "verified", note, mine
            checks.append("reproduced from the evaluator's cached slide features on the cohort")
        else:
            how += f"; not reproduced: {note}"
    else:
        how += " (not reproduced: pass --cohort and --features)"
    return _add_result_entry(path, result, stored, board, options, verification, how, checks)


def _add_result_entry(
    path: Path, result: Result, stored: Result, board: Path, options: _Options, verification: Verification, how: str,
    checks: list[str],
) -> Entry:  # fmt: skip
    """File a checked result as a new entry, named by its embedding key (a registered name only when verified)."""
    name = entry_name(result)
    if is_reserved(name) and verification != "verified":
        msg = (
            f"entry {name!r} is named after a registered encoder or baseline, which only a result the evaluator "
            f"reproduces may be ({how}); pass --atlas and --cache (tiers 2-3: --cohort and --features) with the "
            "evaluator's embeddings, or submit embeddings under a name of your own"
        )
        raise SubmissionError(msg, path=path)
    submitter = _who(options.submitter, result.submitted_by)
    claimed = claim_version(board, name, result.task.name, result.task.protocol, submitter, result.digest)
    if isinstance(claimed, Entry):
        return claimed
    return add_entry(
        board, stored, name=name, version=claimed, submitter=submitter, verification=verification, how=how,
        checks=checks, source_digest=result.digest,
    )  # fmt: skip


def _submit_embeddings(folder: Path, board: Path, options: _Options) -> Entry:
    from benchmarks.cache import write_cache_info
    from benchmarks.spot.runner import prepare_task, run_benchmark
    from benchmarks.tasks import load_task

    files = {p.name: p for p in check_files(folder, options.limits)}
    if "model_card.json" not in files:
        msg = "an embeddings submission needs model_card.json (name, embed_dim, ...) beside the safetensors files"
        raise SubmissionError(msg, path=folder)
    try:
        card = ModelCard.model_validate_json(files["model_card.json"].read_text(encoding="utf-8"))
    except (ValidationError, UnicodeDecodeError) as exc:
        msg = f"model_card.json does not match the model card schema: {exc}"
        raise SubmissionError(msg, path=files["model_card.json"]) from exc
    if is_reserved(card.name) or card.name.lower().endswith("+random"):
        msg = (
            f"model card name {card.name!r} is a registered encoder or baseline of the benchmark; only the evaluator "
            "scores those. Choose a name of your own in model_card.json"
        )
        raise SubmissionError(msg, path=files["model_card.json"])
    if options.atlas is None:
        msg = "scoring an embeddings submission needs the atlas: pass --atlas"
        raise SubmissionError(msg, path=folder)
    submitter = _who(options.submitter, card.contact)
    source = digest_all([files[n] for n in sorted(files)])
    claimed = claim_version(board, card.name, options.task, options.protocol, submitter, source)
    if isinstance(claimed, Entry):
        return claimed
    prepared = prepare_task(options.atlas, load_task(options.task), options.protocol)
    data = prepared.data
    board.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=board))  # ours alone; removed when done
    try:
        for sample in sorted(set(data.sample_ids.tolist())):
            _stage_sample(folder, files, card, sample, int((data.sample_ids == sample).sum()), staging, options)
        cache = staging / card.name
        write_cache_info(
            cache,
            encoder=f"{SUBMITTED_PREFIX}{card.name}",
            adapter_hash="",
            weights="submitted",
            embed_dim=card.embed_dim,
        )
        try:
            ((result, _),) = run_benchmark(
                options.atlas, [prepared], caches=[(cache, "model")], out=None, cache_root=staging,
                submitted_by=card.name, show_progress=False, keep_predictions=False,
            )  # fmt: skip
        except CacheError as exc:
            raise SubmissionError(str(exc), path=folder) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return add_entry(
        board, result, name=card.name, version=claimed, submitter=submitter, verification="verified",
        how="embeddings scored by the evaluator on the task's split", source_digest=source,
        checks=["data-only files (names, sizes, no pickles)", "shapes and finite values", "scored by the evaluator"],
    )  # fmt: skip


def _stage_sample(
    folder: Path, files: dict[str, Path], card: ModelCard, sample: str, n_spots: int, staging: Path, options: _Options
) -> None:
    """Check one sample's submitted tensor and copy it into the staging cache (numbers only, never executed)."""
    from benchmarks.cache import CACHE_SCHEMA_VERSION, read_embeddings, write_embeddings

    name = safe_name(card.files.get(sample, f"{sample}.safetensors"), where=folder)
    if name not in files:
        msg = f"sample '{sample}' has no embeddings file '{name}'; the task needs every one of its samples"
        raise SubmissionError(msg, path=folder)
    path = files[name]
    header = safetensors_header(path, options.limits)
    tensor = header.get("embeddings")
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
        "schema_version": str(CACHE_SCHEMA_VERSION), "sample_id": sample, "encoder": f"{SUBMITTED_PREFIX}{card.name}",
        "adapter_hash": "", "weights": "submitted", "content_hash": "", "embed_dim": str(shape[1]),
        "spot_ids": str(meta["spot_ids"]),
    }  # fmt: skip
    try:
        emb = read_embeddings(with_meta(path, full_meta, staging / "raw" / f"{sample}.safetensors"))
    except CacheError as exc:
        raise SubmissionError(str(exc).split(": ", 1)[-1], path=path) from exc
    meta_out = {"encoder": f"{SUBMITTED_PREFIX}{card.name}", "adapter_hash": "", "weights": "submitted"}
    write_embeddings(
        staging / card.name, sample, emb.spot_ids, emb.embeddings, {**meta_out, "content_hash": file_digest(path)}
    )


@dataclass(frozen=True)
class _Options:
    atlas: Path | None
    task: str
    protocol: str
    limits: SubmissionLimits
    cache: Path | None
    submitter: str | None
    cohort: Path | None = None
    features: Path | None = None
    prepared: dict[tuple[str, str], PreparedTask] = field(default_factory=dict)  # one per task, for a folder

    def prepare(self, task: Task, protocol: str) -> PreparedTask | None:
        """Return the task prepared on the atlas (once per task and protocol), ``None`` without an atlas."""
        from benchmarks.spot.runner import prepare_task

        if self.atlas is None:
            return None
        key = (task.name, protocol)
        if key not in self.prepared:
            self.prepared[key] = prepare_task(self.atlas, task, protocol)
        return self.prepared[key]


def submit(
    path: Path,
    leaderboard: Path,
    *,
    atlas: Path | None = None,
    task: str = "demo-spot",
    protocol: str = "default",
    limits: SubmissionLimits | None = None,
    cache: Path | None = None,
    submitter: str | None = None,
    cohort: Path | None = None,
    features: Path | None = None,
) -> list[Entry]:
    """Add a submission to a leaderboard folder as new entries (nothing existing is replaced or deleted).

    Parameters
    ----------
    path
        A results JSON, a folder of results JSONs, or an embeddings folder (``model_card.json`` +
        ``<sample>.safetensors``).
    leaderboard
        The leaderboard folder (``entries/``, ``results/``).
    atlas
        The atlas the leaderboard is computed on: needed to score embeddings; for a results file, its split,
        patients and counts are recomputed from it.
    task, protocol
        The task (and protocol) an embeddings submission is scored on.
    limits
        Size limits (defaults: 1 GiB a file, 4 GiB in all, 8 MiB a JSON file).
    cache
        The evaluator's own embedding cache (``stamp-bench run --cache``): a results file whose embeddings are
        there is reproduced and becomes *verified*; otherwise it is *self-reported*.
    cohort, features
        Tiers 2-3: the cohort folder and the evaluator's slide feature root (``stamp-bench run --features``); a
        results file whose slide features are there is reproduced and becomes *verified*.
    submitter
        Who submits (the evaluator sets it from an authenticated account); default: the model card's contact
        or the result's ``submitted_by``, else the login name. A name belongs to its first submitter.

    Raises
    ------
    SubmissionError, ResultError
        The submission is refused; the message names the file and the reason.
    """
    options = _Options(atlas, task, protocol, limits or SubmissionLimits(), cache, submitter, cohort, features)
    path, leaderboard = Path(path), Path(leaderboard)
    if path.is_symlink() or not path.exists():
        msg = "no such file or folder (links are not followed)"
        raise SubmissionError(msg, path=path)
    if path.is_file():
        if path.suffix.lower() != ".json":
            msg = "a single-file submission must be a results JSON made by `stamp-bench run`"
            raise SubmissionError(msg, path=path)
        return [_submit_result(path, leaderboard, options)]
    if (path / "model_card.json").exists():
        return [_submit_embeddings(path, leaderboard, options)]
    results = [p for p in check_files(path, options.limits) if p.suffix.lower() == ".json"]  # parquet: predictions
    if not results:
        msg = "empty folder: expected result JSONs or an embeddings submission with model_card.json"
        raise SubmissionError(msg, path=path)
    return [_submit_result(p, leaderboard, options) for p in results]
