"""``stamp push``: a finished run's adapter (PEFT layout) or its merged encoder (timm layout) to a hub repository.

Adapter (default): ``adapter_config.json`` and ``adapter_model.safetensors`` at the repository root, so that
``peft.PeftModel.from_pretrained(base, "ORG/NAME")`` loads them on the base timm model, with the heads,
``run.json``, ``config.yaml``, ``pathway_stats.json``, ``metrics.csv``, the random-init base weights when the base
has no others, and the model card as ``README.md``. The pushed repository reads as a run wherever one is accepted
(``--adapter hf:ORG/NAME``) and has the run folder's adapter hash.

Merged (``--merged``): what ``stamp export --merge`` writes, in timm's hub layout, so that
``timm.create_model("hf-hub:ORG/NAME", pretrained=True)`` returns the aligned encoder; refused (before anything is
sent) when the base model's terms do not allow sharing modified weights (:mod:`stamp.hub.terms`).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from humanst.errors import HubError
from humanst.hub import PushResult, push_files, require_token, valid_repo_id
from stamp.hub.model_card import Kind, hub_model_card
from stamp.hub.terms import merged_push_refusal
from stamp.run_dir import RunFiles, adapter_dir, adapter_hash, read_run_config, read_run_info

__all__ = ["CARD_NAME", "push_run"]

CARD_NAME = "README.md"  # the hub's model card
_OPTIONAL = (RunFiles.STATS, RunFiles.METRICS, RunFiles.BASE)


def _adapter_files(run: Path) -> dict[str, Path]:
    """Repository path -> run file, for the adapter push; a missing required file raises."""
    adapter = adapter_dir(run)
    files = {
        RunFiles.ADAPTER_CONFIG: adapter / RunFiles.ADAPTER_CONFIG,
        RunFiles.ADAPTER_WEIGHTS: adapter / RunFiles.ADAPTER_WEIGHTS,
        RunFiles.HEADS: run / RunFiles.HEADS,
        RunFiles.INFO: run / RunFiles.INFO,
        RunFiles.CONFIG: run / RunFiles.CONFIG,
    }
    missing = [str(path) for path in files.values() if not path.is_file()]
    if missing:
        msg = f"run '{run}' lacks {', '.join(missing)}; push a finished `stamp fit` run (resume it with --resume)"
        raise HubError(msg)
    files |= {name: run / name for name in _OPTIONAL if (run / name).is_file()}
    return files


def push_run(
    run: Path, repo_id: str, *, merged: bool = False, private: bool = True, weights: Path | None = None
) -> PushResult:
    """Push a run's adapter (or, with ``merged``, its merged encoder) to the model repository ``repo_id``.

    Parameters
    ----------
    run
        Run directory of a finished ``stamp fit``.
    repo_id
        ``ORG/NAME`` of the model repository (created private unless ``private`` is false).
    merged
        Push the merged encoder in timm's hub layout instead of the adapter.
    private
        Create the repository private (the default); an existing public repository is refused.
    weights
        Local base weights for the merge (as ``stamp export --weights``).

    Raises
    ------
    HubError
        ``merged`` with a gated or non-redistributable base, an unfinished run, no token, or a failed push.
    RunError
        ``run`` is not a run directory.
    """
    from stamp.encoders import get_encoder_spec

    run = Path(run)
    valid_repo_id(repo_id)
    config = read_run_config(run)
    info = read_run_info(run)
    spec = get_encoder_spec(config.encoder)
    if merged and (refusal := merged_push_refusal(spec)) is not None:
        raise HubError(refusal)
    require_token()  # before the merge work
    kind: Kind = "merged" if merged else "adapter"
    with tempfile.TemporaryDirectory(prefix="stamp-push-") as work:
        folder = Path(work)
        if merged:
            from stamp.export import export_merged

            export = export_merged(run, folder / "merged", weights=weights)
            files = {p.name: p for p in sorted(export.iterdir()) if p.is_file() and p.name != RunFiles.CARD}
            files[RunFiles.INFO] = run / RunFiles.INFO
        else:
            files = _adapter_files(run)
        card = folder / CARD_NAME
        card.write_text(hub_model_card(run, spec, info, repo_id, kind), encoding="utf-8")
        files[CARD_NAME] = card
        message = f"stamp push: {kind} of {spec.name} + adapter {adapter_hash(run)}"
        return push_files(repo_id, files, repo_type="model", private=private, message=message)
