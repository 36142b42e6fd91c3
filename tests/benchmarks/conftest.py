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


def write_cache(folder: Path, prepared: PreparedTask, x: np.ndarray, *, encoder: str, weights: str = "hub") -> Path:
    """Write embeddings ``x`` (rows as the prepared task's spots) in the cache format."""
    data = prepared.data
    for sample in sorted(set(data.sample_ids.tolist())):
        rows = np.flatnonzero(data.sample_ids == sample)
        meta = {"encoder": encoder, "adapter_hash": "", "weights": weights, "content_hash": f"{encoder}-{sample}"}
        write_embeddings(folder, sample, data.spot_ids[rows].tolist(), x[rows], meta)
    write_cache_info(folder, encoder=encoder, adapter_hash="", weights=weights, embed_dim=x.shape[1])
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
