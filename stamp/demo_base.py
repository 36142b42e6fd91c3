"""A pretrained base for the demo: ``vit-tiny-test`` taught tissue morphology, not expression, before STAMP.

Real pathology foundation models already know morphology when STAMP aligns them; a random-init encoder does
not, and any training moves it a lot. So the demo first pretrains ``vit-tiny-test`` on its own synthetic
sections (``humanst.synth``; seeds no demo sample uses) to predict each patch's **region mix** (tumour,
stroma, immune, necrosis, normal epithelium: what a pathologist sees), on 112 um patches rendered at the
encoder's 1 um/px (the demo atlas's 224 px at 0.5 um/px, as the encoder sees them), with flips and rotations.
The expression programmes, the hidden fields and the counts are never seen.

Like a foundation model trained with stain augmentation, the base is also taught to **ignore how strongly the
eosin took**: after ``invariance_start`` steps, two views of each patch with the eosin scaled by different
factors (:func:`stamp.data.stain.scale_stain`) are pulled to the same embedding, with a weight ramped up over
``invariance_ramp`` steps. The patch embedding (the stem) stays as initialised, so the pixels' eosin still
reaches the blocks, where LoRA can act. This makes the demo's positive control (docs/positive-control.md): the
lipid programme pales the eosin, so the base cannot see it, and only alignment (or supervision) can bring it
back. The weights are cached as a timm safetensors file whose metadata holds the recipe; the same recipe reuses
the file, a changed one rebuilds it.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from stamp._logging import logger

__all__ = ["DEMO_BASE_RECIPE", "DemoBaseRecipe", "make_demo_base"]


@dataclass(frozen=True)
class DemoBaseRecipe:
    """How the demo base is made (its hash names the cached file's content)."""

    encoder: str = "vit-tiny-test"
    section_seeds: tuple[int, ...] = (9001, 9002)  # the demo manifest's samples use seeds 11-52
    section_um: float = 1200.0
    stride_um: float = 30.0
    min_tissue: float = 0.5
    steps: int = 300
    batch_size: int = 32  # patches per step, each seen in two eosin-scaled views
    lr: float = 1e-3
    weight_decay: float = 0.05
    seed: int = 0
    eosin_jitter: float = 0.45  # eosin scaled by U(1 - j, 1 + j) in each view
    invariance_weight: float = 20.0  # weight of the two views' embedding distance, once ramped up
    invariance_start: int = 100  # steps of region learning alone first
    invariance_ramp: int = 100
    freeze_stem: bool = True  # the patch embedding keeps its initialisation (eosin reaches the blocks)

    def invariance_at(self, step: int) -> float:
        """Weight of the eosin-invariance term at ``step`` (0 before the start, then a linear ramp)."""
        if step < self.invariance_start:
            return 0.0
        return self.invariance_weight * min(1.0, (step - self.invariance_start + 1) / max(1, self.invariance_ramp))

    def digest(self) -> str:
        """Short hash of the recipe."""
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:16]


DEMO_BASE_RECIPE = DemoBaseRecipe()


def _section_patches(seed: int, recipe: DemoBaseRecipe, size_px: int) -> tuple[np.ndarray, np.ndarray]:
    """Patches (uint8, n x 3 x size x size) of one synthetic section on a grid, with each patch's region mix."""
    from humanst.harmonise.patches import PatchSpec, iter_patches
    from humanst.synth import PixelFrame, make_tissue, render_he

    spec = PatchSpec()  # the atlas's field of view (224 px at 0.5 um/px = 112 um)
    um_per_px = spec.field_um / size_px  # rendered directly at the resolution the encoder sees
    tissue = make_tissue(recipe.section_um, recipe.section_um, seed=seed)
    image = render_he(tissue, PixelFrame.covering(tissue, um_per_px))
    half = spec.field_um / 2
    centres = np.arange(half, recipe.section_um - half, recipe.stride_um)
    xs, ys = (a.ravel() for a in np.meshgrid(centres, centres))
    keep = tissue.footprint_mean(tissue.tissue, xs, ys, half) >= recipe.min_tissue
    xs, ys = xs[keep], ys[keep]
    regions = np.stack([tissue.footprint_mean(p, xs, ys, half) for p in tissue.region_prob], axis=1)
    regions /= regions.sum(1, keepdims=True)
    xy_px = np.stack([xs, ys], axis=1) / um_per_px
    patches = [p for p, _ in iter_patches(image, xy_px, um_per_px, PatchSpec(size_px=size_px, um_per_px=um_per_px))]
    return np.stack(patches).transpose(0, 3, 1, 2), regions.astype(np.float32)


def _dihedral(images: Any, rng: np.random.Generator) -> Any:
    """Random flip and 90-degree rotation of each image (tissue has no up)."""
    import torch

    out = []
    for image in images:
        if rng.random() < 0.5:
            image = image.flip(-1)
        out.append(torch.rot90(image, int(rng.integers(4)), dims=(-2, -1)))
    return torch.stack(out)


def _cached(out: Path, recipe: DemoBaseRecipe) -> bool:
    from safetensors import safe_open

    if not out.is_file():
        return False
    try:
        with safe_open(str(out), framework="pt") as handle:
            return (handle.metadata() or {}).get("recipe_hash") == recipe.digest()
    except (OSError, ValueError):
        return False


def make_demo_base(out: Path, *, recipe: DemoBaseRecipe = DEMO_BASE_RECIPE, progress: bool = True) -> dict[str, Any]:
    """Pretrain the demo base and write it to ``out`` (timm keys, safetensors); reuse ``out`` if its recipe matches.

    Returns the file's metadata (recipe, patches, final loss, region accuracy, seconds).
    """
    import torch
    from safetensors import safe_open
    from safetensors.torch import save_file

    from humanst.atomic import atomic_path
    from stamp.data.stain import scale_stain
    from stamp.encoders import create_encoder
    from stamp.progress import StepProgress

    out = Path(out)
    if _cached(out, recipe):
        logger.info("demo base %s is up to date (recipe %s)", out, recipe.digest())
        with safe_open(str(out), framework="pt") as handle:
            return dict(handle.metadata() or {})
    began = time.perf_counter()
    encoder = create_encoder(recipe.encoder, pretrained=False, seed=recipe.seed)
    spec = encoder.spec
    parts = [_section_patches(seed, recipe, spec.input_size) for seed in recipe.section_seeds]
    pixels = torch.from_numpy(np.concatenate([part[0] for part in parts]))
    target = torch.from_numpy(np.concatenate([part[1] for part in parts]))
    mean = torch.tensor(spec.mean).view(1, 3, 1, 1)
    std = torch.tensor(spec.std).view(1, 3, 1, 1)
    head = torch.nn.Linear(spec.embed_dim, target.shape[1])
    if recipe.freeze_stem:
        encoder.timm_model.patch_embed.requires_grad_(requires_grad=False)
    params = [p for p in (*encoder.parameters(), *head.parameters()) if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=recipe.lr, weight_decay=recipe.weight_decay)
    rng = np.random.default_rng(recipe.seed)
    torch.manual_seed(recipe.seed)
    encoder.train()
    losses, hits, gaps = [], [], []
    with StepProgress("pretrain demo base", recipe.steps, enabled=progress, show_loss=True) as bar:
        for step in range(recipe.steps):
            rows = rng.choice(pixels.shape[0], size=recipe.batch_size, replace=False)
            views = _dihedral(pixels[rows], rng).float().div(255.0)
            factors = rng.uniform(1 - recipe.eosin_jitter, 1 + recipe.eosin_jitter, size=(2, recipe.batch_size))
            one, two = (scale_stain(views, torch.from_numpy(f).float()) for f in factors)
            for group in optimizer.param_groups:
                group["lr"] = recipe.lr * 0.5 * (1 + np.cos(np.pi * step / recipe.steps))
            weight = recipe.invariance_at(step)
            embedding = encoder((torch.cat([one, two]) - mean) / std)
            logits = head(embedding)
            soft = target[rows].repeat(2, 1)
            loss = -(soft * torch.log_softmax(logits, dim=1)).sum(1).mean()
            unit = torch.nn.functional.normalize(embedding, dim=1)
            gap = (unit[: len(rows)] - unit[len(rows) :].detach()).pow(2).sum(1).mean()
            if weight > 0:
                loss = loss + weight * gap
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            losses.append(float(loss.detach()))
            gaps.append(float(gap.detach()))
            hits.append(float((logits.argmax(1) == soft.argmax(1)).float().mean()))
            bar.advance(1, loss=losses[-1])
    state = {k: v.detach().cpu().contiguous() for k, v in encoder.timm_model.state_dict().items()}
    meta = {
        "recipe": json.dumps(asdict(recipe)),
        "recipe_hash": recipe.digest(),
        "patches": str(pixels.shape[0]),
        "final_loss": f"{np.mean(losses[-20:]):.4f}",
        "region_accuracy_last_20_steps": f"{np.mean(hits[-20:]):.3f}",
        "eosin_view_distance_last_20_steps": f"{np.mean(gaps[-20:]):.4f}",
        "seconds": f"{time.perf_counter() - began:.1f}",
        "objective": "soft region-mix classification on synthetic H&E (morphology only; no expression), "
        "invariant to eosin strength",
    }
    with atomic_path(out) as tmp:
        save_file(state, str(tmp), metadata=meta)
    logger.info(
        "demo base %s: %s patches, loss %s, region accuracy %s (%s s)",
        out,
        meta["patches"],
        meta["final_loss"],
        meta["region_accuracy_last_20_steps"],
        meta["seconds"],
    )
    return meta
