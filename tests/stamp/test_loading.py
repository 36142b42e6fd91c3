"""``stamp.load_encoder``: a name, a run folder and a merged export give the right encoder and its transform."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image

import stamp
from stamp.data import ImageTransform, PatchTransform
from stamp.errors import EncoderError, RunError
from stamp.export import export_merged
from stamp.run_dir import load_run_encoder


def _images() -> torch.Tensor:
    return torch.randn(4, 3, 112, 112, generator=torch.Generator().manual_seed(5))


def test_a_run_folder_and_its_merged_export_load_as_the_aligned_encoder(tiny_run, tmp_path):
    run = tiny_run[1].run
    reference = load_run_encoder(run)
    from_run, transform = stamp.load_encoder(run)
    merged, _ = stamp.load_encoder(export_merged(run, tmp_path / "export"))
    with torch.no_grad():
        expected = reference(_images()).numpy()
        np.testing.assert_allclose(from_run(_images()).numpy(), expected, atol=1e-6)
        np.testing.assert_allclose(merged(_images()).numpy(), expected, atol=1e-4)
    assert (transform.size, transform.mean, transform.std) == (112, (0.5,) * 3, (0.5,) * 3)


def test_a_name_gives_the_registered_encoder_and_bad_sources_say_what_to_pass(tmp_path):
    encoder, _ = stamp.load_encoder("vit-tiny-test")
    assert encoder.spec.name == "vit-tiny-test"
    assert not encoder.training
    with pytest.raises(EncoderError, match="unknown encoder"):
        stamp.load_encoder("no-such-encoder")
    (tmp_path / "empty").mkdir()
    with pytest.raises(RunError, match="neither a run"):
        stamp.load_encoder(tmp_path / "empty")


def test_the_transform_takes_pil_arrays_and_jpeg_like_the_patch_transform():
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 255, size=(112, 112, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG")
    jpeg = buffer.getvalue()
    transform = ImageTransform(112, (0.5,) * 3, (0.5,) * 3)
    patch = PatchTransform(112, (0.5,) * 3, (0.5,) * 3)
    torch.testing.assert_close(transform(jpeg), patch(jpeg, seed=0))
    from_array = transform(pixels)
    assert from_array.shape == (3, 112, 112)
    torch.testing.assert_close(from_array, transform(Image.fromarray(pixels)))
    assert transform(Image.fromarray(pixels).resize((224, 224))).shape == (3, 112, 112)
