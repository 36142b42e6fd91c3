"""Tier 2/3 fixtures: a tiny cohort folder read by ``prepare_slide_task``, and tile bags with a planted signal.

The cohort folder is real (``cohort.json``, label TSVs, slide files on disk), so folds, patients and hashes come from
the same code a fetched cohort goes through. Slide files are empty: the bags are made in memory, one per patient, as
the tile features of all of that patient's slides (what ``load_bags`` returns).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
from threadpoolctl import threadpool_limits

from benchmarks.cohorts.definition import CohortDefinition, LabelSpecs, PretrainingExposure, SyntheticSource
from benchmarks.cohorts.record import CohortFolder, CohortRecord, LabelTable, SlideEntry
from benchmarks.slide.data import SlideData, prepare_slide_task
from benchmarks.slide.task import AbmilSettings, LinearSettings, ProbeSettings, SlideTask

COHORT = "toy-cohort"
DIM = 12
TILES_PER_SLIDE = 6


@dataclass
class ToyCohort:
    """Hidden per-patient level, the slides of each patient, and the labels derived from the level."""

    patients: list[str]
    level: np.ndarray  # the planted signal, one value per patient
    slides: dict[str, list[str]]
    labels: dict[str, pd.DataFrame]  # table -> frame with patient_id and label columns


def make_toy_cohort(n: int = 40, seed: int = 0) -> ToyCohort:
    """Patients with a hidden level; a binary status, a regression target pair and a survival endpoint tied to it."""
    rng = np.random.default_rng(seed)
    patients = [f"P{i:03d}" for i in range(n)]
    level = rng.normal(size=n)
    slides = {p: [f"{p}-S1", f"{p}-S2"] if i % 3 == 0 else [f"{p}-S1"] for i, p in enumerate(patients)}
    status = (level + 0.3 * rng.normal(size=n) > 0).astype(int)
    activity = np.c_[level + 0.3 * rng.normal(size=n), -level + 0.3 * rng.normal(size=n)]
    hazard = np.exp(1.5 * level)
    event_time = rng.exponential(1000.0 / hazard)
    censor_time = rng.uniform(200.0, 3000.0, size=n)
    time = np.round(np.minimum(event_time, censor_time)) + 1.0
    event = (event_time <= censor_time).astype(int)
    labels = {
        "mutations": pd.DataFrame({"patient_id": patients, "GENE1": status}),
        "activity": pd.DataFrame({"patient_id": patients, "PATHWAY_A": activity[:, 0], "PATHWAY_B": activity[:, 1]}),
        "survival": pd.DataFrame({"patient_id": patients, "os_days": time, "os_event": event}),
    }
    return ToyCohort(patients, level, slides, labels)


def write_toy_cohort(root: Path, toy: ToyCohort) -> Path:
    """Write the cohort folder: ``cohort.json``, the label tables and one (empty) file per slide."""
    folder = CohortFolder(root)
    folder.slides_dir.mkdir(parents=True, exist_ok=True)
    entries = []
    for patient in toy.patients:
        for slide in toy.slides[patient]:
            (folder.slides_dir / f"{slide}.tif").write_bytes(b"")
            entries.append(
                SlideEntry(
                    slide_id=slide, patient_id=patient, file=f"slides/{slide}.tif", source="synthetic",
                    license="CC0-1.0",
                )
            )  # fmt: skip
    tables = []
    kinds = {"mutations": "classification", "activity": "regression", "survival": "survival"}
    for name, frame in toy.labels.items():
        folder.write_table(name, frame)
        tables.append(
            LabelTable(
                name=name, kind=kinds[name], columns=[c for c in frame.columns if c != "patient_id"],  # type: ignore[arg-type]
                source="test", created="2024-01-01", n_patients=len(frame),
            )
        )  # fmt: skip
    definition = CohortDefinition(
        name=COHORT, license="CC0-1.0", source=SyntheticSource(), labels=LabelSpecs(),
        pretraining=PretrainingExposure(status="no"),
    )  # fmt: skip
    folder.write(CohortRecord(name=COHORT, definition=definition, created="2024-01-01", slides=entries, labels=tables))
    return root


FAST_ABMIL = AbmilSettings(hidden=16, attention=8, dropout=0.1, epochs=8, batch_size=8, lr=5e-3, seeds=[0, 1])
FAST_LINEAR = LinearSettings(pca_components=8, c_grid=[0.01, 0.1, 1.0], cox_components=4)


def toy_task(kind: str, **overrides: Any) -> SlideTask:
    """A task over the toy cohort of the given kind (mean-linear probe, 200 bootstrap resamples, 4 folds)."""
    label = {
        "classification": {"table": "mutations", "columns": ["GENE1"]},
        "regression": {"table": "activity", "columns": "all"},
        "survival": {"table": "survival", "columns": ["os_days", "os_event"]},
    }[kind]
    doc: dict[str, Any] = {
        "name": f"toy-{kind}", "tier": 3 if kind == "survival" else 2, "kind": kind, "cohort": COHORT,
        "label": label, "folds": {"kind": "patient_kfold", "k": 4, "seed": 0},
        "probes": ProbeSettings(use=["mean-linear"], linear=FAST_LINEAR, abmil=FAST_ABMIL).model_dump(),
        "bootstrap": 200, "seed": 0,
    }  # fmt: skip
    doc.update(overrides)
    return SlideTask.model_validate(doc)


def planted_bags(data: SlideData, level: dict[str, float], *, seed: int = 0, strength: float = 1.0) -> list[np.ndarray]:
    """Per patient, ``TILES_PER_SLIDE`` tiles per slide: noise plus ``strength * level`` along a fixed direction."""
    rng = np.random.default_rng(seed)
    direction = np.zeros(DIM)
    direction[:4] = 0.5  # a direction spanning several features (the top principal component of the pooled bags)
    bags = []
    for patient in data.patients:
        n_tiles = TILES_PER_SLIDE * len(data.slides[patient])
        tiles = rng.normal(size=(n_tiles, DIM)) + strength * level[patient] * direction
        bags.append(tiles.astype(np.float32))
    return bags


def prepared(root: Path, toy: ToyCohort, kind: str, **overrides: Any) -> SlideData:
    """The toy cohort folder read for a task of ``kind`` (written once per folder)."""
    if not CohortFolder(root).record_path.is_file():
        write_toy_cohort(root, toy)
    return prepare_slide_task(root, toy_task(kind, **overrides))


@pytest.fixture(scope="session")
def toy() -> ToyCohort:
    """The toy cohort's hidden levels, slides and labels."""
    return make_toy_cohort()


@pytest.fixture(scope="session")
def toy_dir(toy: ToyCohort, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The toy cohort written as a cohort folder once per session (tests must not change it)."""
    return write_toy_cohort(tmp_path_factory.mktemp("cohort") / COHORT, toy)


@pytest.fixture(autouse=True, scope="module")
def _one_thread() -> Iterator[None]:
    """Tiny probes on a shared 2-core machine: one BLAS and one torch thread (several only oversubscribe the cores).

    ABMIL's bit-identity is asserted at this fixed thread count.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    with threadpool_limits(limits=1):
        yield
    torch.set_num_threads(before)
