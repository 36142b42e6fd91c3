"""Test-wide settings: offline hub, shipped paths."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def demo_manifest_path(repo_root: Path) -> Path:
    return repo_root / "manifests" / "demo.yaml"


@pytest.fixture(scope="session")
def demo_atlas(demo_manifest_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo atlas (10 synthetic samples, 5 patients, fixed splits) built once per session through the real path."""
    from humanst.builder import build_demo_atlas

    return build_demo_atlas(demo_manifest_path, tmp_path_factory.mktemp("demo"))


def run_info_json(**fields: object) -> dict[str, object]:
    """A complete ``run.json`` (as ``stamp fit`` writes it) with ``fields`` replacing its values."""
    from stamp.run_info import RUN_FORMAT, RunInfo

    base: dict[str, object] = {
        "encoder": "vit-tiny-test", "weights_id": "random", "n_train_rows": 10, "n_train_samples": 2,
        "train_patients": ["synth-breast:P1"], "n_pathways": 3, "n_lora_modules": 4, "trainable_params": 100,
        "world_size": 1, "final_loss": 1.0, "wall_s": 1.0, "stamp_version": "0.0.test",
    }  # fmt: skip
    return RUN_FORMAT.dump(RunInfo.model_validate({**base, **fields}))


def tiny_config(atlas: Path, out: Path, **overrides: object):
    """A few-second vit-tiny-test configuration on the demo atlas."""
    from stamp.train import load_config

    base = {
        "atlas": atlas,
        "encoder": "vit-tiny-test",
        "out": out,
        "optim.steps": 24,
        "optim.batch_size": 16,
        "optim.warmup_steps": 2,
        "optim.lr": 1e-3,
        "data.num_workers": 0,
        "log_every": 2,
        "checkpoint_every": 8,
        "seed": 7,
        "validation.train_spots": 200,
        "validation.val_spots": 100,
    }
    base.update(overrides)
    return load_config(None, base)


@pytest.fixture(scope="session")
def tiny_run(demo_atlas: Path, tmp_path_factory: pytest.TempPathFactory):
    """A finished short fit on the demo atlas, run once per session for the stamp and benchmarks tests."""
    from stamp.train import fit

    config = tiny_config(demo_atlas, tmp_path_factory.mktemp("runs") / "tiny")
    return config, fit(config, progress=False)


SLIDE_SIZE_UM = (1200.0, 1000.0)  # ~75 tiles of 112 um: the grid tests stay at hundreds of tiles at most
SLIDE_SEED = 11


@pytest.fixture(scope="session")
def synthetic_slides(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """One synthetic section written as several slide files through the real writers (rendered once, a few s).

    Keys: ``tissue`` (the truth), ``image`` (the H&E at 0.5 um/px), ``pen`` (the marker line), and paths:
    ``pyr05`` (pyramidal TIFF, 0.5 um/px), ``pyr025`` (pyramidal TIFF, 0.25 um/px: a level at 0.5 exists),
    ``svs025`` (SVS-like, 0.25 um/px, levels 1/4 and 1/16), ``ome05`` (OME-TIFF), ``plain`` (no pixel size),
    ``appmag`` (SVS with AppMag but no MPP), ``pen05`` (pyramidal TIFF with a green marker line). The section is
    rendered at 1 um/px and enlarged to 0.5 and 0.25 um/px (the renderer costs ~2 us per pixel; a slow test renders
    at 0.25 directly).
    """
    from PIL import Image

    from humanst.synth import make_tissue
    from humanst.synth.slides import PenStroke, render_slide, write_slide

    folder = tmp_path_factory.mktemp("slides")
    tissue = make_tissue(*SLIDE_SIZE_UM, seed=SLIDE_SEED)
    image = render_slide(tissue, 0.5, render_um_per_px=1.0)
    fine = np.asarray(Image.fromarray(image).resize((image.shape[1] * 2, image.shape[0] * 2), Image.Resampling.BICUBIC))
    pen = PenStroke((50.0, 20.0), (360.0, 120.0), 40.0)
    out: dict[str, object] = {"tissue": tissue, "image": image, "pen": pen, "folder": folder}
    out["pyr05"] = write_slide(folder / "pyr05.tif", image, um_per_px=0.5)
    out["pyr025"] = write_slide(folder / "pyr025.tif", fine, um_per_px=0.25)
    out["svs025"] = write_slide(folder / "svs025.svs", fine, um_per_px=0.25, layout="svs")
    out["ome05"] = write_slide(folder / "ome05.ome.tif", image, um_per_px=0.5, layout="ome-tiff")
    out["plain"] = write_slide(folder / "plain.tif", image, um_per_px=0.5, layout="plain-tiff")
    out["appmag"] = write_slide(folder / "appmag.svs", image, um_per_px=0.5, layout="svs", pixel_size=False)
    out["pen05"] = write_slide(folder / "pen05.tif", pen.draw(image, 0.5), um_per_px=0.5)
    return out


HUB_TOKEN = "hf_sentinelTokenNeverPrinted0123456789"  # the fake hub's only accepted token


@pytest.fixture
def fake_hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """A fake Hugging Face Hub on 127.0.0.1 that huggingface_hub, timm, peft and datasets talk to; a sentinel token.

    ``huggingface_hub`` and ``datasets`` read the endpoint, offline mode and cache paths into constants at import
    (and ``huggingface_hub`` builds a module-level ``HfApi`` then), so those are patched, and the environment is set
    for anything that reads it at call time. The token file path points into ``tmp_path``, so no login on this
    machine is read. Nothing reaches the internet.
    """
    import datasets.config as datasets_config
    import huggingface_hub.constants as hf_constants
    import huggingface_hub.hf_api as hf_api

    from tests.fake_hub import FakeHub
    from tests.local_http import FakeServer

    home = tmp_path / "hf-home"
    with FakeServer() as server:
        hub = FakeHub(server, HUB_TOKEN)
        for name, value in {
            "ENDPOINT": server.base,
            "HUGGINGFACE_CO_URL_TEMPLATE": server.base + "/{repo_id}/resolve/{revision}/{filename}",
            "HF_HUB_OFFLINE": False,
            "HF_HUB_CACHE": str(home / "hub"),
            "HF_TOKEN_PATH": str(home / "token"),
            "HF_STORED_TOKENS_PATH": str(home / "stored_tokens"),
            "AGENT_HARNESSES_PATH": str(home / ".agent_harnesses.json"),
        }.items():
            monkeypatch.setattr(hf_constants, name, value)
        monkeypatch.setattr(hf_api.api, "endpoint", server.base)  # the module-level client behind file_exists & co.
        for name, value in {
            "HF_ENDPOINT": server.base,
            "HUB_DATASETS_URL": server.base + "/datasets/{repo_id}/resolve/{revision}/{path}",
            "HF_HUB_OFFLINE": False,
            "HF_DATASETS_OFFLINE": False,
            "HF_DATASETS_CACHE": home / "datasets",
            "HF_UPDATE_DOWNLOAD_COUNTS": False,
        }.items():
            monkeypatch.setattr(datasets_config, name, value)
        environment = {"HF_ENDPOINT": server.base, "HF_TOKEN": HUB_TOKEN, "HF_HUB_OFFLINE": "0",
                       "HF_DATASETS_OFFLINE": "0", "HF_HOME": str(home), "HF_HUB_CACHE": str(home / "hub")}  # fmt: skip
        for name, text in environment.items():
            monkeypatch.setenv(name, text)
        yield hub
