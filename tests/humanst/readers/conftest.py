"""Tiny synthetic samples of every platform, written once per session and read once by their reader."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from humanst.manifest.models import SampleEntry, SynthSpec
from humanst.readers import RawSample, ReadSettings, get_reader
from humanst.synth import SynthSample, WrittenSample, get_format

TINY_SPECS: dict[str, SynthSpec] = {
    "visium": SynthSpec(seed=201, width_um=800, height_um=700, um_per_px=1.0),
    "visium_hd": SynthSpec(seed=202, width_um=240, height_um=240, um_per_px=0.5),
    "xenium": SynthSpec(seed=203, width_um=260, height_um=240, um_per_px=0.5, panel_size=200),
    "legacy_st": SynthSpec(seed=204, width_um=1100, height_um=1100, um_per_px=2.0),
    "hest": SynthSpec(seed=205, width_um=700, height_um=700, um_per_px=1.0),
}
PSEUDO_SPOT_UM = 55.0


@dataclass(frozen=True)
class Layout:
    """A written synthetic sample and its reading with default settings."""

    sample: SynthSample
    written: WrittenSample
    raw: RawSample


def make_entry(platform: str, sample_id: str, path: Path, **extra: object) -> SampleEntry:
    return SampleEntry(
        id=sample_id,
        study="synth-test",
        patient_id="synth-test:P1",
        organ="breast",
        disease="synthetic",
        platform=platform,
        files=[{"path": str(path)}],
        license="CC0-1.0",
        redistributable=True,
        citation="humanst synthetic test data",
        **extra,
    )


def read(platform: str, sample_id: str, inputs: list[Path], settings: ReadSettings | None = None) -> RawSample:
    entry = make_entry(platform, sample_id, inputs[0])
    return get_reader(platform).func(entry, inputs, settings or ReadSettings(pseudo_spot_um=PSEUDO_SPOT_UM))


def clone_tree(
    src: Path, dst: Path, *, drop: tuple[str, ...] = (), rewrite: dict[str, Callable[[Path, Path], None]] | None = None
) -> Path:
    """Mirror ``src`` as symlinks under ``dst``, leaving out ``drop`` and writing ``rewrite[rel](source, target)``."""
    rewrite = rewrite or {}
    for path in sorted(src.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(src).as_posix()
        if rel in drop:
            continue
        target = dst / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if rel in rewrite:
            rewrite[rel](path, target)
        else:
            target.symlink_to(path)
    return dst


@pytest.fixture(scope="session")
def layouts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Layout]:
    """``platform -> Layout`` for a tiny sample of every platform with a synthetic writer."""
    root = tmp_path_factory.mktemp("reader-layouts")
    out = {}
    for platform, spec in TINY_SPECS.items():
        sample = SynthSample.create(f"rd-{platform.replace('_', '-')}", platform, spec)
        written = get_format(platform).writer(sample, root / sample.sample_id)
        out[platform] = Layout(sample, written, read(platform, sample.sample_id, [written.data_path]))
    return out
