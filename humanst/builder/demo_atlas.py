"""The demo atlas, built quietly (tests, speed benchmarks): synthetic raw data -> atlas, failures raised."""

from __future__ import annotations

from pathlib import Path

from humanst.errors import HumanstError

__all__ = ["build_demo_atlas"]


def build_demo_atlas(manifest_path: Path, root: Path, *, workers: int = 2) -> Path:
    """Write the demo's raw data and build its atlas quietly under ``root`` (tests, benchmarks); return the atlas."""
    from humanst.builder.schedule import make_tasks, run_build
    from humanst.manifest import load_manifest
    from humanst.synth import write_synthetic

    manifest = load_manifest(manifest_path)
    broken = [f"{o.sample_id}: {o.error}" for o in write_synthetic(manifest, root / "raw", workers=workers) if o.error]
    if broken:
        msg = f"demo raw data could not be written: {'; '.join(broken)}"
        raise HumanstError(msg)
    tasks = make_tasks(manifest, root / "atlas", data_root=root / "raw", cache_dir=root / "cache")
    report = run_build(manifest, str(manifest_path), tasks, workers=workers)
    if report.failed:
        failed = ", ".join(f"{o.sample_id}: {o.error}" for o in report.failed)
        msg = f"demo atlas build failed for {failed}"
        raise HumanstError(msg)
    return root / "atlas"
