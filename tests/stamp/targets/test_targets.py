"""Target kinds of `stamp fit`: a random-aligned fit is the pathway fit with other targets; genes come from training."""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from humanst.store import Atlas
from stamp.data import AtlasPatches, PatchTransform
from stamp.errors import ConfigError
from stamp.model.aligner import StampAligner
from stamp.run_dir import RunFiles
from stamp.targets import TARGETS, target_kinds
from stamp.train import fit, load_config

VAL_PATIENT = "synth-colon:P4"  # a training-split patient held out for validation (``--val-patients``)


def _config(atlas, out, kind: str):
    overrides = {
        "atlas": atlas, "encoder": "vit-tiny-test", "out": out, "seed": 3, "data.targets": kind,
        "data.num_workers": 0, "optim.steps": 3, "optim.batch_size": 4, "optim.warmup_steps": 1,
        "validation.enabled": False, "log_every": 1, "data.splits": ["val"],  # two samples: a few seconds
    }  # fmt: skip
    return load_config(None, overrides)


def test_random_aligned_fit_differs_from_the_pathway_fit_only_in_its_targets(demo_atlas, tmp_path, monkeypatch):
    seen: dict[str, list] = {}
    forward = StampAligner.forward

    def spy(self, images, pathways, mask):
        trainable = [p.detach().clone() for _, p in sorted(self.named_parameters()) if p.requires_grad]
        frozen = [p.detach().clone() for _, p in sorted(self.named_parameters()) if not p.requires_grad]
        seen[self.tag].append((images.clone(), pathways.clone(), trainable, frozen))
        return forward(self, images, pathways, mask)

    monkeypatch.setattr(StampAligner, "forward", spy)
    runs = {}
    for kind in ("pathways", "random"):
        seen[kind] = []
        monkeypatch.setattr(StampAligner, "tag", kind, raising=False)
        runs[kind] = fit(_config(demo_atlas, tmp_path / kind, kind), progress=False)
    path, rand = seen["pathways"], seen["random"]
    assert len(path) == len(rand) == 3  # the same steps
    for step, (a, b) in enumerate(zip(path, rand, strict=True)):
        torch.testing.assert_close(a[0], b[0], rtol=0, atol=0)  # the same sampler, rows and augmentations
        assert not torch.equal(a[1], b[1]), step  # ... and other targets
        for x, y in zip(a[3], b[3], strict=True):  # the same frozen encoder
            torch.testing.assert_close(x, y, rtol=0, atol=0)
    for x, y in zip(path[0][2], rand[0][2], strict=True):  # the same initial LoRA and heads (50 targets each)
        torch.testing.assert_close(x, y, rtol=0, atol=0)
    configs = {
        k: load_config(r.run / RunFiles.CONFIG).model_dump(mode="json", exclude={"out"}) for k, r in runs.items()
    }
    assert configs["pathways"]["data"].pop("targets") == "pathways"
    assert configs["random"]["data"].pop("targets") == "random"
    assert configs["pathways"] == configs["random"]
    info = json.loads((runs["random"].run / RunFiles.INFO).read_text())
    assert info["targets"]["kind"] == "random"
    names = json.loads((runs["random"].run / RunFiles.STATS).read_text())["names"]
    hallmark = Atlas.open(demo_atlas).pathway_names()["hallmark"]
    assert names == [f"random:hallmark:{p}" for p in hallmark]


def test_gene_targets_are_the_top_variable_genes_of_the_training_patients(demo_atlas):
    transform = PatchTransform(112, (0.5,) * 3, (0.5,) * 3)
    data = AtlasPatches(demo_atlas, transform, exclude_patients=[VAL_PATIENT], targets=_spec("genes", n_genes=12))
    assert VAL_PATIENT not in set(data.patient_id.tolist())
    assert data.target_details["chosen_on_patients"] == sorted(set(data.patient_id.tolist()))
    # recompute from the sample stores: log1p CP10k of the training spots, genes detected in every training sample
    atlas = Atlas.open(demo_atlas)
    tables = [atlas.read_table(s) for s in sorted(set(data.sample_id.tolist()))]
    detected = set.intersection(
        *(set(np.asarray(t.var_names)[np.asarray((t.X > 0).sum(0)).ravel() > 0]) for t in tables)
    )
    blocks = []
    for t in tables:
        x = sp.csr_matrix(t[:, sorted(detected)].X, dtype=np.float64)
        totals = np.asarray(t.X.sum(axis=1)).ravel()
        blocks.append(np.log1p(x.toarray() * (1e4 / totals[:, None])))
    expr = np.vstack(blocks)
    var = expr.var(axis=0)
    expected = sorted(np.asarray(sorted(detected))[np.argsort(-var, kind="stable")[:12]].tolist())
    assert sorted(data.target_details["genes"]) == expected
    assert data.targets.shape == (len(data), 12)
    # standardised within each sample like pathway scores
    first = data.sample_id == data.sample_id[0]
    np.testing.assert_allclose(data.targets[first].mean(0), 0.0, atol=1e-5)


def _spec(kind: str, **kwargs):
    from stamp.targets import TargetSpec

    return TargetSpec(kind=kind, **kwargs)


def test_target_kinds_are_one_registry_and_a_typo_lists_them():
    assert target_kinds() == ["genes", "pathways", "random"] == TARGETS.names()
    with pytest.raises(ConfigError, match="known: genes, pathways, random"):
        load_config(None, {"atlas": "a", "data.targets": "random-sets"})


def test_data_pathways_keeps_only_the_named_pathways_and_names_an_unknown_one(demo_atlas):
    from stamp.errors import DataError

    transform = PatchTransform(112, (0.5,) * 3, (0.5,) * 3)
    ceiling = AtlasPatches(
        demo_atlas, transform, splits=["val"], targets=_spec("pathways", pathways=("HALLMARK_CHOLESTEROL_HOMEOSTASIS",))
    )
    everything = AtlasPatches(demo_atlas, transform, splits=["val"], targets=_spec("pathways"))
    assert ceiling.target_names == ["hallmark:HALLMARK_CHOLESTEROL_HOMEOSTASIS"]
    assert ceiling.target_details["pathways"] == ["HALLMARK_CHOLESTEROL_HOMEOSTASIS"]
    column = everything.target_names.index("hallmark:HALLMARK_CHOLESTEROL_HOMEOSTASIS")
    np.testing.assert_allclose(ceiling.targets[:, 0], everything.targets[:, column], atol=1e-6)
    with pytest.raises(DataError, match="HALLMARK_NOT_A_SET"):
        AtlasPatches(demo_atlas, transform, splits=["val"], targets=_spec("pathways", pathways=("HALLMARK_NOT_A_SET",)))
    with pytest.raises(ConfigError, match=r"data\.pathways"):
        load_config(None, {"atlas": "a", "data.targets": "random", "data.pathways": ["HALLMARK_HYPOXIA"]})
