"""``humanst push``: an atlas's patch dataset to a Hugging Face dataset repository, never a restricted sample.

What goes up is what ``humanst export`` writes (parquet shards under ``data/``, ``genes.txt``, ``pathways.json``
and the dataset card ``README.md``), with the card extended by the atlas version and the build of each pushed
sample. A sample whose build record says ``redistributable: false`` is refused before anything is sent, or, with
``skip_restricted``, left out of the export (its rows are never written) and named in the card.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from humanst.errors import HubError
from humanst.hub.client import require_token, valid_repo_id
from humanst.hub.upload import PushResult, push_files
from humanst.provenance import package_version
from humanst.store.atlas import ATLAS_FORMAT_VERSION, Atlas, DatasetFiles

__all__ = ["AtlasPush", "push_atlas", "restricted_samples"]


@dataclass(frozen=True)
class AtlasPush:
    """The push (repository, commit, files), the samples pushed and left out, and the rows sent."""

    result: PushResult
    pushed: list[str]
    left_out: list[str]
    rows: int


def restricted_samples(atlas: Atlas) -> list[str]:
    """Return the dataset's samples whose build record does not say ``redistributable: true`` (or is missing)."""
    samples = [str(s) for s in atlas.info()["samples"]]
    return [s for s in samples if (record := atlas.record(s)) is None or not record.redistributable]


def _build_section(atlas: Atlas, pushed: list[str]) -> str:
    """Render the card's build section: atlas and humanst versions, then the build of each pushed sample."""
    lines = [
        "", "## Atlas build", "",
        f"humanst {package_version('humanst')}, atlas format version {ATLAS_FORMAT_VERSION}; "
        f"{atlas.info().get('rows', '?')} rows in the local atlas before restricted samples were left out.", "",
        "| sample | platform | spots kept | genes | um/px | um/px source | licence |",
        "|---|---|---:|---:|---:|---|---|",
    ]  # fmt: skip
    for sample_id in pushed:
        record = atlas.record(sample_id)
        if record is not None:
            lines.append(
                f"| {sample_id} | {record.platform} | {record.spots_kept} | {record.genes} | {record.um_per_px:.4g} "
                f"| {record.um_per_px_source or '-'} | {record.license} |"
            )
    return "\n".join(lines) + "\n"


def push_atlas(atlas: Path, repo_id: str, *, private: bool = True, skip_restricted: bool = False) -> AtlasPush:
    """Push the atlas's redistributable patch dataset to the dataset repository ``repo_id``; return what was sent.

    Parameters
    ----------
    atlas
        Atlas folder built by ``humanst build``.
    repo_id
        ``ORG/NAME`` of the dataset repository (created private unless ``private`` is false).
    private
        Create the repository private (the default); an existing public repository is refused.
    skip_restricted
        Leave out samples marked ``redistributable: false`` (listed in the card) instead of refusing the push.

    Raises
    ------
    HubError
        A restricted sample without ``skip_restricted``, nothing left to push, no token, or a failed push.
    AtlasError
        No atlas or no patch dataset at ``atlas``.
    """
    from humanst.store.export import export_atlas

    valid_repo_id(repo_id)
    source = Atlas.open(atlas, need_dataset=True)
    restricted = restricted_samples(source)
    if restricted and not skip_restricted:
        msg = (
            f"atlas '{atlas}': sample(s) {', '.join(restricted)} are marked redistributable: false and are never "
            "uploaded; pass --skip-restricted to push the other samples (the card lists those left out)"
        )
        raise HubError(msg)
    require_token()  # before the export work
    try:  # beside the atlas (the export is as large as the dataset); the system's temp folder if it is read-only
        source.work_dir.mkdir(parents=True, exist_ok=True)
        scratch: Path | None = source.work_dir
    except OSError:
        scratch = None
    with tempfile.TemporaryDirectory(prefix="push-", dir=scratch) as work:
        folder = Path(work) / "export"
        pushed, left_out, rows = export_atlas(source.root, folder)
        if not pushed:
            msg = f"atlas '{atlas}': no redistributable sample to push ({len(left_out)} restricted)"
            raise HubError(msg)
        card = DatasetFiles(folder).card
        card.write_text(card.read_text(encoding="utf-8") + _build_section(source, pushed), encoding="utf-8")
        files = {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*")) if p.is_file()}
        message = f"humanst push: {len(pushed)} sample(s), {rows} rows" + (
            f" ({len(left_out)} restricted sample(s) left out)" if left_out else ""
        )
        result = push_files(repo_id, files, repo_type="dataset", private=private, message=message)
    return AtlasPush(result=result, pushed=pushed, left_out=left_out, rows=rows)
