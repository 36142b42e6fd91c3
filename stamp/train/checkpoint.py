"""Resumable checkpoints without pickle: trainable tensors and optimiser state in safetensors, scalars in JSON."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import torch

from stamp.errors import RunError

__all__ = ["latest_checkpoint", "load_checkpoint", "save_checkpoint"]

CHECKPOINTS = "checkpoints"


def _flatten_optimizer(state: dict[str, Any]) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, Any] = {}
    for pid, pstate in state["state"].items():
        for key, value in pstate.items():
            if isinstance(value, torch.Tensor):
                tensors[f"{pid}.{key}"] = value.detach().cpu().contiguous()
            else:
                scalars[f"{pid}.{key}"] = value
    return tensors, {"param_groups": state["param_groups"], "scalars": scalars}


def _unflatten_optimizer(tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> dict[str, Any]:
    state: dict[int, dict[str, Any]] = {}
    for name, value in [*tensors.items(), *meta["scalars"].items()]:
        pid, key = name.split(".", 1)
        state.setdefault(int(pid), {})[key] = value
    return {"state": state, "param_groups": meta["param_groups"]}


def save_checkpoint(run: Path, step: int, trainable: dict[str, torch.Tensor], optimizer: Any, keep: int = 2) -> Path:
    """Write ``checkpoints/step-XXXXXXXX`` atomically (temp folder, then rename) and drop the oldest beyond ``keep``."""
    from safetensors.torch import save_file

    root = Path(run) / CHECKPOINTS
    root.mkdir(parents=True, exist_ok=True)
    final = root / f"step-{step:08d}"
    tmp = root / f".tmp-step-{step:08d}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    save_file(trainable, str(tmp / "trainable.safetensors"))
    opt_tensors, opt_meta = _flatten_optimizer(optimizer.state_dict())
    save_file(opt_tensors, str(tmp / "optimizer.safetensors"))
    (tmp / "state.json").write_text(json.dumps({"step": step, "optimizer": opt_meta}), encoding="utf-8")
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    for old in sorted(root.glob("step-*"))[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def latest_checkpoint(run: Path) -> Path | None:
    """Return the newest complete checkpoint of a run, or ``None``."""
    found = sorted((Path(run) / CHECKPOINTS).glob("step-*"))
    return found[-1] if found else None


def load_checkpoint(path: Path, module: torch.nn.Module, optimizer: Any) -> int:
    """Restore trainable tensors and optimiser state; return the step the checkpoint was taken at."""
    from safetensors.torch import load_file

    try:
        trainable = load_file(str(path / "trainable.safetensors"))
        meta = json.loads((path / "state.json").read_text(encoding="utf-8"))
        opt_tensors = load_file(str(path / "optimizer.safetensors"))
    except (OSError, ValueError) as err:
        msg = f"checkpoint '{path}' is incomplete or unreadable: {err}; delete it to resume from the previous one"
        raise RunError(msg) from err
    params = dict(module.named_parameters())
    unknown = sorted(set(trainable) - set(params))
    if unknown:
        msg = f"checkpoint '{path}' does not fit this model ({len(unknown)} unknown tensors, e.g. {unknown[:3]})"
        raise RunError(msg)
    with torch.no_grad():
        for name, value in trainable.items():
            params[name].copy_(value)
    optimizer.load_state_dict(_unflatten_optimizer(opt_tensors, meta["optimizer"]))
    return int(meta["step"])
