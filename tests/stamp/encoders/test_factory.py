from __future__ import annotations

import pytest
import torch
from safetensors.torch import save_file

from stamp.encoders import create_encoder
from stamp.errors import EncoderError


def test_local_safetensors_weights_reproduce_the_model(tmp_path):
    source = create_encoder("vit-tiny-test", seed=3).eval()
    path = tmp_path / "w.safetensors"
    save_file({k: v.contiguous() for k, v in source.timm_model.state_dict().items()}, str(path))
    loaded = create_encoder("vit-tiny-test", weights=path, seed=99).eval()
    x = torch.randn(2, 3, 112, 112)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), source(x))
    assert loaded.weights_id.startswith("file:")
    other = create_encoder("vit-tiny-test", seed=99).eval()
    with torch.no_grad():
        assert not torch.allclose(other(x), source(x))


def test_weights_of_another_model_are_refused_with_the_keys(tmp_path):
    path = tmp_path / "w.safetensors"
    save_file({"fc.weight": torch.zeros(2, 2)}, str(path))
    with pytest.raises(EncoderError, match=r"do not fit .*missing"):
        create_encoder("vit-tiny-test", weights=path)


def test_pickled_checkpoints_are_never_loaded(tmp_path):
    path = tmp_path / "w.pt"
    path.write_bytes(b"not read")
    with pytest.raises(EncoderError, match="pickled checkpoints are never loaded"):
        create_encoder("vit-tiny-test", weights=path)


def test_hub_model_offline_and_uncached_gives_an_actionable_message(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    import huggingface_hub.constants as hub_constants

    monkeypatch.setattr(hub_constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(hub_constants, "HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(EncoderError, match=r"'uni' \(MahmoodLab/UNI\).*--weights"):
        create_encoder("uni")


def test_random_init_and_pooling_width():
    encoder = create_encoder("vit-tiny-test")
    assert encoder.weights_id == "random"
    assert encoder(torch.randn(3, 3, 112, 112)).shape == (3, 64)


@pytest.mark.parametrize(("arch", "classifier"), [("test_efficientnet", "classifier."), ("test_convnext", "head.fc.")])
def test_a_checkpoint_with_its_classifier_loads_without_it(tmp_path, arch, classifier):
    import timm

    torch.manual_seed(0)
    with_head = timm.create_model(arch, pretrained=False, num_classes=7).eval()
    state = with_head.state_dict()
    assert any(k.startswith(classifier) for k in state)  # the arch's own classifier, as timm names it
    path = tmp_path / "w.safetensors"
    save_file({k: v.contiguous() for k, v in state.items()}, str(path))
    encoder = create_encoder(f"timm:{arch}", weights=path).eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(encoder(x), with_head.forward_head(with_head.forward_features(x), pre_logits=True))
