"""Generate ``manifests/humanst.yaml`` from the HEST-1k metadata CSV and the curated 10x datasets.

Run ``python -m humanst.manifest.make_humanst`` from the repository root; never edit the YAML by hand
(a test regenerates it and compares).
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from humanst.builder.settings import DEFAULTS
from humanst.manifest.hest_catalog import (
    HEST_COLLECTION_LICENSE,
    HEST_REPO,
    HEST_REVISION,
    hest_entries,
    read_hest_rows,
    technology_by_id,
)
from humanst.manifest.load import parse_manifest
from humanst.manifest.models import SampleEntry
from humanst.manifest.tenx_public import TENX_LICENSE_SOURCES, tenx_entries

__all__ = ["DEFAULT_CSV", "DEFAULT_OUT", "main", "render_manifest"]

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CSV = REPO_ROOT / "manifests" / "catalog" / "hest_v1_1_0_metadata.csv"
DEFAULT_OUT = REPO_ROOT / "manifests" / "humanst.yaml"
COMMAND = "python -m humanst.manifest.make_humanst"
NAME = "humanst"
VERSION = "0.1.0"

_TENX_SOURCES = "".join(f"#     {url}\n" for url in TENX_LICENSE_SOURCES)
_HEADER = f"""\
# GENERATED FILE - do not edit by hand. Regenerate with:
#   {COMMAND}
# Sources:
#   - HEST-1k v1.1.0 sample metadata, manifests/catalog/hest_v1_1_0_metadata.csv
#     (mahmoodlab/HEST assets/HEST_v1_1_0.csv; HEST-1k is released under CC BY-NC-SA 4.0; see
#     manifests/catalog/SOURCES.md). Human rows only; each sample is read from the hub dataset
#     {HEST_REPO} at revision '{HEST_REVISION}' (gated: accept its terms and log in) in the HEST layout,
#     whatever its original technology (kept as a comment above each entry).
#   - 10x Genomics public datasets curated in humanst/manifest/tenx_public.py, CC BY 4.0, as stated at
{_TENX_SOURCES}# Licences: a HEST sample's 'license' is '<its study's licence> AND {HEST_COLLECTION_LICENSE}'
#   (the study's terms plus HEST-1k's), or {HEST_COLLECTION_LICENSE} alone when the study states none.
#   No-derivatives and HEST 'Internal' samples are redistributable: false.
# Patients: patient_id = '<study>:<patient>'; study = a slug of the dataset title plus 6 hex digits of
#   its SHA-1; a sample without a patient label is its own patient ('<study>:sample-<id>').
# um_per_px is left unset: the HEST reader measures it from the hub files (the CSV's embedded pixel
#   sizes are unreliable, e.g. 63.5 um/px), so no override is recorded here.
"""


def _sample_yaml(entry: SampleEntry) -> str:
    data: dict[str, Any] = entry.model_dump(mode="json", exclude_none=True)
    text = yaml.safe_dump([data], sort_keys=False, default_flow_style=None, width=400, allow_unicode=True)
    return "".join(f"  {line}\n" for line in text.splitlines())


def render_manifest(csv_path: str | Path = DEFAULT_CSV) -> tuple[str, list[SampleEntry]]:
    """Return the manifest YAML text and its entries, validated with :func:`parse_manifest`."""
    rows = read_hest_rows(csv_path)
    hest = hest_entries(rows)
    technology = technology_by_id(rows)
    tenx = tenx_entries({e.id: e for e in hest})
    parts = [_HEADER, f"name: {NAME}\n", f'version: "{VERSION}"\n']
    patch = DEFAULTS.patch
    parts += [
        f"gene_sets: [{', '.join(DEFAULTS.gene_sets)}]\n",
        f"patch: {{size_px: {patch.size_px}, um_per_px: {patch.um_per_px:g}}}\n",
        f"pseudo_spot_um: {DEFAULTS.pseudo_spot_um:g}\n",
    ]
    parts.append("samples:\n")
    for entry in hest:
        parts.append(f"  # {entry.id}: HEST-1k, original technology {technology[entry.id]}\n")
        parts.append(_sample_yaml(entry))
    for entry in tenx:
        parts.append(f"  # {entry.id}: 10x Genomics public dataset, {entry.platform.value} outputs\n")
        parts.append(_sample_yaml(entry))
    text = "".join(parts)
    parse_manifest(yaml.safe_load(text))
    return text, hest + tenx


def main(argv: list[str] | None = None) -> None:
    """Write the manifest and print a one-line summary."""
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV, help="HEST metadata CSV")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="manifest YAML to write")
    args = parser.parse_args(argv)
    text, entries = render_manifest(args.csv)
    tmp = args.out.with_suffix(".yaml.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(args.out)
    redistributable = Counter(e.redistributable for e in entries)
    patients = len({e.patient_id for e in entries})
    from rich.console import Console

    Console(soft_wrap=True).print(
        f"wrote {args.out}: {len(entries)} samples, {patients} patients, "
        f"{redistributable[True]} redistributable, {redistributable[False]} not"
    )


if __name__ == "__main__":
    main()
