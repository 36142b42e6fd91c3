"""Validation inside ``stamp fit``: the tier-1 probe on held-out patients and the encoder's drift, every N steps.

The current encoder (no heads, eval mode) embeds the :class:`ValidationSet` spots; a ridge probe
(:mod:`stamp.probe`, the benchmark's) is fitted on the training-patient subset and scored on the validation
patients: mean Pearson over the collection's pathways, over matched random gene sets, and the gap between
them (the specific molecular signal). Drift compares the validation spots' current embeddings with the base
encoder's (LoRA disabled). Step 0 scores the base encoder itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

from stamp.probe import choose_penalties, fit_ridge_per_alpha, pearson_columns, predict_per_alpha, standardise_pca
from stamp.train.drift import drift_metrics
from stamp.train.validation_set import ValidationSet

if TYPE_CHECKING:
    from stamp.data import PatchTransform
    from stamp.encoders.encoder import Encoder
    from stamp.train.config import ValidationSettings

__all__ = ["DRIFT_FIELDS", "ProbeScore", "Validator", "validation_fields"]

DRIFT_FIELDS = ("drift_cosine", "drift_cka")


def validation_fields(collection: str) -> tuple[str, ...]:
    """Column names of the validation metrics in ``metrics.csv`` and TensorBoard."""
    return (f"val_{collection}_r", "val_random_r", "val_gap", *DRIFT_FIELDS)


@dataclass(frozen=True)
class ProbeScore:
    """Mean over validation patients of the mean Pearson over targets: pathways, random sets, and their gap."""

    pathway_r: float
    random_r: float
    gap: float
    per_patient_gap: dict[str, float]
    penalty: str


class Validator:
    """Embed the validation spots with an encoder and score them; remembers the base encoder's embeddings.

    Parameters
    ----------
    data
        The run's fixed validation spots and targets.
    settings
        ``TrainConfig.validation``.
    transform
        The encoder's patch transform (no augmentation).
    device
        Where the encoder runs.
    autocast
        bf16 autocast (CUDA), as in training.
    """

    def __init__(
        self, data: ValidationSet, settings: ValidationSettings, transform: PatchTransform, device: torch.device,
        *, autocast: bool,
    ) -> None:  # fmt: skip
        self.data = data
        self.settings = settings
        self.transform = transform
        self.device = device
        self.autocast = autocast
        self.base: np.ndarray | None = None  # the base encoder's embeddings of the validation spots
        self.penalty = ""
        self._pixels: torch.Tensor | None = None  # decoded once: uint8 (rows, 3, size, size)

    def _images(self) -> torch.Tensor:
        from stamp.data.transforms import decode_resized

        if self._pixels is None:
            size = self.transform.size
            self._pixels = torch.stack(
                [torch.from_numpy(decode_resized(j, size)).permute(2, 0, 1) for j in self.data.jpegs]
            )
        return self._pixels

    def embed(self, encoder: Encoder) -> np.ndarray:
        """Return the embeddings of every row (probe spots, then validation spots) with ``encoder`` in eval mode."""
        was_training = encoder.training
        encoder.eval()
        chunks = []
        pixels = self._images()
        mean = torch.tensor(self.transform.mean).view(1, 3, 1, 1)
        std = torch.tensor(self.transform.std).view(1, 3, 1, 1)
        size = self.settings.batch_size
        with torch.inference_mode():
            for start in range(0, pixels.shape[0], size):
                images = (pixels[start : start + size].float().div(255.0) - mean) / std
                with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.autocast):
                    chunks.append(encoder(images.to(self.device)).float().cpu())
        encoder.train(was_training)
        return torch.cat(chunks).numpy().astype(np.float64)

    def embed_base(self, encoder: Encoder) -> np.ndarray:
        """Embeddings of the base encoder: the same model with its LoRA adapter disabled."""
        from stamp.model.lora import peft_model

        with peft_model(encoder).disable_adapter():
            return self.embed(encoder)

    @property
    def targets(self) -> np.ndarray:
        """Measured targets of every row: the collection's pathways, then their matched random sets."""
        return np.hstack([self.data.pathways, self.data.random])

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, str]:
        """Fit the probe on the probe spots' embeddings ``x[probe]``; return its predictions of the validation spots.

        Predictions are (validation spots x targets: pathways, then random sets), with the penalty choice in words.
        """
        data, settings = self.data, self.settings
        z = standardise_pca(x, data.probe, settings.pca_components)
        y = self.targets
        fit_rows = data.probe
        choice = choose_penalties(
            z[fit_rows],
            y[fit_rows],
            data.patients[fit_rows],
            settings.alphas,
            settings.inner_folds,
            slides=data.samples[fit_rows],
            coords=data.coords_um[fit_rows],
        )
        models = fit_ridge_per_alpha(z[fit_rows], y[fit_rows], choice.alphas)
        return predict_per_alpha(models, choice.alphas, z[data.val]), choice.describe()

    def score(self, x: np.ndarray) -> ProbeScore:
        """Fit the probe on the probe spots' embeddings ``x[probe]`` and score it on the validation spots."""
        data = self.data
        pred, penalty = self.predict(x)
        truth = self.targets[data.val]
        n_path = data.pathways.shape[1]
        patients = data.patients[data.val]
        path_r, rand_r = {}, {}
        for patient in sorted(set(patients.tolist())):
            rows = patients == patient
            r = pearson_columns(truth[rows], pred[rows])
            path_r[patient] = _nanmean(r[:n_path])
            rand_r[patient] = _nanmean(r[n_path:])
        gaps = {p: path_r[p] - rand_r[p] for p in path_r}
        return ProbeScore(
            pathway_r=_nanmean(np.array(list(path_r.values()))),
            random_r=_nanmean(np.array(list(rand_r.values()))),
            gap=_nanmean(np.array(list(gaps.values()))),
            per_patient_gap=gaps,
            penalty=penalty,
        )

    def evaluate(self, encoder: Encoder, step: int) -> dict[str, float]:
        """Score the current encoder and its drift from the base; at step 0 the current encoder is the base.

        LoRA starts as the identity (peft initialises B to zero), so the step-0 embeddings are the base's; a
        resumed run recomputes the base with the adapter disabled.
        """
        x = self.embed(encoder)
        val_rows = self.data.val
        if self.base is None:
            self.base = x[val_rows] if step == 0 else self.embed_base(encoder)[val_rows]
        result = self.score(x)
        self.penalty = result.penalty
        names = validation_fields(self.data.collection)
        values = dict(zip(names[:3], (result.pathway_r, result.random_r, result.gap), strict=True))
        return {**values, **drift_metrics(self.base, x[val_rows])}


def _nanmean(values: np.ndarray) -> float:
    values = np.asarray(values, dtype=np.float64)
    return float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")
