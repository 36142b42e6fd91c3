"""``humanst push`` against a fake hub on 127.0.0.1: restricted samples never leave, ``load_dataset`` gives the rows.

The atlas is the session's demo atlas with one sample's build record marked ``redistributable: false`` (its patch
dataset is linked, not copied); the fake hub records every file it receives.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from typer.testing import CliRunner

from humanst.cli import app
from humanst.errors import HubError
from humanst.hub import push_atlas
from humanst.store import Atlas
from tests.conftest import HUB_TOKEN
from tests.fake_hub import files_holding, run_cli

RESTRICTED = "demo-st-p3b"
COLUMNS = ["sample_id", "spot_id", "patient_id", "split", "pathways_hallmark", "gene_idx", "counts", "image"]
runner = CliRunner()


@pytest.fixture
def restricted_atlas(demo_atlas: Path, tmp_path: Path) -> Path:
    """The demo atlas (records copied, patch dataset linked) with one sample marked not redistributable."""
    source, atlas = Atlas(demo_atlas), Atlas(tmp_path / "atlas")
    shutil.copytree(source.records_dir, atlas.records_dir)
    atlas.hf_dir.symlink_to(source.hf_dir)
    record_path = atlas.record_path(RESTRICTED)
    record = json.loads(record_path.read_text())
    record |= {"redistributable": False, "license": "LicenseRef-test-restricted"}
    record_path.write_text(json.dumps(record))
    return atlas.root


def test_a_restricted_sample_refuses_the_push_before_anything_is_sent(restricted_atlas, fake_hub):
    done = runner.invoke(app, ["push", str(restricted_atlas), "--repo", "lab/atlas"], terminal_width=400)
    assert done.exit_code == 1
    assert f"sample(s) {RESTRICTED} are marked redistributable: false" in done.output
    assert "--skip-restricted" in done.output
    assert fake_hub.server.seen == []


def test_push_skips_restricted_samples_and_load_dataset_returns_the_same_rows(restricted_atlas, demo_atlas, fake_hub):
    import datasets

    done = runner.invoke(app, ["push", str(restricted_atlas), "--repo", "lab/atlas", "--skip-restricted"],
                         terminal_width=400)  # fmt: skip
    assert done.exit_code == 0, done.output
    assert f"Left out (not redistributable, never uploaded): {RESTRICTED}" in done.output
    assert HUB_TOKEN not in done.output
    repo = fake_hub.repo("lab/atlas", "dataset")
    assert repo.private
    assert repo.head in done.output
    # the restricted sample's rows were never sent: every uploaded shard, read back
    shards = [u for u in fake_hub.uploads if u.path.endswith(".parquet")]
    assert shards
    sent = {s for u in shards for s in pq.read_table(io.BytesIO(u.content)).column("sample_id").to_pylist()}
    local = Atlas(demo_atlas).load_dataset()
    assert sent == set(local.unique("sample_id")) - {RESTRICTED}
    card = repo.files()["README.md"].decode()
    front = yaml.safe_load(card.split("---")[1])
    assert front["configs"][0]["data_files"][0]["path"] == "data/train-*.parquet"
    assert front["license"] == "cc0-1.0"
    assert f"| {RESTRICTED} |" not in card
    assert f"never written into it: {RESTRICTED}." in card
    assert "## Atlas build" in card
    assert "atlas format version 1" in card
    assert "| demo-visium-p1a | visium |" in card
    # datasets.load_dataset("ORG/NAME") gives the atlas's rows, restricted sample excluded
    loaded = datasets.load_dataset("lab/atlas", split="train")
    expected = local.filter(lambda ids: [i != RESTRICTED for i in ids], input_columns="sample_id", batched=True)
    assert len(loaded) == len(expected) == len(local) - Atlas(restricted_atlas).record(RESTRICTED).spots_kept
    got = loaded.cast_column("image", datasets.Image(decode=False)).select_columns(COLUMNS).to_list()
    want = expected.cast_column("image", datasets.Image(decode=False)).select_columns(COLUMNS).to_list()
    assert [r["image"]["bytes"] for r in got] == [r["image"]["bytes"] for r in want]
    assert [{k: v for k, v in r.items() if k != "image"} for r in got] == [
        {k: v for k, v in r.items() if k != "image"} for r in want
    ]


def test_pushing_the_same_atlas_again_makes_no_new_commit(restricted_atlas, fake_hub):
    first = push_atlas(restricted_atlas, "lab/again", skip_restricted=True)
    second = push_atlas(restricted_atlas, "lab/again", skip_restricted=True)  # the export writes the same bytes
    repo = fake_hub.repo("lab/again", "dataset")
    assert repo.commits == [first.result.commit]
    assert second.result.commit == first.result.commit
    assert set(repo.files()) == set(first.result.files)


def test_push_needs_a_token_and_a_valid_repo_id(restricted_atlas, fake_hub, monkeypatch):
    with pytest.raises(HubError, match="not a hub repository id"):
        push_atlas(restricted_atlas, "no-namespace", skip_restricted=True)
    monkeypatch.delenv("HF_TOKEN")
    with pytest.raises(HubError, match=r"no Hugging Face token found.*hf auth login"):
        push_atlas(restricted_atlas, "lab/atlas", skip_restricted=True)
    assert fake_hub.server.seen == []


def test_humanst_push_sends_the_token_only_as_the_authorization_header(demo_atlas, fake_hub, tmp_path):
    done = run_cli("from humanst.cli import main; main()", ["push", str(demo_atlas), "--repo", "lab/quiet-atlas"],
                   fake_hub, token=HUB_TOKEN, home=tmp_path / "home")  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Pushed" in done.stdout
    assert "Request" in done.stderr  # the hub client's debug log was on
    assert HUB_TOKEN not in done.stdout + done.stderr
    assert set(fake_hub.authorizations()) == {f"Bearer {HUB_TOKEN}"}
    assert files_holding(tmp_path, HUB_TOKEN.encode()) == []
    assert not any(HUB_TOKEN.encode() in u.content for u in fake_hub.uploads)
