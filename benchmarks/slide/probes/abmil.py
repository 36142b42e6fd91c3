"""Gated-attention multiple-instance learning (ABMIL, Ilse et al. 2018) over a patient's tiles, in torch.

Tiles are standardised with the training tiles' mean and sd, embedded (linear, ReLU, dropout), weighted by a gated
attention (``w^T (tanh(V h) * sigmoid(U h))``, softmax over the bag) and pooled; a linear head gives one logit
(classification, weighted binary cross-entropy), the standardised targets (regression, MSE) or a log-risk (survival,
Cox partial likelihood over the mini-batch, Breslow ties). Fixed hyperparameters (:class:`AbmilSettings`), AdamW,
``max_tiles`` tiles sampled per bag and epoch, all tiles at inference. One model per seed; the predictions are
averaged over the seeds, and so is each test tile's attention weight (kept as the probe's per-tile score). On CPU
every run is deterministic: one intra-op thread (these models are tiny; more threads only contend), seeded
generators for the weights, the batches, the tile samples and the dropout masks.
On CUDA ``torch.use_deterministic_algorithms`` is asked for (warn only). Measured on the demo's probe (29 bags of
~60 tiles, 3 seeds x 20 epochs) on the shared 2-core machine: 151 s with 2 threads, 14 s with one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import torch
from torch import nn

from benchmarks.slide.probes._registry import ProbeInput, ProbeOutput, register_probe
from benchmarks.slide.task import AbmilSettings

__all__ = ["GatedAttentionMIL", "cox_partial_likelihood", "fit_predict_abmil"]


class GatedAttentionMIL(nn.Module):
    """Embed tiles, pool them with gated attention, map the bag to ``out_dim`` outputs."""

    def __init__(self, in_dim: int, out_dim: int, settings: AbmilSettings) -> None:
        super().__init__()
        self.embed = nn.Sequential(nn.Linear(in_dim, settings.hidden), nn.ReLU(), nn.Dropout(settings.dropout))
        self.attention_v = nn.Linear(settings.hidden, settings.attention)
        self.attention_u = nn.Linear(settings.hidden, settings.attention)
        self.attention_w = nn.Linear(settings.attention, 1)
        self.head = nn.Linear(settings.hidden, out_dim)

    def forward(self, tiles: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Bag outputs ``(B, out_dim)`` and attention ``(B, N)`` of padded bags ``(B, N, D)`` (``mask``: real tiles)."""
        h = self.embed(tiles)
        logits = self.attention_w(torch.tanh(self.attention_v(h)) * torch.sigmoid(self.attention_u(h))).squeeze(-1)
        weights = torch.softmax(logits.masked_fill(~mask, float("-inf")), dim=1)
        return self.head((weights.unsqueeze(-1) * h).sum(1)), weights


def cox_partial_likelihood(risk: torch.Tensor, time: torch.Tensor, event: torch.Tensor) -> torch.Tensor:
    """Negative Cox partial log-likelihood of log-risks (Breslow), averaged over the events; 0 without events.

    Patient i's risk set is everyone with ``time >= time[i]``, tied times included (a cumulative sum over a sorted
    order would leave part of a tie out, and which part would depend on the order of the batch).
    """
    n_events = event.sum()
    if n_events == 0:
        return risk.sum() * 0.0
    at_risk = time.unsqueeze(0) >= time.unsqueeze(1)  # row i: the risk set of patient i
    log_at_risk = torch.logsumexp(risk.unsqueeze(0).masked_fill(~at_risk, float("-inf")), dim=1)
    return -((risk - log_at_risk) * event).sum() / n_events


@contextmanager
def _deterministic(device: torch.device) -> Iterator[None]:
    """Run with one CPU thread (deterministic and fastest for tiny models); ask CUDA for deterministic kernels."""
    threads = torch.get_num_threads()
    previous = torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(1)
    if device.type == "cuda" and not previous:  # on CPU this call imports the compiler stack (~25 s) for nothing
        torch.use_deterministic_algorithms(mode=True, warn_only=True)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
        if device.type == "cuda" and not previous:
            torch.use_deterministic_algorithms(mode=False)


def _seed(device: torch.device, value: int) -> None:
    """Seed the generator the model runs on (on CPU only the CPU's: seeding every backend costs ~2 ms a step)."""
    if device.type == "cpu":
        torch.default_generator.manual_seed(value)
    else:
        torch.manual_seed(value)


def _sample(bag: np.ndarray, max_tiles: int, rng: np.random.Generator | None) -> np.ndarray:
    if rng is None or len(bag) <= max_tiles:
        return bag
    return bag[np.sort(rng.choice(len(bag), size=max_tiles, replace=False))]


def _batch(bags: list[np.ndarray], device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    n = max(len(b) for b in bags)
    tiles = np.zeros((len(bags), n, bags[0].shape[1]), dtype=np.float32)
    mask = np.zeros((len(bags), n), dtype=bool)
    for i, bag in enumerate(bags):
        tiles[i, : len(bag)], mask[i, : len(bag)] = bag, True
    return torch.from_numpy(tiles).to(device), torch.from_numpy(mask).to(device)


def _loss(kind: str, out: torch.Tensor, target: torch.Tensor, pos_weight: torch.Tensor) -> torch.Tensor:
    if kind == "classification":
        return nn.functional.binary_cross_entropy_with_logits(out[:, 0], target, pos_weight=pos_weight)
    if kind == "regression":
        return nn.functional.mse_loss(out, target)
    return cox_partial_likelihood(out[:, 0], target[:, 0], target[:, 1])


def _train_one(
    data: ProbeInput, bags: list[np.ndarray], target: np.ndarray, test: list[np.ndarray], seed: int
) -> tuple[np.ndarray, list[np.ndarray]]:
    settings = data.settings.abmil
    device = torch.device(data.device)
    rng = np.random.default_rng([seed, 31])
    out_dim = target.shape[1] if data.kind == "regression" else 1
    with torch.random.fork_rng(devices=[]):
        _seed(device, seed)
        model = GatedAttentionMIL(bags[0].shape[1], out_dim, settings).to(device)
    optimiser = torch.optim.AdamW(model.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
    y = torch.from_numpy(target.astype(np.float32)).to(device)
    positives = float(target.sum()) if data.kind == "classification" else 1.0
    pos_weight = torch.tensor(max(len(target) - positives, 1.0) / max(positives, 1.0), device=device)
    model.train()
    for _ in range(settings.epochs):
        order = rng.permutation(len(bags))
        for start in range(0, len(order), settings.batch_size):
            rows = order[start : start + settings.batch_size]
            if data.kind == "survival" and target[rows, 1].sum() == 0:
                continue  # no event, no partial likelihood
            with torch.random.fork_rng(devices=[]):
                _seed(device, int(rng.integers(2**31)))  # dropout masks follow the seed, not the global state
                tiles, mask = _batch([_sample(bags[i], settings.max_tiles, rng) for i in rows], device)
                out, _ = model(tiles, mask)
                loss = _loss(data.kind, out, y[torch.from_numpy(rows).to(device)], pos_weight)
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
    model.eval()
    predictions, attention = [], []
    with torch.no_grad():
        for bag in test:
            out, weights = model(*_batch([bag], device))
            predictions.append(out[0].cpu().numpy().astype(np.float64))
            attention.append(weights[0].cpu().numpy().astype(np.float64))
    return np.stack(predictions), attention


@register_probe(
    "abmil",
    "gated-attention MIL over the tiles (fixed hyperparameters, seeds averaged)",
    tile_score="attention weight of each tile (softmax over the patient's tiles, mean over the seeds' models)",
)
def fit_predict_abmil(data: ProbeInput) -> ProbeOutput:
    """Train one ABMIL per seed on the training bags; average their test predictions and their tile attention."""
    tiles = np.concatenate(data.train).astype(np.float64)
    mean, sd = tiles.mean(0), tiles.std(0) + 1e-6
    train = [((b - mean) / sd).astype(np.float32) for b in data.train]
    test = [((b - mean) / sd).astype(np.float32) for b in data.test]
    y = np.asarray(data.y_train, dtype=np.float64)
    if data.kind == "regression":
        y = y.reshape(len(y), -1)
        y_mean, y_sd = y.mean(0), y.std(0) + 1e-9
        target = (y - y_mean) / y_sd
    else:
        target = y.reshape(len(y), -1) if data.kind == "survival" else y
    device = torch.device(data.device)
    per_seed = []
    attention = [np.zeros(len(b)) for b in test]
    with _deterministic(device):
        for seed in data.settings.abmil.seeds:
            raw, weights = _train_one(data, train, target, test, seed=data.seed * 1000 + seed)
            for total, w in zip(attention, weights, strict=True):
                total += w / len(data.settings.abmil.seeds)
            if data.kind == "classification":
                per_seed.append(1.0 / (1.0 + np.exp(-raw[:, 0])))
            elif data.kind == "regression":
                per_seed.append(raw * y_sd + y_mean)
            else:
                per_seed.append(raw[:, 0])
    return ProbeOutput(np.mean(per_seed, axis=0), per_seed=per_seed, tile_scores=[a.reshape(-1, 1) for a in attention])
