"""A second `make demo`-like run: raw files not rewritten, every sample skipped, the fit and the embeddings reused."""

from __future__ import annotations

from pathlib import Path


def _mtimes(folder: Path) -> dict[Path, int]:
    return {p: p.stat().st_mtime_ns for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_second_demo_run_skips_raw_data_build_fit_and_embeddings(demo_manifest_path, demo_atlas, tiny_run, tmp_path):
    from humanst.builder.schedule import make_tasks, run_build
    from humanst.manifest import load_manifest
    from humanst.store import Atlas
    from humanst.synth import write_synthetic
    from stamp.embed import embed_atlas
    from stamp.train import fit

    root = demo_atlas.parent
    manifest = load_manifest(demo_manifest_path)
    raw_before = _mtimes(root / "raw")
    outcomes = write_synthetic(manifest, root / "raw", workers=1)  # `humanst demo` again: the raw data stage
    assert all(o.unchanged for o in outcomes)
    assert _mtimes(root / "raw") == raw_before  # nothing rewritten
    dataset = Atlas(demo_atlas).dataset.info
    dataset_before = dataset.stat().st_mtime_ns
    tasks = make_tasks(manifest, demo_atlas, data_root=root / "raw", cache_dir=root / "cache")
    report = run_build(manifest, str(demo_manifest_path), tasks, workers=1)  # the atlas stage
    assert {o.status for o in report.outcomes} == {"skipped"}
    assert dataset.stat().st_mtime_ns == dataset_before
    config, first = tiny_run
    again = fit(config, resume=True, progress=False)  # `stamp fit ... --resume` on the finished run
    assert again.losses == []
    assert again.step == first.step
    sample = Atlas(demo_atlas).built_samples()[:1]
    folder = embed_atlas(demo_atlas, "vit-tiny-test", out=tmp_path / "emb", samples=sample, progress=False,
                         num_workers=0, device="cpu")  # fmt: skip
    embedded = _mtimes(folder)
    embed_atlas(demo_atlas, "vit-tiny-test", out=tmp_path / "emb", samples=sample, progress=False, num_workers=0,
                device="cpu")  # fmt: skip
    assert {p: t for p, t in _mtimes(folder).items() if p.suffix == ".safetensors"} == {
        p: t for p, t in embedded.items() if p.suffix == ".safetensors"
    }
