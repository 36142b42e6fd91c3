"""The synthetic slide cohort's files depend on its design only: the same bytes from one process or several."""

from __future__ import annotations

import hashlib
from pathlib import Path

from humanst.synth.cohort import CohortDesign, write_synthetic_cohort


def _digests(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


def test_one_process_and_two_write_the_same_bytes(tmp_path):
    design = CohortDesign(n_patients=6, width_um=240, height_um=200, seed=5)
    write_synthetic_cohort(tmp_path / "one", design, workers=1)
    write_synthetic_cohort(tmp_path / "two", design, workers=2)
    one, two = _digests(tmp_path / "one"), _digests(tmp_path / "two")
    assert any(name.endswith(".maf.gz") for name in one)  # gzip headers carry no time
    assert any(name.startswith("slides/") for name in one)
    assert one == two
