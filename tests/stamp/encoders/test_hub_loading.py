"""Hub loading through timm's ``hf-hub:`` against a local HTTP server standing in for the Hugging Face Hub."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import huggingface_hub.constants as hf_constants
import pytest
import timm
import torch

from stamp.encoders import create_encoder, get_encoder_spec
from stamp.errors import EncoderError
from tests.local_http import FakeServer

COMMIT = "89abcdef0123456789abcdef0123456789abcdef"


@pytest.fixture
def hub(monkeypatch, tmp_path) -> Iterator[FakeServer]:
    """A local server as the hub endpoint, an empty hub cache, offline mode off for this test only."""
    with FakeServer() as server:
        monkeypatch.setattr(hf_constants, "ENDPOINT", server.base)
        monkeypatch.setattr(
            hf_constants, "HUGGINGFACE_CO_URL_TEMPLATE", server.base + "/{repo_id}/resolve/{revision}/{filename}"
        )
        monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", False)
        monkeypatch.setattr(hf_constants, "HF_HUB_CACHE", str(tmp_path / "hub-cache"))
        monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub-cache"))
        monkeypatch.delenv("HF_TOKEN", raising=False)
        yield server


def _serve_file(server: FakeServer, repo: str, name: str, body: bytes) -> None:
    headers = {"X-Repo-Commit": COMMIT, "ETag": f'"{hashlib.sha256(body).hexdigest()}"'}
    server.add(f"/{repo}/resolve/main/{name}", body=body, headers=headers)


def test_timm_hub_weights_are_downloaded_and_loaded(hub, tmp_path):
    spec = get_encoder_spec("timm:test_vit")
    repo = spec.hub_id
    torch.manual_seed(1)
    source = timm.create_model("test_vit", pretrained=False, num_classes=0)
    export = tmp_path / "export"
    timm.models.save_for_hf(source, str(export), safe_serialization=True)
    for name in ("config.json", "model.safetensors"):
        _serve_file(hub, repo, name, (export / name).read_bytes())
    encoder = create_encoder("timm:test_vit")
    assert encoder.weights_id == f"hub:{repo}"
    for key, value in source.state_dict().items():
        torch.testing.assert_close(encoder.timm_model.state_dict()[key], value)
    assert hub.hits(f"/{repo}/resolve/main/model.safetensors") == 1


def test_gated_model_says_where_to_accept_the_terms(hub):
    for name in ("config.json", "model.safetensors", "pytorch_model.bin", "open_clip_config.json"):
        hub.add(
            f"/MahmoodLab/UNI/resolve/main/{name}",
            status=403,
            headers={"X-Error-Code": "GatedRepo", "X-Error-Message": "Access to model MahmoodLab/UNI is restricted"},
        )
    with pytest.raises(EncoderError, match=r"gated: accept its terms at https://huggingface.co/MahmoodLab/UNI") as err:
        create_encoder("uni")
    assert "hf auth login" in str(err.value)


def test_missing_repository_is_named(hub):
    hub.add("/MahmoodLab/UNI/resolve/main/config.json", status=404, headers={"X-Error-Code": "RepoNotFound"})
    with pytest.raises(EncoderError, match="not found or is private"):
        create_encoder("uni")
