"""Resumable checkpoints without pickle: trainable tensors and optimiser state in safetensors, scalars in JSON.

This module owns the checkpoint layout of a run (no other module spells it)::

    RUN/checkpoints/step-XXXXXXXX/   trainable.safetensors, optimizer.safetensors, state.json (the newest `keep`)
    RUN/checkpoints/best/            trainable.safetensors, state.json: the best validated step so far
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import torch

from stamp.errors import RunError
from stamp.run_info import MetricRow

__all__ = [
    "checkpoint_dir",
    "checkpoint_step",
    "clear_best",
    "latest_checkpoint",
    "load_best",
    "load_checkpoint",
    "read_best",
    "save_best",
    "save_checkpoint",
]

CHECKPOINTS = "checkpoints"
BEST = "best"
TRAINABLE = "trainable.safetensors"
STATE = "state.json"


def checkpoint_dir(run: Path) -> Path:
    """Return the folder of a run's checkpoints."""
    return Path(run) / CHECKPOINTS


def checkpoint_step(path: Path) -> int:
    """Return the step a ``step-XXXXXXXX`` checkpoint folder was taken at."""
    return int(Path(path).name.split("-")[1])


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


def save_checkpoint(
    run: Path, step: int, trainable: dict[str, torch.Tensor], optimizer: torch.optim.Optimizer, keep: int = 2
) -> Path:
    """Write ``checkpoints/step-XXXXXXXX`` atomically (temp folder, then rename) and drop the oldest beyond ``keep``."""
    from safetensors.torch import save_file

    root = checkpoint_dir(run)
    root.mkdir(parents=True, exist_ok=True)
    final = root / f"step-{step:08d}"
    tmp = root / f".tmp-step-{step:08d}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    save_file(trainable, str(tmp / TRAINABLE))
    opt_tensors, opt_meta = _flatten_optimizer(optimizer.state_dict())
    save_file(opt_tensors, str(tmp / "optimizer.safetensors"))
    (tmp / STATE).write_text(json.dumps({"step": step, "optimizer": opt_meta}), encoding="utf-8")
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    for old in sorted(root.glob("step-*"))[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def latest_checkpoint(run: Path) -> Path | None:
    """Return the newest complete checkpoint of a run, or ``None``."""
    found = sorted(checkpoint_dir(run).glob("step-*"))
    return found[-1] if found else None


def load_checkpoint(path: Path, module: torch.nn.Module, optimizer: torch.optim.Optimizer) -> int:
    """Restore trainable tensors and optimiser state; return the step the checkpoint was taken at."""
    from safetensors.torch import load_file

    try:
        trainable = load_file(str(path / TRAINABLE))
        meta = json.loads((path / STATE).read_text(encoding="utf-8"))
        opt_tensors = load_file(str(path / "optimizer.safetensors"))
    except (OSError, ValueError) as err:
        msg = f"checkpoint '{path}' is incomplete or unreadable: {err}; delete it to resume from the previous one"
        raise RunError(msg) from err
    _copy_into(module, trainable, path)
    optimizer.load_state_dict(_unflatten_optimizer(opt_tensors, meta["optimizer"]))
    return int(meta["step"])


def _copy_into(module: torch.nn.Module, trainable: dict[str, torch.Tensor], path: Path) -> None:
    params = dict(module.named_parameters())
    unknown = sorted(set(trainable) - set(params))
    if unknown:
        msg = f"checkpoint '{path}' does not fit this model ({len(unknown)} unknown tensors, e.g. {unknown[:3]})"
        raise RunError(msg)
    with torch.no_grad():
        for name, value in trainable.items():
            params[name].copy_(value)


def save_best(run: Path, step: int, trainable: dict[str, torch.Tensor], info: dict[str, float]) -> Path:
    """Keep ``trainable`` as the run's best validated step (``checkpoints/best``), replacing the previous best."""
    from safetensors.torch import save_file

    from humanst.atomic import atomic_path

    final = checkpoint_dir(run) / BEST
    final.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(final) as tmp:
        tmp.mkdir()
        save_file(trainable, str(tmp / TRAINABLE))
        (tmp / STATE).write_text(json.dumps({"step": step, **info}), encoding="utf-8")
    return final


def clear_best(run: Path) -> None:
    """Forget a best validated step left by an earlier, unfinished run in the same folder (fresh start)."""
    from humanst.atomic import remove_path

    remove_path(checkpoint_dir(run) / BEST)


def read_best(run: Path) -> MetricRow | None:
    """Return the state of the run's best validated step (``step`` and its metrics), ``None`` when there is none."""
    path = checkpoint_dir(run) / BEST / STATE
    if not path.is_file():
        return None
    return dict(json.loads(path.read_text(encoding="utf-8")))


def load_best(run: Path, module: torch.nn.Module) -> MetricRow:
    """Copy the best validated step's trainable tensors into ``module``; return its state (step, metrics)."""
    from safetensors.torch import load_file

    folder = checkpoint_dir(run) / BEST
    state = read_best(run)
    if state is None:
        msg = f"run '{run}' has no best validated checkpoint ('{folder}' missing); use --select last"
        raise RunError(msg)
    _copy_into(module, load_file(str(folder / TRAINABLE)), folder)
    return state
