"""Cohort definitions as data: ``manifests/benchmarks/cohorts/<name>.yaml`` says where a cohort comes from.

A definition names its source (the NCI GDC API for TCGA projects, or the synthetic generator), the labels to derive
(driver mutations, overall survival, slide-level pathway activity), the licence and citation, and whether widely used
pathology foundation models are known to have seen the cohort's slides in pretraining (inline, or the name of a shared
card in ``cohorts/pretraining/``, e.g. ``pretraining: tcga``). ``stamp-bench fetch-cohort``
turns a definition into a cohort folder (:mod:`benchmarks.cohorts.record`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import Field, ValidationError

from benchmarks.errors import CohortError
from humanst.resources import manifests_dir
from humanst.strict_model import FrozenModel

__all__ = [
    "NON_SILENT_CLASSES",
    "ActivityLabels",
    "CohortDefinition",
    "EncoderExposure",
    "GdcSource",
    "LabelSpecs",
    "MutationLabels",
    "PretrainingExposure",
    "SurvivalLabels",
    "SyntheticSource",
    "cohorts_dir",
    "load_definition",
    "shipped_cohorts",
]

# MAF Variant_Classification values that change the protein (what "mutated" means in a label).
NON_SILENT_CLASSES: tuple[str, ...] = (
    "Missense_Mutation", "Nonsense_Mutation", "Frame_Shift_Del", "Frame_Shift_Ins", "In_Frame_Del", "In_Frame_Ins",
    "Splice_Site", "Translation_Start_Site", "Nonstop_Mutation",
)  # fmt: skip
GDC_API = "https://api.gdc.cancer.gov"


class GdcSource(FrozenModel):
    """Open-access files of NCI GDC projects: diagnostic slides, masked somatic MAFs, STAR counts, clinical cases."""

    kind: Literal["gdc"] = "gdc"
    api: str = Field(GDC_API, description="GDC API root (files, cases, data, status endpoints).")
    projects: list[str] = Field(min_length=1, description="GDC project ids, e.g. TCGA-COAD and TCGA-READ.")
    slide_filters: dict[str, str] = Field(
        default_factory=lambda: {
            "data_type": "Slide Image",
            "experimental_strategy": "Diagnostic Slide",
            "data_format": "SVS",
        },
        description="files-endpoint fields that select the slides (diagnostic FFPE H&E scans).",
    )
    sample_types: list[str] = Field(
        default_factory=lambda: ["Primary Tumor"], description="cases.samples.sample_type kept for slides and RNA."
    )
    mutation_workflow: str = "Aliquot Ensemble Somatic Variant Merging and Masking"
    expression_workflow: str = "STAR - Counts"
    page_size: int = Field(500, ge=1, le=10_000, description="Hits per API page.")


class SyntheticSource(FrozenModel):
    """The synthetic cohort of :mod:`humanst.synth.cohort` (offline; for tests and the demo)."""

    kind: Literal["synthetic"] = "synthetic"
    n_patients: int = Field(36, ge=6)
    width_um: float = Field(900.0, gt=100)
    height_um: float = Field(750.0, gt=100)
    second_slide_fraction: float = Field(0.25, ge=0, le=1)
    seed: int = 0


class MutationLabels(FrozenModel):
    """Driver mutation status per patient from the open-access masked somatic MAFs (1 mutated, 0 wild type)."""

    genes: list[str] = Field(min_length=1)
    variant_classes: list[str] = Field(default_factory=lambda: list(NON_SILENT_CLASSES))


class SurvivalLabels(FrozenModel):
    """Overall survival: days to death (vital status Dead) or to last follow-up (Alive), and the event."""

    endpoint: Literal["overall_survival"] = "overall_survival"


class ActivityLabels(FrozenModel):
    """Slide-level pathway activity from the matched bulk RNA-seq counts, scored as the atlas scores spots."""

    collections: list[str] = Field(default_factory=lambda: ["hallmark"])
    random_set_bins: int = Field(25, ge=2, description="Expression bins of the matched random-set control.")
    random_set_seed: int = 0


class LabelSpecs(FrozenModel):
    """Which label tables a cohort provides."""

    mutations: MutationLabels | None = None
    survival: SurvivalLabels | None = None
    activity: ActivityLabels | None = None


class EncoderExposure(FrozenModel):
    """Whether one encoder (a `stamp encoders` name) is known to have seen the cohort's slides in pretraining."""

    seen: Literal["yes", "no", "unknown"]
    source: str = Field(description="Where this is stated (paper, model card).")


class PretrainingExposure(FrozenModel):
    """Whether widely used PFMs saw the cohort in pretraining: ``yes`` when at least one is known to have."""

    status: Literal["yes", "no", "unknown"]
    note: str = ""
    encoders: dict[str, EncoderExposure] = Field(default_factory=dict)
    default: Literal["yes", "no", "unknown"] = Field("unknown", description="What an encoder not listed gets.")

    def for_encoder(self, encoder: str) -> str:
        """``yes`` / ``no`` / ``unknown`` for one encoder (``default`` when the card does not list it)."""
        entry = self.encoders.get(encoder)
        return entry.seen if entry is not None else self.default


class CohortDefinition(FrozenModel):
    """A cohort: source, labels, licence, citation and pretraining exposure."""

    schema_version: Literal[1] = 1
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")
    description: str = ""
    license: str = Field(description="Terms of the data (e.g. NIH GDC open access, TCGA publication guidelines).")
    citation: str = ""
    source: Annotated[GdcSource | SyntheticSource, Field(discriminator="kind")]
    labels: LabelSpecs
    pretraining: PretrainingExposure


def _exposure_card(name: str, where: Path) -> dict[str, object]:
    """Return a shared pretraining-exposure card (``cohorts/pretraining/<name>.yaml``), named by a definition."""
    path = cohorts_dir() / "pretraining" / f"{name}.yaml"
    if not path.is_file():
        known = sorted(p.stem for p in (cohorts_dir() / "pretraining").glob("*.yaml"))
        msg = f"pretraining card {name!r} not found; shipped cards: {', '.join(known) or 'none'}"
        raise CohortError(msg, path=where)
    card = yaml.safe_load(path.read_text(encoding="utf-8"))
    return dict(card) if isinstance(card, dict) else {}


def cohorts_dir() -> Path:
    """Return the folder of shipped cohort definitions (``manifests/benchmarks/cohorts``)."""
    return manifests_dir() / "benchmarks" / "cohorts"


def shipped_cohorts() -> list[str]:
    """Names of the shipped cohort definitions."""
    return sorted(p.stem for p in cohorts_dir().glob("*.yaml"))


def load_definition(name_or_path: str | Path) -> CohortDefinition:
    """Load a cohort definition by shipped name or from a YAML path; every problem is listed with its location.

    Raises
    ------
    CohortError
        Missing, not YAML, or not matching :class:`CohortDefinition`.
    """
    key = str(name_or_path)
    path = Path(key)
    if not path.suffix and key in shipped_cohorts():
        path = cohorts_dir() / f"{key}.yaml"
    if not path.is_file():
        msg = f"no such cohort definition; shipped cohorts: {', '.join(shipped_cohorts()) or 'none'}"
        raise CohortError(msg, path=path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(doc, dict) and isinstance(doc.get("pretraining"), str):
            doc["pretraining"] = _exposure_card(doc["pretraining"], path)
        return CohortDefinition.model_validate(doc)
    except yaml.YAMLError as exc:
        msg = f"not YAML ({exc})"
        raise CohortError(msg, path=path) from exc
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'cohort'}: {e['msg']}" for e in exc.errors())
        msg = f"does not match the cohort schema ({problems}); see benchmarks.cohorts.CohortDefinition"
        raise CohortError(msg, path=path) from exc
