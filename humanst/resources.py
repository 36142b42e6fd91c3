"""Locate the files shipped beside the package: manifests, gene sets, benchmark task definitions."""

from __future__ import annotations

import sys
from pathlib import Path

from humanst.errors import HumanstError

__all__ = ["manifests_dir"]


def manifests_dir() -> Path:
    """Return the shipped ``manifests/`` folder (source checkout or installed ``share/humanst``)."""
    candidates = [
        Path(__file__).resolve().parents[1] / "manifests",  # source checkout / editable install
        Path(sys.prefix) / "share" / "humanst" / "manifests",  # wheel install (data-files)
    ]
    for candidate in candidates:
        if (candidate / "genesets").is_dir():
            return candidate
    tried = ", ".join(str(c) for c in candidates)
    msg = f"cannot find the shipped manifests folder (tried {tried}); reinstall humanst or pass paths explicitly"
    raise HumanstError(msg)
