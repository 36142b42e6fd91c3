"""Finish a run: write adapter, heads, statistics, run info and card once the last step is done."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stamp.data import AtlasPatches
    from stamp.model import StampAligner
    from stamp.run_info import ValidationSummary, VerdictInfo
    from stamp.train.config import TrainConfig
    from stamp.train.distributed import DistInfo

__all__ = ["finish_run"]


def finish_run(
    run: Path, aligner: StampAligner, dataset: AtlasPatches, config: TrainConfig, dist: DistInfo,
    losses: list[float], wall_s: float, *, validation: ValidationSummary | None = None,
    verdict: VerdictInfo | None = None,
) -> None:  # fmt: skip
    """Write the final artefacts of a run (main process only); ``validation``: the selection; ``verdict``: its rows."""
    import numpy as np

    import stamp
    from humanst.store import Atlas
    from stamp.model.lora import lora_target_modules
    from stamp.run_dir import write_run
    from stamp.run_info import RunInfo, TargetsInfo, ValidationSummary, VerdictInfo

    n_lora = sum(1 for name, _ in aligner.encoder.named_modules() if name.endswith("lora_A"))
    samples = sorted({str(s) for s in dataset.sample_id.tolist()})
    licences: dict[str, list[str]] = {}
    for sample_id in samples:
        record = Atlas(config.atlas).record(sample_id)
        licences.setdefault(record.license if record is not None and record.license else "unknown", []).append(
            sample_id
        )
    info = RunInfo(
        encoder=config.encoder,
        weights_id=aligner.encoder.weights_id,
        n_train_rows=len(dataset),
        n_train_samples=int(np.unique(dataset.sample_id).size),
        train_patients=sorted(set(dataset.patient_id.tolist())),
        train_samples=samples,
        data_licenses=licences,
        n_pathways=len(dataset.target_names),
        targets=TargetsInfo.model_validate(dataset.target_details),
        contrastive=config.loss.contrastive,
        seed=config.seed,
        replicate_group=config.replicate_group(),
        n_lora_modules=n_lora or len(lora_target_modules(aligner.encoder, config.lora)),
        trainable_params=sum(p.numel() for p in aligner.parameters() if p.requires_grad),
        world_size=dist.world_size,
        final_loss=losses[-1] if losses else float("nan"),
        wall_s=wall_s,
        stamp_version=stamp.__version__,
        freeze_norm=config.freeze_norm,
        validation=validation or ValidationSummary(enabled=False, select="last"),
        verdict=verdict or VerdictInfo(),
    )
    write_run(run, aligner, config, dataset.stats, info)
