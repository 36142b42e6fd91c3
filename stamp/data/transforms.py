"""Patch transforms driven by the encoder spec: JPEG decode, resize, flips / rot90, light colour jitter, normalise."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

__all__ = ["ImageTransform", "PatchTransform", "decode_resized"]


def decode_resized(jpeg: bytes, size: int) -> np.ndarray:
    """Decode JPEG bytes to ``(size, size, 3)`` uint8 RGB; shrinking uses JPEG DCT scaling, then a smooth resize."""
    from PIL import Image

    with Image.open(io.BytesIO(jpeg)) as image:
        if image.size != (size, size):
            image.draft("RGB", (size, size))  # decode at 1/2, 1/4, 1/8 scale when that is still >= size
        rgb = image.convert("RGB")
    if rgb.size != (size, size):
        rgb = rgb.resize((size, size), Image.Resampling.BILINEAR)
    return np.array(rgb)  # a writable copy: torch.from_numpy warns on read-only buffers


@dataclass(frozen=True)
class PatchTransform:
    """Turn JPEG bytes into a normalised ``(3, size, size)`` float tensor; augmentations draw from a given seed.

    Parameters
    ----------
    size
        Output side in pixels (the encoder's ``input_size``).
    mean, std
        Normalisation of RGB in [0, 1].
    augment
        Random flips and 90-degree rotations (the dihedral group: tissue has no up).
    jitter
        Maximum relative change of brightness, contrast and saturation (0 disables).
    """

    size: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    augment: bool = False
    jitter: float = 0.0

    def __call__(self, jpeg: bytes, seed: int) -> torch.Tensor:
        """Decode, augment (deterministically for ``seed``) and normalise one patch."""
        x = torch.from_numpy(decode_resized(jpeg, self.size)).permute(2, 0, 1).float().div_(255.0)
        if self.augment or self.jitter > 0:
            x = self._augment(x, np.random.default_rng(seed))
        mean = torch.tensor(self.mean).view(3, 1, 1)
        std = torch.tensor(self.std).view(3, 1, 1)
        return (x - mean) / std

    def _augment(self, x: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
        if self.augment:
            if rng.random() < 0.5:
                x = x.flip(-1)
            x = torch.rot90(x, int(rng.integers(4)), dims=(-2, -1))
        if self.jitter > 0:
            b, c, s = rng.uniform(1 - self.jitter, 1 + self.jitter, size=3)
            x = x * b
            x = (x - x.mean()) * c + x.mean()
            grey = (0.299 * x[0] + 0.587 * x[1] + 0.114 * x[2])[None]
            x = (x - grey) * s + grey
            x = x.clamp_(0.0, 1.0)
        return x


@dataclass(frozen=True)
class ImageTransform:
    """Turn one image (PIL, ``(H, W, 3)`` uint8 array, or JPEG/PNG bytes) into the encoder's normalised input.

    RGB, resized to ``size`` x ``size`` (bilinear; the patch should already cover 112 um, i.e. 224 px at
    0.5 um/px), scaled to [0, 1] and normalised. JPEG bytes are decoded as :class:`PatchTransform` decodes atlas
    patches, so they give exactly its input without augmentation.
    """

    size: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]

    def __call__(self, image: Any) -> torch.Tensor:
        """Return the ``(3, size, size)`` float tensor of ``image``; stack several for a batch."""
        from PIL import Image

        if isinstance(image, bytes | bytearray):
            pixels = decode_resized(bytes(image), self.size)
        else:
            rgb = Image.fromarray(np.asarray(image, dtype=np.uint8)) if isinstance(image, np.ndarray) else image
            rgb = rgb.convert("RGB")
            if rgb.size != (self.size, self.size):
                rgb = rgb.resize((self.size, self.size), Image.Resampling.BILINEAR)
            pixels = np.array(rgb)
        x = torch.from_numpy(pixels).permute(2, 0, 1).float().div_(255.0)
        return (x - torch.tensor(self.mean).view(3, 1, 1)) / torch.tensor(self.std).view(3, 1, 1)
