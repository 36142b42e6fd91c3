"""The model card (``README.md``) of a run pushed to the hub: front matter, the run's card, the base's terms, loading.

The run's own ``card.md`` already gives the base model and its licence, the training data and the validation
verdict, drift and metrics; the hub card adds the front matter the hub reads (library, licence, base model, tags),
the base's gating terms, the data licences, and how to load what was pushed in one line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml

from humanst.hub import repo_page
from stamp.encoders import EncoderSpec
from stamp.encoders.layers import LayerRef
from stamp.hub.reference import HUB_PREFIX
from stamp.hub.terms import hub_license
from stamp.run_dir import RunFiles
from stamp.run_info import RunInfo

__all__ = ["Kind", "hub_model_card"]

Kind = Literal["adapter", "merged"]
TAGS = ["stamp", "pathology", "spatial-transcriptomics", "histology", "image-feature-extraction"]


def _kwargs_code(spec: EncoderSpec) -> str:
    """``, img_size=112, depth=2`` for ``timm.create_model`` (layer classes by their dotted name)."""
    parts = [f"{k}={v.name if isinstance(v, LayerRef) else repr(v)}" for k, v in spec.model_kwargs.items()]
    return "".join(f", {p}" for p in parts)


def _base_code(spec: EncoderSpec, repo_id: str, *, base_pushed: bool) -> list[str]:
    """Python lines that build the base timm model the adapter goes on."""
    kwargs = _kwargs_code(spec)
    if base_pushed:  # random-init base: its weights travel with the adapter
        return [
            "from huggingface_hub import hf_hub_download",
            "from safetensors.torch import load_file",
            f'base = timm.create_model("{spec.arch}", pretrained=False, num_classes=0{kwargs})',
            f'base.load_state_dict(load_file(hf_hub_download("{repo_id}", "{RunFiles.BASE}")))',
        ]
    if spec.weights_source == "timm-hub" and spec.hub_id:
        return [f'base = timm.create_model("hf-hub:{spec.hub_id}", pretrained=True, num_classes=0{kwargs})']
    return ["import stamp", f'base = stamp.load_encoder("{spec.name}")[0].timm_model  # the vendor weights, as timm']


def _front_matter(spec: EncoderSpec, kind: Kind) -> str:
    meta: dict[str, object] = {"library_name": "peft" if kind == "adapter" else "timm", **hub_license(spec)}
    if spec.hub_id:
        meta["base_model"] = spec.hub_id
        meta["base_model_relation"] = "adapter" if kind == "adapter" else "finetune"
    meta["tags"] = [*TAGS, "lora", "peft"] if kind == "adapter" else [*TAGS, "timm"]
    meta["pipeline_tag"] = "image-feature-extraction"
    return "---\n" + yaml.safe_dump(meta, sort_keys=False) + "---\n"


def _terms(spec: EncoderSpec) -> list[str]:
    where = f" ({repo_page(spec.hub_id)})" if spec.hub_id else ""
    lines = [f"- Base encoder `{spec.name}` (timm `{spec.arch}`){where}: licence **{spec.license}**, "
             f"{'**gated**' if spec.gated else 'not gated'}."]  # fmt: skip
    if spec.gated:
        lines.append(
            f"- The base weights are not in this repository. Using it needs the base model: accept its terms at "
            f"{repo_page(spec.hub_id or spec.name)} and log in (`hf auth login`). Those terms and the base's licence "
            "apply to this adapter and to everything made with it."
        )
    else:
        lines.append("- Works derived from the base (this adapter, embeddings made with it) follow the base's licence.")
    return lines


def _data_licences(info: RunInfo) -> list[str]:
    licences = info.data_licenses
    if not licences:
        return ["- Training data: see the atlas dataset card for each sample's licence."]
    shown = "; ".join(f"{lic}: {', '.join(ids)}" for lic, ids in sorted(licences.items()))
    return [f"- Training data licences (sample ids): {shown}. Non-redistributable samples are not shared here."]


def _loading(spec: EncoderSpec, repo_id: str, kind: Kind, *, base_pushed: bool) -> list[str]:
    pinned = f"{HUB_PREFIX}{repo_id}@<commit>"
    if kind == "merged":
        lines = ["```python", "import timm", "", f'model = timm.create_model("hf-hub:{repo_id}", pretrained=True)',
                 "```"]  # fmt: skip
        if spec.pooling != "head":
            lines.append(
                f"timm's own pooling differs from the encoder's (`{spec.pooling}`): for the aligned embedding use "
                f'`stamp.load_encoder("{HUB_PREFIX}{repo_id}")`.'
            )
    else:
        lines = ["```python", "import timm", "from peft import PeftModel", "",
                 *_base_code(spec, repo_id, base_pushed=base_pushed),
                 f'model = PeftModel.from_pretrained(base, "{repo_id}")', "```"]  # fmt: skip
    return [
        *lines, "",
        f"With STAMP (`pip install humanst`): `encoder, transform = stamp.load_encoder(\"{HUB_PREFIX}{repo_id}\")`, "
        f"or `stamp embed --atlas ATLAS --encoder {spec.name} --adapter {pinned} --out EMB` "
        "(pin the commit: results record it).",
        f"Input: RGB patches of {spec.input_size} px at 0.5 um/px, normalised with mean {list(spec.mean)} and "
        f"std {list(spec.std)}; embedding width {spec.embed_dim} (pooling `{spec.pooling}`).",
    ]  # fmt: skip


def hub_model_card(run: Path, spec: EncoderSpec, info: RunInfo, repo_id: str, kind: Kind) -> str:
    """Render the ``README.md`` of the pushed run (``adapter``) or of its merged encoder (``merged``)."""
    card_path = Path(run) / RunFiles.CARD
    card = card_path.read_text(encoding="utf-8").strip() if card_path.is_file() else f"# STAMP {kind} for `{spec.name}`"
    base_pushed = kind == "adapter" and (Path(run) / RunFiles.BASE).is_file()
    what = (
        "the PEFT adapter (`adapter_config.json`, `adapter_model.safetensors`) of a STAMP run on the base encoder, "
        "with its heads, `run.json`, `config.yaml` and training metrics"
        + (" and the random-init base weights (`base.safetensors`)" if base_pushed else "")
        if kind == "adapter"
        else "the aligned encoder with the LoRA merged into the base weights, in timm's hub layout "
        "(`config.json`, `model.safetensors`), with `stamp_encoder.json` (pooling, normalisation) and `run.json`"
    )
    lines = [
        _front_matter(spec, kind), card, "", "## On the Hub", "", f"This repository holds {what}.", "",
        "### Terms", "", *_terms(spec), *_data_licences(info), "", "### Load", "",
        *_loading(spec, repo_id, kind, base_pushed=base_pushed), "",
    ]  # fmt: skip
    return "\n".join(lines)
