"""What the base model's terms allow: every registered encoder either may be pushed merged or says why not."""

from __future__ import annotations

import pytest

from stamp.encoders import encoder_names, get_encoder_spec
from stamp.hub import hub_license, merged_push_refusal


@pytest.mark.parametrize("name", encoder_names())
def test_merged_push_follows_gating_and_licence(name):
    spec = get_encoder_spec(name)
    refusal = merged_push_refusal(spec)
    if spec.gated:
        assert refusal is not None
        assert "is gated" in refusal
    elif spec.license in ("CC-BY-NC-ND-4.0", "unknown") or spec.license.startswith("LicenseRef-"):
        assert refusal is not None
        assert f"is licensed {spec.license}" in refusal
    else:
        assert refusal is None, refusal
    if refusal is not None:
        assert "\n" not in refusal
        assert "push the adapter alone" in refusal


def test_the_known_cases():
    assert merged_push_refusal(get_encoder_spec("vit-b16")) is None  # Apache-2.0, open
    assert merged_push_refusal(get_encoder_spec("midnight")) is None  # MIT, open
    assert "gated" in str(merged_push_refusal(get_encoder_spec("h-optimus-0")))  # Apache-2.0 but gated
    assert "LicenseRef-Owkin-non-commercial" in str(merged_push_refusal(get_encoder_spec("phikon-v2")))
    assert hub_license(get_encoder_spec("uni")) == {"license": "cc-by-nc-nd-4.0"}
    assert hub_license(get_encoder_spec("phikon-v2")) == {"license": "other", "license_name": "owkin-non-commercial"}
