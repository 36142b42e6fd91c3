"""Hand-made tier-2/3 results with known answers, written as `stamp-bench run` writes them, and their cohort folder.

Ten patients, one real (small, pyramidal TIFF) slide each, tiled on a grid of 64-pixel tiles. Two entries: A (the
base encoder) and B (with an adapter). Known answers:

- status: A a chance classifier (every probability 0.5: the ROC curve is the diagonal, AUROC 0.5, balanced accuracy
  0.5), B a perfect one (probability 0.9 for every positive, 0.1 for every negative: the curve goes through the
  corner, AUROC 1, balanced accuracy 1);
- two negative-control tasks of the status task, both entries at chance (constant 0.5);
- survival: five patients with events at 10, 20, ..., 50 days, five at 100, 200, ..., 500 days; B's risk is minus
  the time, so its median split is exactly these two groups (Kaplan-Meier medians 30 and 300 days, C-index 1 over
  45 comparable pairs); A's risk is seeded noise;
- activity: two pathways and their random sets; B predicts the pathways exactly (r = 1), A predicts noise.

Scores come from :func:`benchmarks.slide.outcomes.score_predictions`, the runner's own scoring.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.runner import hardware
from benchmarks.schema import CohortRef, IntervalInfo, PredictionsRef, Result, TaskRef, result_filename, write_result
from benchmarks.slide.outcomes import score_predictions
from benchmarks.slide.predictions import (
    OUTCOME_PREDICTIONS_VERSION,
    OutcomePredictions,
    outcome_predictions_filename,
    write_outcome_predictions,
)
from benchmarks.slide.task import SlideTask
from benchmarks.slide.tiles import TilePlaces
from benchmarks.tasks import task_hash
from humanst.synth.slides import write_slide
from tests.benchmarks.slide.conftest import ToyCohort, write_toy_cohort

N = 10
PROBES = ("mean-linear", "abmil")
SLIDE_PX, TILE_PX, UM_PER_PX = (512, 384), 64, 0.5
ADAPTER = "abc123def456"
A_KEY, B_KEY = "vit-tiny-test", f"vit-tiny-test+{ADAPTER}"
STATUS, NULL1, NULL2, SURVIVAL, ACTIVITY = "hm-status", "hm-null", "hm-null-2", "hm-survival", "hm-activity"
HIGH_TIMES = np.arange(10.0, 60.0, 10.0)  # events; Kaplan-Meier median 30
LOW_TIMES = np.arange(100.0, 600.0, 100.0)  # events; Kaplan-Meier median 300
PLANTED_TILE = 13  # the tile B's ABMIL attends to, on every slide
PATIENTS = [f"P{i:02d}" for i in range(N)]


def _task(name: str, kind: str, **extra: Any) -> SlideTask:
    label = {
        "classification": {"table": "mutations", "columns": ["GENE1"]},
        "survival": {"table": "survival", "columns": ["os_days", "os_event"]},
        "regression": {"table": "activity", "columns": "all", "control": "activity-random"},
    }[kind]
    doc = {"name": name, "tier": 3 if kind == "survival" else 2, "kind": kind, "cohort": "toy-cohort",
           "label": label, "bootstrap": 200, "seed": 0, **extra}  # fmt: skip
    return SlideTask.model_validate(doc)


def tile_places(patient: str) -> TilePlaces:
    """The patient's one slide tiled on a 64-pixel grid: 8 x 6 tiles, corners in level-0 pixels."""
    xs, ys = np.meshgrid(np.arange(SLIDE_PX[0] // TILE_PX) * TILE_PX, np.arange(SLIDE_PX[1] // TILE_PX) * TILE_PX)
    corners = np.column_stack([xs.ravel(), ys.ravel()])
    return TilePlaces.join([f"{patient}-S1"], [corners], [TILE_PX])


def _tile_scores(entry: str, width: int = 1) -> dict[str, list[np.ndarray]]:
    n_tiles = len(tile_places(PATIENTS[0]))
    attention = np.full((n_tiles, 1), 1.0 / n_tiles)
    if entry == "B":
        attention = np.full((n_tiles, 1), 0.2 / (n_tiles - 1))
        attention[PLANTED_TILE] = 0.8
    linear = np.linspace(-1.0, 1.0, n_tiles)[:, None].repeat(width, axis=1) * (2.0 if entry == "B" else 1.0)
    return {"abmil": [attention] * N, "mean-linear": [linear] * N}


def _predictions(kind: str, measured: dict[str, np.ndarray], predicted: dict[str, np.ndarray], entry: str,
                 targets: dict[str, list[str]]) -> OutcomePredictions:  # fmt: skip
    width = predicted["label"].shape[1]
    return OutcomePredictions(
        kind=kind, patients=np.asarray(PATIENTS, dtype=object),
        folds=np.asarray([f"fold{i % 4}" for i in range(N)], dtype=object), targets=targets, measured=measured,
        predicted={(p, b): v for p in PROBES for b, v in predicted.items()},
        tiles=[tile_places(p) for p in PATIENTS], tile_scores=_tile_scores(entry, 1 if kind != "regression" else width),
        tile_what={"abmil": "attention weight", "mean-linear": "linear score"},
    )  # fmt: skip


def _write(task: SlideTask, predictions: OutcomePredictions, entry: str, folder: Path, seed: int | None = None) -> Path:
    """Write one entry's result; ``seed``: B as replicate seed ``seed`` of one fit (its own adapter hash)."""
    key, adapter = (A_KEY, "") if entry == "A" else (B_KEY, ADAPTER)
    if seed is not None:
        adapter = f"{seed:012d}"
        key = f"vit-tiny-test+{adapter}"
    scores = score_predictions(task, predictions)
    kinds = {s.interval for s in scores}
    result = Result(
        kind="model", encoder="vit-tiny-test", adapter_hash=adapter, weights="random", embedding_key=key,
        embeddings_hash="e" * 64, embed_dim=8, code_version="test",
        task=TaskRef(name=task.name, tier=task.tier, protocol="default", task_hash=task_hash(task),
                     atlas_hash="c" * 64, split_hash="s" * 64, n_spots=N * 48, n_samples=N, patients=PATIENTS,
                     negative_control_of=list(task.negative_control_of)),
        blocks=[], gaps=[],
        intervals=IntervalInfo(kind="patient_bootstrap" if kinds == {"patient_bootstrap"} else "none", min_patients=5,
                               n_boot=task.bootstrap),
        hardware=hardware(), wall_time_s=0.0, created="2026-01-01T00:00:00+00:00", outcomes=scores,
        cohort=CohortRef(name="toy-cohort", content_hash="h" * 64, pretraining_overlap="no", cohort_overlap="no"),
        adapter_seed=seed, adapter_group="" if seed is None else "group-b",
    )  # fmt: skip
    name = outcome_predictions_filename(result_filename(key, task.name, "default"))
    sha256 = write_outcome_predictions(predictions, folder / name)
    ref = PredictionsRef(file=name, sha256=sha256, schema_version=OUTCOME_PREDICTIONS_VERSION, n_spots=N)
    return write_result(result.model_copy(update={"predictions": ref}), folder)


def write_status_seeds(folder: Path, probabilities: dict[int, np.ndarray]) -> None:
    """Write the status task's results of replicate seeds of B into ``folder``: seed -> each patient's probability."""
    status = np.array([i % 2 for i in range(N)], dtype=float)
    for seed, p in probabilities.items():
        predictions = _predictions("classification", {"label": status[:, None]}, {"label": p[:, None]}, "B",
                                   {"label": ["GENE1"]})  # fmt: skip
        _write(_task(STATUS, "classification"), predictions, "B", folder, seed=seed)


def write_handmade(root: Path) -> dict[str, Path]:
    """Write the cohort folder (real slides) and A's and B's result folders; return their paths."""
    rng = np.random.default_rng(7)
    status = np.array([i % 2 for i in range(N)], dtype=float)
    time = np.empty(N)
    high = np.arange(N) % 2 == 0  # every other patient is in the short-survival group
    time[high], time[~high] = HIGH_TIMES, LOW_TIMES
    activity = rng.normal(size=(N, 2))
    control = rng.normal(size=(N, 2))
    toy = ToyCohort(
        PATIENTS, np.zeros(N), {p: [f"{p}-S1"] for p in PATIENTS},
        {"mutations": pd.DataFrame({"patient_id": PATIENTS, "GENE1": status.astype(int)})},
    )  # fmt: skip
    cohort = write_toy_cohort(root / "cohort", toy)
    for i, patient in enumerate(PATIENTS):
        image = np.full((SLIDE_PX[1], SLIDE_PX[0], 3), (230, 190 - 3 * i, 215), dtype=np.uint8)
        write_slide(cohort / "slides" / f"{patient}-S1.tif", image, um_per_px=UM_PER_PX, compression="zlib")
    half = np.full((N, 1), 0.5)
    perfect = np.where(status[:, None] == 1, 0.9, 0.1)
    y_surv = np.column_stack([time, np.ones(N)])
    tasks = {
        STATUS: (_task(STATUS, "classification"), {"label": status[:, None]},
                 {"A": {"label": half}, "B": {"label": perfect}}),
        NULL1: (_task(NULL1, "classification", negative_control_of=[STATUS]), {"label": status[:, None]},
                {"A": {"label": half}, "B": {"label": half}}),
        NULL2: (_task(NULL2, "classification", negative_control_of=[STATUS]), {"label": status[:, None]},
                {"A": {"label": half}, "B": {"label": half}}),
        SURVIVAL: (_task(SURVIVAL, "survival"), {"label": y_surv},
                   {"A": {"label": rng.normal(size=(N, 1))}, "B": {"label": -time[:, None]}}),
        ACTIVITY: (_task(ACTIVITY, "regression"), {"label": activity, "control": control},
                   {"A": {"label": rng.normal(size=(N, 2)), "control": rng.normal(size=(N, 2))},
                    "B": {"label": activity.copy(), "control": rng.normal(size=(N, 2))}}),
    }  # fmt: skip
    targets = {
        "classification": {"label": ["GENE1"]},
        "survival": {"label": ["os_days", "os_event"]},
        "regression": {"label": ["PW_A", "PW_B"], "control": ["random:PW_A", "random:PW_B"]},
    }
    folders = {"A": root / "base", "B": root / "aligned"}
    for task, measured, by_entry in tasks.values():
        for entry, predicted in by_entry.items():
            preds = _predictions(task.kind, measured, predicted, entry, targets[task.kind])
            _write(task, preds, entry, folders[entry])
    return {"cohort": cohort, **folders}
