"""What every tier's runner shares: the entries to compute, the code and machine behind a result, unseen patients.

Tier 1 runs in :mod:`benchmarks.spot.runner` (atlas spots), tiers 2-3 in :mod:`benchmarks.slide.runner` (cohort
slides); both take the same :class:`EncoderRun` entries and stamp their results with :func:`code_version` and
:func:`hardware`.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from benchmarks import __version__
from benchmarks.cache import read_cache_info
from benchmarks.errors import BenchmarkError
from benchmarks.schema import Hardware

if TYPE_CHECKING:
    from stamp.hub import AdapterSource

__all__ = ["EncoderRun", "cache_kind", "check_adapter_unseen", "code_version", "entries_for", "hardware"]


@dataclass(frozen=True)
class EncoderRun:
    """One leaderboard entry to compute: an encoder (with an adapter or random weights) or a baseline."""

    encoder: str
    adapter: Path | AdapterSource | None = None  # a run folder, or a resolved ``hf:`` adapter (pinned by commit)
    random_init: bool = False
    kind: Literal["model", "baseline"] = "model"
    weights: Path | None = None  # local safetensors weights of the encoder (else the hub, or the adapter run's)


def code_version() -> str:
    """``benchmarks`` version plus the git commit of the checkout when there is one."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return f"{__version__}+g{commit}" if commit else __version__


def hardware() -> Hardware:
    """Describe this machine."""
    return Hardware(
        machine=platform.machine(),
        processor=platform.processor() or platform.machine(),
        cpu_count=os.cpu_count() or 1,
        python=sys.version.split()[0],
        platform=platform.platform(),
    )


def check_adapter_unseen(adapter: Path | AdapterSource, patients: Iterable[str], task_name: str) -> None:
    """Refuse to evaluate an aligned encoder on patients its adapter was trained on (a leak through the encoder).

    Parameters
    ----------
    adapter
        The STAMP run folder (or a run pushed to the hub, downloaded); its ``run.json`` lists the training patients.
    patients
        The patients the task tests the encoder on.
    task_name
        Named in the error.

    Raises
    ------
    BenchmarkError
        ``run.json`` is missing, or a tested patient is among the adapter's training patients.
    """
    from stamp.hub import AdapterSource
    from stamp.run_dir import RunFiles, read_run_info

    label = adapter.label if isinstance(adapter, AdapterSource) else str(adapter)
    folder = adapter.folder if isinstance(adapter, AdapterSource) else Path(adapter)
    if not (folder / RunFiles.INFO).is_file():
        msg = f"adapter '{label}': {RunFiles.INFO} missing, so its training patients are unknown; finish the run first"
        raise BenchmarkError(msg)
    seen = set(read_run_info(folder).train_patients)
    leaked = sorted(set(patients) & seen)
    if leaked:
        msg = (
            f"adapter '{label}' was trained on patient(s) {leaked[:5]}, which task {task_name!r} tests; "
            "evaluate on patients the adapter never saw (task folds.held_out_patients, or an atlas split or cohort "
            "it did not train on)"
        )
        raise BenchmarkError(msg)


def cache_kind(cache: Path) -> Literal["model", "baseline"]:
    """``baseline`` for a random-weights or benchmark-baseline cache folder, else ``model``."""
    from benchmarks.baselines import baseline_names

    info = read_cache_info(cache)
    return "baseline" if info.weights == "random" or info.encoder in baseline_names() else "model"


def entries_for(
    encoder: str,
    *,
    adapter: Path | AdapterSource | None = None,
    random_init: bool = False,
    baselines: bool = True,
    weights: Path | None = None,
) -> list[EncoderRun]:
    """Return the entries one ``stamp-bench run`` computes: the encoder, then (unless disabled) its two baselines.

    The baselines are the same architecture with random weights and the colour/texture statistics; both
    are cached, so adding them to every run costs one embedding pass the first time only.
    """
    from benchmarks.baselines import baseline_names

    if encoder in baseline_names():
        return [EncoderRun(encoder, kind="baseline")]
    kind: Literal["model", "baseline"] = "baseline" if random_init else "model"
    runs = [EncoderRun(encoder, adapter=adapter, random_init=random_init, kind=kind, weights=weights)]
    if baselines:
        if not random_init:
            runs.append(EncoderRun(encoder, random_init=True, kind="baseline"))
        runs += [EncoderRun(name, kind="baseline") for name in baseline_names()]
    return runs
