"""BatchNorm CNNs: depthwise convolutions get no LoRA, and the encoder that trains is the encoder that is exported."""

from __future__ import annotations

import pytest
import timm
import torch
from safetensors.torch import save_file

from stamp.data import AtlasPatches, PatchTransform
from stamp.embed import embed_atlas, load_embeddings
from stamp.encoders import Encoder, get_encoder_spec
from stamp.model import lora_target_modules
from stamp.model.norm import set_train_mode
from stamp.train import LoraSettings, fit
from tests.stamp.conftest import tiny_config

SAMPLE = "demo-hd-p4"


@pytest.mark.parametrize("arch", ["tf_efficientnet_lite0", "mobilenetv3_small_100"])
def test_default_targets_of_depthwise_cnns_skip_grouped_convolutions(arch):
    spec = get_encoder_spec(f"timm:{arch}")
    with torch.device("meta"):
        model = timm.create_model(arch, pretrained=False, num_classes=0)
    targets = lora_target_modules(Encoder(model, spec, "meta"), LoraSettings())
    modules = dict(model.named_modules())
    grouped = [n for n, m in modules.items() if isinstance(m, torch.nn.Conv2d) and m.groups > 1]
    assert grouped  # the architecture has depthwise convolutions...
    assert targets
    assert not set(grouped) & set(targets)  # ...and none of them is a target
    assert all(n.count(".") >= 3 and n.startswith("blocks.") for n in targets)  # inside blocks.S.N, not stages
    last = lora_target_modules(Encoder(model, spec, "meta"), LoraSettings(blocks=1))
    assert {".".join(n.split(".")[:3]) for n in last} == {max({".".join(n.split(".")[:3]) for n in targets})}


@pytest.fixture(scope="module")
def base_weights(tmp_path_factory):
    """A BatchNorm, depthwise CNN checkpoint as users have them: timm keys, classifier included."""
    torch.manual_seed(3)
    model = timm.create_model("test_efficientnet", pretrained=False, num_classes=10)
    path = tmp_path_factory.mktemp("weights") / "test_efficientnet.safetensors"
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(path))
    assert any(k.startswith("classifier.") for k in model.state_dict())
    return path


def _fit(demo_atlas, out, weights, *, freeze_norm):
    overrides = {
        "encoder": "timm:test_efficientnet",
        "weights": weights,
        "optim.steps": 4,
        "optim.batch_size": 4,
        "lora.dropout": 0.0,
        "validation.enabled": False,
        "freeze_norm": freeze_norm,
        "checkpoint_every": 4,
    }
    return fit(tiny_config(demo_atlas, out, **overrides), progress=False)


def _patches(demo_atlas):
    data = AtlasPatches(
        demo_atlas,
        PatchTransform(160, timm.data.IMAGENET_DEFAULT_MEAN, timm.data.IMAGENET_DEFAULT_STD),
        splits=None,
        samples=[SAMPLE],
        collections=(),
    )
    return torch.stack([data[i]["image"] for i in range(8)])


def test_depthwise_cnn_fits_with_default_targets_and_exports_what_it_trained(demo_atlas, base_weights, tmp_path):
    result = _fit(demo_atlas, tmp_path / "frozen", base_weights, freeze_norm=True)
    encoder = result.model.encoder
    assert any("lora_A" in n for n, _ in encoder.named_parameters())
    images = _patches(demo_atlas)
    with torch.no_grad():
        set_train_mode(encoder, freeze_norm=True)  # as during fit
        training_time = encoder(images).numpy()
        trained = encoder.eval()(images).numpy()
    folder = embed_atlas(
        demo_atlas, "timm:test_efficientnet", out=tmp_path / "emb", adapter=result.run, samples=[SAMPLE], progress=False
    )
    exported = load_embeddings(folder / f"{SAMPLE}.safetensors").embeddings[:8]
    torch.testing.assert_close(torch.from_numpy(training_time), torch.from_numpy(trained), atol=1e-5, rtol=0)
    torch.testing.assert_close(torch.from_numpy(exported), torch.from_numpy(trained), atol=1e-5, rtol=0)


def test_batch_statistics_during_fit_would_train_another_encoder(demo_atlas, base_weights, tmp_path):
    result = _fit(demo_atlas, tmp_path / "batch-stats", base_weights, freeze_norm=False)
    images = _patches(demo_atlas)
    with torch.no_grad():
        trained = result.model.encoder.eval()(images)
    folder = embed_atlas(
        demo_atlas, "timm:test_efficientnet", out=tmp_path / "emb", adapter=result.run, samples=[SAMPLE], progress=False
    )
    exported = torch.from_numpy(load_embeddings(folder / f"{SAMPLE}.safetensors").embeddings[:8])
    assert (exported - trained).abs().max() > 1e-3  # running statistics moved in memory, not in the export
