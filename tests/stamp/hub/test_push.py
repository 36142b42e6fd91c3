"""``stamp push`` and ``--adapter hf:`` against a fake hub on 127.0.0.1: what is sent, and that it loads back the same.

The pushed adapter loads with ``peft.PeftModel.from_pretrained`` and as ``--adapter hf:ORG/NAME`` in ``stamp embed``
and ``stamp embed-slides`` with the run folder's embeddings; ``--merged`` loads with ``timm.create_model("hf-hub:")``;
a gated base refuses ``--merged`` before anything is sent.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from typer.testing import CliRunner

from humanst.errors import HubError
from stamp.cli import app
from stamp.embed import embed_atlas, load_embeddings
from stamp.hub import fetch_hub_snapshot, resolve_adapter
from stamp.run_dir import RunFiles, adapter_hash, load_run_encoder
from tests.conftest import HUB_TOKEN

runner = CliRunner()
SAMPLE = "demo-visium-p1a"
ADAPTER_FILES = {
    "README.md", "adapter_config.json", "adapter_model.safetensors", RunFiles.HEADS, RunFiles.INFO, RunFiles.CONFIG,
    RunFiles.STATS, RunFiles.METRICS, RunFiles.BASE,
}  # fmt: skip


def _images(n: int = 6) -> torch.Tensor:
    return torch.randn(n, 3, 112, 112, generator=torch.Generator().manual_seed(3))


def _python_block(card: str) -> str:
    """The first python code block of a card."""
    return card.split("```python\n", 1)[1].split("```", 1)[0]


def _push(run: Path, repo: str, *extra: str) -> str:
    done = runner.invoke(app, ["push", str(run), "--repo", repo, *extra], terminal_width=240)
    assert done.exit_code == 0, done.output
    assert HUB_TOKEN not in done.output
    return done.output


def test_pushed_adapter_loads_in_peft_and_as_hf_adapter_with_the_run_folders_embeddings(
    tiny_run, demo_atlas, fake_hub, tmp_path
):
    from peft import PeftModel

    run = tiny_run[1].run
    output = _push(run, "lab/tiny-adapter")
    repo = fake_hub.repo("lab/tiny-adapter")
    assert repo.private  # private by default
    assert repo.head in output
    assert set(fake_hub.uploaded_paths()) == ADAPTER_FILES
    assert set(fake_hub.authorizations()) == {f"Bearer {HUB_TOKEN}"}  # the token went as the header, only there
    card = repo.files()["README.md"].decode()
    assert card.startswith("---\nlibrary_name: peft\nlicense: apache-2.0\n")
    assert "| base (step 0) |" in card  # the run's validation verdict and drift travel in the card
    assert "CC0-1.0" in card  # data licences of the training samples

    # peft on the base timm model, as the card's snippet does it (the random-init base travels as base.safetensors)
    snippet = _python_block(card)
    assert 'PeftModel.from_pretrained(base, "lab/tiny-adapter")' in snippet
    namespace: dict[str, object] = {}
    exec(snippet, namespace)
    peft_model = namespace["model"].eval()  # type: ignore[attr-defined]
    reference = load_run_encoder(run)
    assert isinstance(peft_model, PeftModel)
    with torch.no_grad():
        np.testing.assert_allclose(peft_model(_images()).numpy(), reference(_images()).numpy(), atol=1e-5)

    # --adapter hf: in stamp embed, into another cache root: the run folder's embeddings, the commit recorded
    done = runner.invoke(app, ["embed", "--atlas", str(demo_atlas), "--encoder", "vit-tiny-test", "--adapter",
                               "hf:lab/tiny-adapter", "--samples", SAMPLE, "--out", str(tmp_path / "emb-hub"),
                               "--num-workers", "0", "--device", "cpu"])  # fmt: skip
    assert done.exit_code == 0, done.output
    local = embed_atlas(demo_atlas, "vit-tiny-test", adapter=run, samples=[SAMPLE], out=tmp_path / "emb-run",
                        device="cpu", progress=False)  # fmt: skip
    hub_folder = tmp_path / "emb-hub" / local.name  # the same cache key: the adapter hash is the run folder's
    from_hub = load_embeddings(hub_folder / f"{SAMPLE}.safetensors")
    from_run = load_embeddings(local / f"{SAMPLE}.safetensors")
    assert from_hub.spot_ids == from_run.spot_ids
    np.testing.assert_allclose(from_hub.embeddings, from_run.embeddings, atol=1e-6)
    info = json.loads((hub_folder / "cache.json").read_text())
    assert info["adapter_source"] == f"hf:lab/tiny-adapter@{repo.head}"
    assert info["adapter_commit"] == repo.head
    assert from_hub.meta["adapter_commit"] == repo.head
    assert json.loads((local / "cache.json").read_text())["adapter_commit"] == ""


def test_hf_adapter_is_pinned_by_revision_and_works_offline_from_the_cache(tiny_run, fake_hub, monkeypatch):
    import huggingface_hub.constants as hf_constants

    run = tiny_run[1].run
    _push(run, "lab/pinned")
    first = fake_hub.repo("lab/pinned").head
    _push(run, "lab/pinned", "--merged")  # a second commit replaces the adapter files by the merged encoder
    repo = fake_hub.repo("lab/pinned")
    assert len(repo.commits) == 2
    assert "adapter_config.json" not in repo.files()  # stale files of the first push are deleted
    source = resolve_adapter(f"hf:lab/pinned@{first}")
    assert source is not None
    assert source.commit == first
    assert source.label == f"hf:lab/pinned@{first}"
    assert adapter_hash(source.folder) == adapter_hash(run)
    with pytest.raises(HubError, match="revision 'v9' does not exist in 'lab/pinned'"):
        fetch_hub_snapshot("hf:lab/pinned@v9")
    with pytest.raises(HubError, match="does not exist, or is private"):
        fetch_hub_snapshot("hf:lab/nothing")
    with pytest.raises(HubError, match="not a hub repository id"):
        fetch_hub_snapshot("hf:no-slash")
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", True)
    seen = fake_hub.server.total_hits()
    assert fetch_hub_snapshot(f"hf:lab/pinned@{first}").folder == source.folder  # from the hub cache
    assert fake_hub.server.total_hits() == seen
    with pytest.raises(HubError, match="offline mode is on"):
        fetch_hub_snapshot("hf:lab/never-downloaded")


def test_merged_push_loads_with_timm_create_model_hf_hub(tiny_run, fake_hub):
    import stamp

    run = tiny_run[1].run
    output = _push(run, "lab/tiny-merged", "--merged")
    assert "timm.create_model('hf-hub:lab/tiny-merged', pretrained=True)" in output
    files = fake_hub.repo("lab/tiny-merged").files()
    assert set(files) == {"README.md", "config.json", "model.safetensors", "stamp_encoder.json", RunFiles.INFO}
    config = json.loads(files["config.json"])
    assert config["architecture"] == "vit_tiny_patch16_224"
    assert config["num_features"] == 64
    assert "pretrained_cfg" in config
    assert yaml.safe_load(files["README.md"].decode().split("---")[1])["library_name"] == "timm"
    snippet = _python_block(files["README.md"].decode())
    assert 'timm.create_model("hf-hub:lab/tiny-merged", pretrained=True)' in snippet
    namespace: dict[str, object] = {}
    exec(snippet, namespace)
    model = namespace["model"].eval()  # type: ignore[attr-defined]
    encoder, transform = stamp.load_encoder("hf:lab/tiny-merged")
    reference = load_run_encoder(run)
    with torch.no_grad():
        expected = reference(_images()).numpy()
        np.testing.assert_allclose(model(_images()).numpy(), expected, atol=1e-4)
        np.testing.assert_allclose(encoder(_images()).numpy(), expected, atol=1e-4)
    assert transform.size == 112


def test_gated_base_refuses_merged_in_one_line_and_sends_nothing(tiny_run, fake_hub, tmp_path):
    run = tmp_path / "gated-run"
    shutil.copytree(tiny_run[1].run, run)
    config = yaml.safe_load((run / RunFiles.CONFIG).read_text())
    config["encoder"] = "uni"  # a gated base (CC-BY-NC-ND-4.0)
    (run / RunFiles.CONFIG).write_text(yaml.safe_dump(config))
    done = runner.invoke(app, ["push", str(run), "--repo", "lab/uni-merged", "--merged"], terminal_width=400)
    assert done.exit_code == 1
    assert "--merged refused: the base encoder 'uni'" in done.output
    assert "is gated" in done.output
    assert "push the adapter alone" in done.output
    assert len(done.output.strip().splitlines()) == 1
    assert fake_hub.server.seen == []  # refused before any request
    # the adapter alone may go, with the base's terms in its card
    _push(run, "lab/uni-adapter")
    card = fake_hub.repo("lab/uni-adapter").files()["README.md"].decode()
    assert "license: cc-by-nc-nd-4.0" in card
    assert "base_model: MahmoodLab/UNI" in card
    assert "**gated**" in card
    assert "accept its terms at https://huggingface.co/MahmoodLab/UNI" in card


def test_a_refused_token_and_a_missing_one_are_never_shown(tiny_run, fake_hub, monkeypatch):
    wrong = "hf_wrongSentinel9876543210"
    monkeypatch.setenv("HF_TOKEN", wrong)
    done = runner.invoke(app, ["push", str(tiny_run[1].run), "--repo", "lab/denied"], terminal_width=400)
    assert done.exit_code == 1
    assert "refused the token (HTTP 401" in done.output
    assert wrong not in done.output
    assert f"Bearer {wrong}" in fake_hub.authorizations()
    assert fake_hub.uploads == []
    monkeypatch.delenv("HF_TOKEN")
    seen = fake_hub.server.total_hits()
    done = runner.invoke(app, ["push", str(tiny_run[1].run), "--repo", "lab/denied"], terminal_width=400)
    assert done.exit_code == 1
    assert "no Hugging Face token found" in done.output
    assert "hf auth login" in done.output
    assert fake_hub.server.total_hits() == seen


def test_an_existing_public_repo_needs_public(tiny_run, fake_hub):
    _push(tiny_run[1].run, "lab/open", "--public")
    assert not fake_hub.repo("lab/open").private
    done = runner.invoke(app, ["push", str(tiny_run[1].run), "--repo", "lab/open"], terminal_width=400)
    assert done.exit_code == 1
    assert "exists and is public" in done.output
    assert "--public" in done.output
    assert len(fake_hub.repo("lab/open").commits) == 1


def test_embed_slides_takes_an_hf_adapter_and_records_its_commit(tiny_run, fake_hub, synthetic_slides, tmp_path):
    from humanst.slides import TilingSettings
    from stamp.slides import SlideFeatureFolder, embed_slides

    run = tiny_run[1].run
    _push(run, "lab/slides")
    commit = fake_hub.repo("lab/slides").head
    options = {"num_workers": 0, "device": "cpu", "show_progress": False, "tiling": TilingSettings(max_tiles=8)}
    slide = synthetic_slides["pyr05"]
    hub = embed_slides([slide], "vit-tiny-test", adapter=f"hf:lab/slides@{commit}", out=tmp_path / "hub", **options)
    local = embed_slides([slide], "vit-tiny-test", adapter=run, out=tmp_path / "run", **options)
    assert hub.folder.name == local.folder.name  # the same adapter hash
    from_hub = SlideFeatureFolder(hub.folder).load(Path(slide).stem)
    from_run = SlideFeatureFolder(local.folder).load(Path(slide).stem)
    np.testing.assert_array_equal(from_hub.coords_px, from_run.coords_px)
    np.testing.assert_allclose(from_hub.features, from_run.features, atol=1e-6)
    assert from_hub.provenance["adapter_source"] == f"hf:lab/slides@{commit}"
    assert from_hub.provenance["adapter_commit"] == commit
    assert json.loads((hub.folder / "cache.json").read_text())["adapter_commit"] == commit
