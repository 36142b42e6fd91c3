"""Benchmark fixtures: the demo task prepared once on the session's demo atlas, synthetic embedding caches."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from benchmarks.cache import write_cache_info, write_embeddings
from benchmarks.cli import app
from benchmarks.spot.runner import PreparedTask, prepare_task
from benchmarks.tasks import load_task


def write_cache(
    folder: Path, prepared: PreparedTask, x: np.ndarray, *, encoder: str, weights: str = "hub",
    replicate: dict[str, object] | None = None,
) -> Path:  # fmt: skip
    """Write embeddings ``x`` (rows as the prepared task's spots) in the cache format (``replicate``: seed, group)."""
    data = prepared.data
    for sample in sorted(set(data.sample_ids.tolist())):
        rows = np.flatnonzero(data.sample_ids == sample)
        meta = {"encoder": encoder, "adapter_hash": "", "weights": weights, "content_hash": f"{encoder}-{sample}"}
        write_embeddings(folder, sample, data.spot_ids[rows].tolist(), x[rows], meta)
    write_cache_info(
        folder, encoder=encoder, adapter_hash="", weights=weights, embed_dim=x.shape[1], replicate=replicate
    )
    return folder


@pytest.fixture(scope="session")
def demo_task():
    return load_task("demo-spot")


@pytest.fixture(scope="session")
def prepared(demo_atlas: Path, demo_task) -> PreparedTask:
    """The demo task (pathways, random-set controls, genes) prepared once."""
    return prepare_task(demo_atlas, demo_task)


@pytest.fixture(scope="session")
def informative_cache(prepared: PreparedTask, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Embeddings = the hallmark scores + noise, padded with noise dimensions (a 'good' encoder)."""
    rng = np.random.default_rng(0)
    _, scores = prepared.data.pathways["hallmark"]
    z = (scores - scores.mean(0)) / scores.std(0)
    x = np.hstack([z + 0.5 * rng.normal(size=z.shape), rng.normal(size=(z.shape[0], 30))]).astype(np.float32)
    return write_cache(tmp_path_factory.mktemp("emb") / "good-encoder", prepared, x, encoder="good-encoder")


@pytest.fixture
def cache_copy(informative_cache: Path, tmp_path: Path) -> Path:
    """A private copy of the informative cache (tests may damage it)."""
    return Path(shutil.copytree(informative_cache, tmp_path / informative_cache.name))


@pytest.fixture(scope="session")
def demo_results(demo_atlas, tmp_path_factory):
    out = tmp_path_factory.mktemp("results")
    result = CliRunner().invoke(
        app, ["run", "--atlas", str(demo_atlas), "--encoder", "vit-tiny-test", "--out", str(out), "--device", "cpu"]
    )
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="session")
def replicate_results(prepared: PreparedTask, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Result folders of a light demo task (no genes, 100 resamples): a base, and two replicate seeds each of an
    aligned encoder and of its control (synthetic embeddings; the aligned one carries more pathway signal)."""
    import dataclasses

    from benchmarks.spot.runner import evaluate_cache

    task = prepared.task
    probe = task.probe.model_copy(update={"alphas": [1.0, 100.0, 1e4], "pca_components": 16})
    light = dataclasses.replace(
        prepared,
        task=task.model_copy(update={"bootstrap": 100, "probe": probe}),
        blocks=[b for b in prepared.blocks if b.kind != "genes"],
    )
    _, scores = prepared.data.pathways["hallmark"]
    z = (scores - scores.mean(0)) / scores.std(0)
    root = tmp_path_factory.mktemp("replicates")
    folders = {}
    plan = [("base", None, 0.0, 0), ("aligned", "g-aligned", 1.0, 0), ("aligned", "g-aligned", 1.0, 1)]
    plan += [("control", "g-control", 0.3, 0), ("control", "g-control", 0.3, 1)]
    for name, group, signal, seed in plan:
        rng = np.random.default_rng([seed, len(name)])
        x = np.hstack([signal * z + rng.normal(size=z.shape), rng.normal(size=(z.shape[0], 10))]).astype(np.float32)
        key = name if group is None else f"{name}+seed{seed}"  # one cache folder per adapter, one encoder name
        replicate = None if group is None else {"seed": seed, "group": group}
        cache = write_cache(root / "emb" / key, prepared, x, encoder=name, replicate=replicate)
        folders[name] = root / name
        evaluate_cache(light, cache, kind="model", out=folders[name])
    return folders
