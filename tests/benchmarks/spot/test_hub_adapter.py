"""``stamp-bench run --adapter hf:ORG/NAME``: the adapter is downloaded once, and its commit is in every result."""

from __future__ import annotations

import yaml
from typer.testing import CliRunner

from benchmarks.cli import app
from benchmarks.leaderboard.collect import build_table
from benchmarks.schema import read_result
from stamp.cli import app as stamp_app
from stamp.run_dir import adapter_hash


def _light_task(repo_root, tmp_path):
    """The demo task cut down: four samples, one held-out patient (P3, unseen by the adapter), pathways only."""
    task = yaml.safe_load((repo_root / "manifests" / "benchmarks" / "demo-spot.yaml").read_text())
    samples = ["demo-visium-p1a", "demo-hest-p2a", "demo-st-p3a", "demo-st-p3b"]
    task |= {"name": "hub-spot", "bootstrap": 100, "samples": samples}
    task["folds"]["held_out_patients"] = ["synth-breast:P3"]
    task["targets"] |= {"top_variable_genes": 0, "random_sets": {"enabled": False}}
    path = tmp_path / "hub-spot.yaml"
    path.write_text(yaml.safe_dump(task))
    return path


def test_a_hub_adapter_is_scored_and_pinned_by_commit_in_the_result(
    tiny_run, demo_atlas, fake_hub, repo_root, tmp_path
):
    run = tiny_run[1].run
    task = _light_task(repo_root, tmp_path)
    pushed = CliRunner().invoke(stamp_app, ["push", str(run), "--repo", "lab/bench"])
    assert pushed.exit_code == 0, pushed.output
    commit = fake_hub.repo("lab/bench").head
    out = tmp_path / "results"
    done = CliRunner().invoke(app, ["run", "--atlas", str(demo_atlas), "--encoder", "vit-tiny-test", "--adapter",
                                    "hf:lab/bench", "--task", str(task), "--no-baselines", "--out", str(out),
                                    "--device", "cpu"])  # fmt: skip
    assert done.exit_code == 0, done.output
    (path,) = sorted(out.glob("*.json"))
    result = read_result(path)
    assert result.adapter_hash == adapter_hash(run)  # the run folder's adapter, byte for byte
    assert result.adapter_source == f"hf:lab/bench@{commit}"  # the branch was resolved to its commit
    assert result.adapter_commit == commit
    table = build_table([result])
    assert table.rows[0]["adapter"] == (result.adapter_hash, f"{result.adapter_hash} (hf:lab/bench@{commit})")
    done = CliRunner().invoke(app, ["run", "--atlas", str(demo_atlas), "--encoder", "vit-tiny-test", "--adapter",
                                    "hf:lab/bench@v404", "--no-baselines", "--out", str(out)])  # fmt: skip
    assert done.exit_code == 1
    assert "revision 'v404' does not exist in 'lab/bench'" in done.output
