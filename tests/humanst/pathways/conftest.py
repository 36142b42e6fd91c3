"""A planted synthetic Visium sample, written by the real writer and read by spatialdata-io."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import spatialdata_io

from humanst.manifest.models import SynthSpec
from humanst.synth import PROGRAMMES, SynthSample, get_format, read_truth


@pytest.fixture(scope="session")
def planted(tmp_path_factory):
    """``(adata, truth, sample)``: ~400 Visium spots with planted programmes and shared factors."""
    sample = SynthSample.create("planted", "visium", SynthSpec(seed=9, width_um=2000, height_um=2000, um_per_px=2.0))
    written = get_format("visium").writer(sample, tmp_path_factory.mktemp("planted") / "planted")
    sdata = spatialdata_io.visium(written.data_path, dataset_id="planted")
    adata = sdata.tables["table"]
    adata.X = adata.X.astype(np.float32)
    truth, _ = read_truth(written.root)
    truth = truth.loc[adata.obs_names]
    return adata, truth, sample


@pytest.fixture(scope="session")
def null_genes(planted):
    """Genes outside every planted programme: a random set of them carries only technical signal."""
    _, _, sample = planted
    member = (sample.genes.effects > 0).any(axis=1)
    return np.asarray(sample.genes.genes)[~member]


@pytest.fixture(scope="session")
def programme_sets():
    """``(Hallmark set, programme)`` pairs that carry a planted programme."""
    return [(gs, p.name) for p in PROGRAMMES for gs in p.gene_sets]


@pytest.fixture(scope="session")
def shared_factor(planted):
    _, truth, _ = planted
    return pd.Series(np.log(truth["library_size"] * truth["cellularity"]).to_numpy(), index=truth.index)
