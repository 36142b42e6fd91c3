"""The run directory of ``stamp fit``: write the final artefacts, read them back as an adapted encoder.

A run pushed by ``stamp push`` holds the same files, except that the adapter's two files sit at the repository
root (PEFT's hub layout, so ``PeftModel.from_pretrained(base, "ORG/NAME")`` finds them) and ``card.md`` is the
hub's ``README.md``. Every reader here takes either layout (:func:`adapter_dir`), and the adapter hash of a pushed
run equals the run folder's.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from humanst.errors import FileFormatError
from stamp.errors import RunError
from stamp.run_info import (
    RUN_FORMAT,
    RUN_FORMAT_VERSION,
    RUN_INFO_FILE,
    Check,
    MetricRow,
    RunInfo,
    ValidationSummary,
    VerdictInfo,
)

if TYPE_CHECKING:
    from stamp.data import PathwayStats
    from stamp.encoders.encoder import Encoder
    from stamp.model import StampAligner
    from stamp.train.config import TrainConfig

__all__ = [
    "RUN_FORMAT_VERSION",
    "RunFiles",
    "RunInfo",
    "adapter_dir",
    "adapter_hash",
    "load_run_encoder",
    "read_run_config",
    "read_run_info",
    "render_card",
    "write_run",
]


class RunFiles:
    """Names of the files in a run directory (DESIGN 3)."""

    ADAPTER = "adapter"
    ADAPTER_CONFIG = "adapter_config.json"  # peft's names, inside ADAPTER (or at the root of a pushed run)
    ADAPTER_WEIGHTS = "adapter_model.safetensors"
    HEADS = "heads.safetensors"
    CONFIG = "config.yaml"
    METRICS = "metrics.csv"
    TENSORBOARD = "tensorboard"
    CARD = "card.md"
    STATS = "pathway_stats.json"
    INFO = RUN_INFO_FILE
    VALIDATION = "validation.safetensors"  # the base's and kept encoder's probe predictions of the validation spots
    BASE = "base.safetensors"  # only for random-init encoders, so the adapter always meets the same base weights


def adapter_dir(run: Path) -> Path:
    """Return the folder holding a run's adapter: ``RUN/adapter``, or the root of a run pushed to the hub."""
    nested = Path(run) / RunFiles.ADAPTER
    return nested if nested.is_dir() else Path(run)


def adapter_hash(run: Path, length: int = 12) -> str:
    """Content hash of a run's adapter weights, LoRA settings and heads: the aligned encoder's name in caches.

    The adapter config is canonicalised first (peft writes ``target_modules`` from a set, in no fixed order), so
    the same weights always give the same hash.
    """
    run = Path(run)
    digest = hashlib.sha256()
    config_path = adapter_dir(run) / RunFiles.ADAPTER_CONFIG
    if config_path.is_file():
        config = json.loads(config_path.read_text(encoding="utf-8"))
        config = {k: sorted(v) if isinstance(v, list) and k == "target_modules" else v for k, v in config.items()}
        digest.update(json.dumps(config, sort_keys=True).encode())
    for path in (adapter_dir(run) / RunFiles.ADAPTER_WEIGHTS, run / RunFiles.HEADS):
        if path.is_file():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:length]


def write_run(run: Path, aligner: StampAligner, config: TrainConfig, stats: PathwayStats, info: RunInfo) -> None:
    """Save the adapter (peft, safetensors), heads, pathway statistics, run info and model card."""
    from safetensors.torch import save_file

    from stamp.model.lora import peft_model

    run = Path(run)
    peft_model(aligner.encoder).save_pretrained(str(run / RunFiles.ADAPTER), safe_serialization=True)
    save_file(aligner.head_state(), str(run / RunFiles.HEADS))
    if aligner.encoder.weights_id == "random":
        base = {k: v.detach().cpu().contiguous() for k, v in aligner.encoder.timm_model.state_dict().items()}
        base = {k.replace(".base_layer.", "."): v for k, v in base.items() if "lora_" not in k}
        save_file(base, str(run / RunFiles.BASE))
    (run / RunFiles.STATS).write_text(json.dumps(stats.to_json()), encoding="utf-8")
    info = info.model_copy(
        update={
            "format_version": RUN_FORMAT_VERSION,
            "finished": datetime.now(UTC).isoformat(),
            "adapter_hash": adapter_hash(run),
        }
    )
    write_run_info(run, info)
    (run / RunFiles.CARD).write_text(render_card(config, info), encoding="utf-8")


def write_run_info(run: Path, info: RunInfo) -> None:
    """(Re)write a run's ``run.json`` atomically."""
    RUN_FORMAT.write(Path(run) / RunFiles.INFO, info)


def render_card(config: TrainConfig, info: RunInfo) -> str:
    """Return ``card.md``: what was trained on what, the validation table and the verdict rows of ``info``."""
    from stamp.encoders import get_encoder_spec

    spec = get_encoder_spec(config.encoder)
    return "\n".join(
        [
            f"# STAMP adapter for `{config.encoder}` ({info.adapter_hash})",
            "",
            f"- Base encoder: `{spec.name}` ({spec.weights_origin}; weights {info.weights_id}), "
            f"licence {spec.license}. The adapter inherits the base model's licence terms.",
            f"- Trained on atlas `{config.atlas}` (splits {config.data.splits}; {info.n_train_rows} patches from "
            f"{info.n_train_samples} samples), collections {config.data.collections}, "
            f"{info.n_pathways} targets ({config.data.targets}) standardised per {config.data.standardise}; "
            f"contrastive loss {config.loss.contrastive}; seed {config.seed}.",
            f"- LoRA r={config.lora.r}, alpha={config.lora.alpha}, dropout={config.lora.dropout}, "
            f"blocks={config.lora.blocks or 'all'}, {info.n_lora_modules} modules; "
            f"{info.trainable_params:,} trainable parameters.",
            f"- {config.optim.steps} steps x {config.optim.batch_size} patches x {info.world_size} rank(s); "
            f"final loss {_loss(info.final_loss)}; wall time {info.wall_s:.0f} s; stamp {info.stamp_version}.",
            _data_line(info),
            *_validation_lines(info.validation),
            *_verdict_lines(info.verdict),
            "",
            "Load: `stamp embed --atlas ATLAS --encoder "
            f"{config.encoder} --adapter RUN --out EMB`, or merge: `stamp export RUN --merge --out DIR`.",
            "",
            "Cite: STAMP (2026), and the base model: " + spec.citation,
            "",
        ]
    )


def _loss(value: float | None) -> str:
    return f"{value:.4f}" if value is not None else "nan"


def _data_line(info: RunInfo) -> str:
    """Render the card's data licence line: each licence and how many training samples it covers."""
    licences = info.data_licenses
    if not licences:
        return "- Data licences: see the atlas dataset card; non-redistributable samples stay local."
    shown = "; ".join(f"{lic} ({len(ids)} sample(s))" for lic, ids in sorted(licences.items()))
    return f"- Data licences of the training samples: {shown}; each sample's licence is in the atlas dataset card."


def _validation_lines(validation: ValidationSummary) -> list[str]:
    """Return the card's validation section: base vs kept step, drift, the selection rule and any warning."""
    if not validation.enabled:
        return ["- Validation: off (no held-out patients); the adapter is the last step's."]
    collection = validation.collection
    key = f"val_{collection}_r"
    base, kept = validation.base or {}, validation.selected

    def row(name: str, values: MetricRow) -> str:
        cells = [values.get(k) for k in (key, "val_random_r", "val_gap", "drift_cosine", "drift_cka")]
        return f"| {name} | " + " | ".join("-" if v is None else f"{float(v):.4f}" for v in cells) + " |"

    lines = [
        "",
        f"## Validation (patients {', '.join(validation.val_patients)}; probe on "
        f"{validation.n_probe_spots} spots of {', '.join(validation.probe_patients)})",
        "",
        f"Ridge probe on frozen embeddings; {collection} pathways vs size- and expression-matched random gene sets; "
        f"penalty by {validation.penalty or 'inner CV'}. Drift: mean cosine and linear CKA of the validation "
        "spots' embeddings to the base encoder's (1 = unchanged).",
        "",
        f"| encoder | {collection} r | random-set r | gap | drift cosine | drift CKA |",
        "|---|---|---|---|---|---|",
        row("base (step 0)", base),
        row(f"kept: step {kept.get('step', '?')} ({validation.select})", kept),
    ]
    lines += [f"- **Warning**: {text}" for text in validation.warnings]
    return lines


def _number(value: float | None, *, signed: bool = False) -> str:
    if value is None:
        return "-"
    return f"{float(value):+.4f}" if signed else f"{float(value):.4f}"


def _verdict_lines(verdict: VerdictInfo) -> list[str]:
    """Render the verdict rows, whatever checks they hold (the rows are data: a new check needs no code here)."""
    checks: list[Check] = verdict.checks
    if not checks:
        return []
    answer = {True: "**yes**", False: "no", None: "not measured"}
    lines = [
        "",
        "## Verdict",
        "",
        "| check | metric | A | B | B - A | 95% interval | rule | answer |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c in checks:
        low, high = _number(c.ci_low, signed=True), _number(c.ci_high, signed=True)
        interval = f"[{low}, {high}]" if c.ci_low is not None else "-"
        a = f"{c.a_label}: {_number(c.a)}" if c.a_label else "-"
        b = f"{c.b_label}: {_number(c.b)}" if c.b_label else "-"
        lines.append(
            f"| {c.name}: {c.question} | {c.metric} | {a} | {b} | {_number(c.value, signed=True)} "
            f"| {interval} | {c.rule} | {answer[c.passed]} |"
        )
    lines += ["", *sorted({f"- Interval: {c.resampled}." for c in checks if c.resampled})]
    if verdict.control:
        lines.append(f"- Control: the random-aligned run `{verdict.control}` (same seed and validation spots).")
    lines.append(
        "- Both encoders were chosen on these validation spots (validation.select): a validation statement; the "
        "held-out claim is tier 1's (`stamp-bench compare`)."
    )
    return lines


def read_run_info(run: Path) -> RunInfo:
    """Load a finished run's ``run.json``, its format version checked.

    Raises
    ------
    RunError
        The run is not finished (no ``run.json``), the file is unreadable, or its format version is newer than
        this stamp reads (the message says to upgrade).
    """
    path = Path(run) / RunFiles.INFO
    if not path.is_file():
        msg = f"run '{run}' is not finished ({RunFiles.INFO} missing); resume it with `stamp fit --resume --out {run}`"
        raise RunError(msg)
    try:
        return RUN_FORMAT.read(path)
    except FileFormatError as err:
        raise RunError(str(err)) from err


def read_run_config(run: Path) -> TrainConfig:
    """Load the resolved ``config.yaml`` of a run."""
    from stamp.train.config import load_config

    path = Path(run) / RunFiles.CONFIG
    if not path.is_file():
        msg = f"'{run}' is not a run directory of `stamp fit` ({RunFiles.CONFIG} missing)"
        raise RunError(msg)
    return load_config(path)


def load_run_encoder(run: Path, *, weights: Path | None = None) -> Encoder:
    """Build the run's base encoder and attach its adapter (inference mode).

    The base weights are ``weights``, else the run's own ``base.safetensors`` (random-init encoders), else the run's
    ``--weights`` file (a run folder only: a pushed run's config names a file on the pusher's machine), else the
    hub. A warning says when they are not the weights the adapter was trained on.
    """
    from stamp._logging import logger
    from stamp.encoders import create_encoder
    from stamp.model.lora import load_lora

    run = Path(run)
    config = read_run_config(run)
    info = read_run_info(run)
    if not (adapter_dir(run) / RunFiles.ADAPTER_CONFIG).is_file():
        msg = (
            f"run '{run}' has no adapter ({RunFiles.ADAPTER}/{RunFiles.ADAPTER_CONFIG} missing); pass the run "
            "directory of a finished `stamp fit`, or a repository pushed by `stamp push`"
        )
        raise RunError(msg)
    base = run / RunFiles.BASE
    own_weights = config.weights if adapter_dir(run) != run else None
    chosen = weights or (base if base.is_file() else own_weights)
    encoder = create_encoder(config.encoder, weights=chosen, seed=config.seed)
    trained_on = info.weights_id
    if chosen != base and trained_on and encoder.weights_id != trained_on:
        logger.warning(
            "run '%s': its adapter was trained on base weights %s, these are %s; embeddings will differ from the "
            "run's own (pass the same --weights)",
            run, trained_on, encoder.weights_id,
        )  # fmt: skip
    encoder = load_lora(encoder, adapter_dir(run))
    return encoder.eval()
