"""The issue's CPU test: a short fit on the demo atlas; loss falls; only LoRA + heads train; the run round-trips."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import timm
import torch
from safetensors.torch import load_file

from stamp.data import AtlasPatches, PatchTransform
from stamp.embed import embed_atlas, load_embeddings
from stamp.encoders import create_encoder
from stamp.export import export_merged
from stamp.run_dir import RunFiles, load_run_encoder
from stamp.train.checkpoint import checkpoint_dir, latest_checkpoint


def test_loss_falls(tiny_run):
    _, result = tiny_run
    losses = np.array(result.losses)
    assert len(losses) == 24
    assert losses[-6:].mean() < losses[:6].mean() - 0.2, losses


def test_only_lora_and_heads_are_trainable_and_base_weights_stay(tiny_run):
    config, result = tiny_run
    encoder = load_run_encoder(result.run)
    # the weights before training: the same random init (vit-tiny-test has no hub weights), built afresh here
    before = create_encoder(config.encoder, pretrained=False, seed=config.seed).timm_model.state_dict()
    saved = load_file(str(result.run / RunFiles.BASE))
    assert saved.keys() == before.keys()
    merged_names = [n for n, _ in encoder.named_parameters()]
    assert any("lora_A" in n for n in merged_names)
    # every non-LoRA tensor of the trained model (and of the saved base) equals the weights before training
    state = encoder.timm_model.state_dict()
    for key, value in before.items():
        live = state.get(
            key, state.get(key.replace(".weight", ".base_layer.weight").replace(".bias", ".base_layer.bias"))
        )
        torch.testing.assert_close(live, value)
        torch.testing.assert_close(saved[key], value)
    checkpoint = latest_checkpoint(result.run)
    trained = load_file(str(checkpoint / "trainable.safetensors"))
    assert all(
        "lora_" in k or k.startswith(("image_proj", "pathway_encoder", "regressor", "logit_scale")) for k in trained
    )
    assert any(k.startswith("encoder.") for k in trained)


def test_run_directory_has_the_contract_files(tiny_run):
    _, result = tiny_run
    for name in (
        "adapter/adapter_config.json",
        "adapter/adapter_model.safetensors",
        RunFiles.HEADS,
        RunFiles.CONFIG,
        RunFiles.METRICS,
        RunFiles.CARD,
        RunFiles.STATS,
        RunFiles.INFO,
    ):
        assert (result.run / name).is_file(), name
    rows = list(csv.DictReader((result.run / RunFiles.METRICS).open()))
    assert [int(r["step"]) for r in rows] == [0, *range(2, 25, 2)]
    # the base encoder is validated at step 0 (no training columns), the last step has both
    assert rows[0]["loss"] == ""
    assert float(rows[0]["drift_cka"]) == pytest.approx(1.0)
    for key in ("val_hallmark_r", "val_random_r", "val_gap", "drift_cosine", "drift_cka", "loss"):
        assert rows[-1][key] != "", key
    assert rows[1]["val_gap"] == ""
    assert list((result.run / RunFiles.TENSORBOARD).glob("events.out.tfevents.*"))
    card = (result.run / RunFiles.CARD).read_text()
    assert "vit-tiny-test" in card
    assert "| base (step 0) |" in card
    info = json.loads((result.run / RunFiles.INFO).read_text())
    validation = info["validation"]
    assert validation["val_patients"] == ["synth-breast:P3"]
    assert "synth-breast:P3" not in info["train_patients"]
    assert validation["base"]["step"] == 0
    assert validation["selected"]["step"] in {int(r["step"]) for r in rows if r["val_gap"]}
    assert validation["left_out_samples"] == {"demo-xenium-p4": "its genes cover only 1 of 50 hallmark sets"}


def test_adapter_round_trips_through_embed_and_merged_export(tiny_run, demo_atlas, tmp_path):
    _, result = tiny_run
    folder = embed_atlas(demo_atlas, "vit-tiny-test", out=tmp_path / "emb", adapter=result.run, progress=False)
    assert folder.name.startswith("vit-tiny-test+")
    cached = load_embeddings(folder / "demo-visium-p1a.safetensors")
    # the same patches through a freshly loaded adapter give the same embeddings
    encoder = load_run_encoder(result.run)
    data = AtlasPatches(
        demo_atlas,
        PatchTransform(112, (0.5,) * 3, (0.5,) * 3),
        splits=None,
        samples=["demo-visium-p1a"],
        collections=(),
    )
    assert data.spot_id.tolist() == cached.spot_ids
    images = torch.stack([data[i]["image"] for i in range(10)])
    with torch.no_grad():
        again = encoder(images).numpy()
    np.testing.assert_allclose(again, cached.embeddings[:10], atol=1e-5)
    # the adapter changed the encoder: base embeddings differ
    base = embed_atlas(
        demo_atlas,
        "vit-tiny-test",
        out=tmp_path / "emb",
        weights=result.run / RunFiles.BASE,
        samples=["demo-visium-p1a"],
        progress=False,
    )
    assert np.abs(load_embeddings(base / "demo-visium-p1a.safetensors").embeddings[:10] - again).max() > 1e-3
    # merged export loads as a plain timm model and gives the same embeddings
    out = export_merged(result.run, tmp_path / "export")
    plain = timm.create_model(f"local-dir:{out}", pretrained=True, num_classes=0).eval()
    with torch.no_grad():
        merged = plain.forward_head(plain.forward_features(images), pre_logits=True).numpy()
    np.testing.assert_allclose(merged, cached.embeddings[:10], atol=1e-4)


def test_embedding_cache_skips_unchanged_samples(tiny_run, demo_atlas, tmp_path):
    _, result = tiny_run
    folder = embed_atlas(
        demo_atlas, "vit-tiny-test", out=tmp_path, adapter=result.run, samples=["demo-hd-p4"], progress=False
    )
    path = folder / "demo-hd-p4.safetensors"
    stamp = path.stat().st_mtime_ns
    embed_atlas(demo_atlas, "vit-tiny-test", out=tmp_path, adapter=result.run, samples=["demo-hd-p4"], progress=False)
    assert path.stat().st_mtime_ns == stamp


def test_adapter_hash_follows_weights_not_config_order(tiny_run, tmp_path):
    import json
    import shutil

    from stamp.run_dir import adapter_hash

    _, result = tiny_run
    copy = Path(
        shutil.copytree(
            result.run,
            tmp_path / "copy",
            ignore=shutil.ignore_patterns(checkpoint_dir(result.run).name, RunFiles.TENSORBOARD),
        )
    )
    config_path = copy / "adapter" / "adapter_config.json"
    config = json.loads(config_path.read_text())
    config["target_modules"] = sorted(config["target_modules"], reverse=True)
    config_path.write_text(json.dumps(config))
    assert adapter_hash(copy) == adapter_hash(result.run)
    heads = load_file(str(copy / RunFiles.HEADS))
    heads["logit_scale"] = heads["logit_scale"] + 1
    from safetensors.torch import save_file

    save_file(heads, str(copy / RunFiles.HEADS))
    assert adapter_hash(copy) != adapter_hash(result.run)
