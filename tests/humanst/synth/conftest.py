"""Tiny synthetic samples, one per platform, written once per session through the real writers."""

from __future__ import annotations

import pytest

from humanst.manifest.models import SynthSpec
from humanst.synth import SynthSample, WrittenSample, get_format

TINY_SPECS: dict[str, SynthSpec] = {
    "visium": SynthSpec(seed=101, width_um=800, height_um=700, um_per_px=1.0),
    "visium_hd": SynthSpec(seed=102, width_um=240, height_um=240, um_per_px=0.5),
    "xenium": SynthSpec(seed=103, width_um=260, height_um=240, um_per_px=0.5, panel_size=200),
    "legacy_st": SynthSpec(seed=104, width_um=1100, height_um=1100, um_per_px=2.0),
    "hest": SynthSpec(seed=105, width_um=700, height_um=700, um_per_px=1.0),
}


@pytest.fixture(scope="session")
def tiny_layouts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[SynthSample, WrittenSample]]:
    """``platform -> (sample, written)`` for a tiny sample of every registered platform."""
    root = tmp_path_factory.mktemp("layouts")
    out = {}
    for platform, spec in TINY_SPECS.items():
        sample = SynthSample.create(f"tiny-{platform.replace('_', '-')}", platform, spec)
        out[platform] = (sample, get_format(platform).writer(sample, root / sample.sample_id))
    return out
