"""``stamp.load_encoder``: one call from a name, a run folder, a merged export or a hub repository to a model.

For notebooks::

    encoder, transform = stamp.load_encoder("hf:my-lab/stamp-uni-breast")
    embeddings = encoder(torch.stack([transform(patch) for patch in patches]))

What the argument names decides what is built: ``hf:ORG/NAME[@REVISION]`` (downloaded into the hub cache; a run
pushed by ``stamp push`` or a merged encoder pushed with ``--merged``), a folder (a ``stamp fit`` run or a
``stamp export`` folder), else a registered encoder name or ``timm:<arch>``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from stamp.errors import RunError

if TYPE_CHECKING:
    from stamp.data.transforms import ImageTransform
    from stamp.encoders import Encoder

__all__ = ["load_encoder"]


def _from_folder(folder: Path, label: str, weights: Path | None) -> Encoder:
    from stamp.encoders import create_encoder
    from stamp.export import MERGED_INFO, MERGED_WEIGHTS, read_merged_info
    from stamp.run_dir import RunFiles, load_run_encoder

    if (folder / RunFiles.CONFIG).is_file():
        return load_run_encoder(folder, weights=weights)
    merged = read_merged_info(folder)
    if merged is not None:
        return create_encoder(str(merged["encoder"]), weights=folder / MERGED_WEIGHTS).eval()
    msg = (
        f"{label}: neither a run (no {RunFiles.CONFIG}) nor a merged encoder (no {MERGED_INFO}); pass a run "
        "folder of `stamp fit`, an export of `stamp export`, a repository pushed by `stamp push`, or an encoder name"
    )
    raise RunError(msg)


def load_encoder(
    source: str | Path, *, weights: Path | None = None, device: str = "cpu"
) -> tuple[Encoder, ImageTransform]:
    """Return the encoder ``source`` names (eval mode, on ``device``) and the transform that prepares its input.

    Parameters
    ----------
    source
        ``hf:ORG/NAME[@REVISION]``, a run or export folder, a registered encoder name (``stamp encoders``) or
        ``timm:<arch>``.
    weights
        Local safetensors weights of the base encoder (instead of the hub, or of a pushed run's own).
    device
        ``cpu``, ``cuda`` or ``auto``.

    Returns
    -------
    The :class:`~stamp.encoders.Encoder` (images -> pooled embeddings) and an
    :class:`~stamp.data.transforms.ImageTransform` (one PIL image, array or JPEG -> normalised tensor).

    Raises
    ------
    HubError
        An ``hf:`` reference that cannot be downloaded.
    EncoderError, RunError
        An unknown name, or a folder that is neither a run nor an export.
    """
    from stamp.data.transforms import ImageTransform
    from stamp.encoders import create_encoder
    from stamp.hub.reference import fetch_hub_snapshot, is_hub_reference
    from stamp.train.distributed import resolve_device

    if is_hub_reference(source):
        snapshot = fetch_hub_snapshot(str(source), flag="load_encoder")
        encoder = _from_folder(snapshot.folder, snapshot.pinned, weights)
    elif Path(source).is_dir():
        encoder = _from_folder(Path(source), f"folder '{source}'", weights)
    else:
        encoder = create_encoder(str(source), weights=weights).eval()
    spec = encoder.spec
    return encoder.to(resolve_device(device)), ImageTransform(spec.input_size, spec.mean, spec.std)
