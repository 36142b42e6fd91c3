"""What the base model's terms allow to be pushed, and how its licence is named on the hub.

A merged encoder is the base weights with the LoRA folded in: a modified copy of the base. It may be pushed only
when the base is not gated and its licence lets modified weights be shared. A gated base's terms govern access to
its weights; a no-derivatives licence (CC-BY-NC-ND), a vendor's own terms (``LicenseRef-*``) or an unknown
licence do not grant it. The adapter alone holds no base weights and may always be pushed, with the base's terms
in its card.
"""

from __future__ import annotations

from stamp.encoders import EncoderSpec

__all__ = ["SHAREABLE_DERIVATIVES", "hub_license", "merged_push_refusal"]

# SPDX ids (lower case) whose terms let modified weights be redistributed (with attribution, and for NC licences
# non-commercially): permissive licences and the Creative Commons licences without ND.
SHAREABLE_DERIVATIVES = frozenset(
    {
        "apache-2.0", "mit", "bsd-2-clause", "bsd-3-clause", "cc0-1.0", "cc-by-4.0", "cc-by-sa-4.0", "cc-by-nc-4.0",
        "cc-by-nc-sa-4.0", "openrail", "bigscience-openrail-m", "creativeml-openrail-m",
    }
)  # fmt: skip


def merged_push_refusal(spec: EncoderSpec) -> str | None:
    """Why the merged encoder of ``spec`` may not be pushed (one line), or ``None`` when it may."""
    from humanst.hub import repo_page

    base = f"base encoder {spec.name!r}"
    if spec.hub_id:
        base += f" ({repo_page(spec.hub_id)})"
    adapter_only = "push the adapter alone (without --merged); its card carries the base's terms"
    if spec.gated:
        return (
            f"--merged refused: the {base} is gated, so its terms govern who may have its weights, and a merged "
            f"encoder is a modified copy of them; {adapter_only}"
        )
    if spec.license.lower() not in SHAREABLE_DERIVATIVES:
        return (
            f"--merged refused: the {base} is licensed {spec.license}, which does not let modified weights be "
            f"redistributed (no derivatives, vendor terms, or unknown); {adapter_only}"
        )
    return None


def hub_license(spec: EncoderSpec) -> dict[str, str]:
    """Return the model card's licence fields for a work derived from ``spec`` (``license``, ``license_name``)."""
    license_id = spec.license.lower()
    if license_id.startswith("licenseref-") or license_id == "unknown":
        return {"license": "other", "license_name": license_id.removeprefix("licenseref-")}
    return {"license": license_id}
