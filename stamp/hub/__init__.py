"""Sharing through the Hugging Face Hub: ``hf:`` references, adapter sources, pushes of runs and their cards."""

from __future__ import annotations

from stamp.hub.adapter_source import AdapterSource, resolve_adapter
from stamp.hub.push import push_run
from stamp.hub.reference import HUB_PREFIX, HubSnapshot, fetch_hub_snapshot, is_hub_reference
from stamp.hub.terms import hub_license, merged_push_refusal

__all__ = [
    "HUB_PREFIX",
    "AdapterSource",
    "HubSnapshot",
    "fetch_hub_snapshot",
    "hub_license",
    "is_hub_reference",
    "merged_push_refusal",
    "push_run",
    "resolve_adapter",
]
