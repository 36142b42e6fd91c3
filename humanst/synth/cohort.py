"""A synthetic slide cohort with known answers: slides, mutations, survival and bulk RNA of a few dozen patients.

Every patient has two hidden levels drawn from N(0, 1): ``subvisual`` shifts the sub-visual field of their sections
(the chromatin grain that drives HALLMARK_OXIDATIVE_PHOSPHORYLATION, invisible to colour histograms) and ``stroma``
shifts the stroma region's share (and so the EMT programme). Then, as a clinic would see them:

- **slides**: one or two sections per patient written as real slide files (:mod:`humanst.synth.slides`);
- **mutations**: ``DRIVER1`` is mutated with probability ``sigmoid(mutation_slope * subvisual)`` (the slide label
  tied to the sub-visual programme level); ``PASSENGER1`` at random (a label no image can predict); written as
  GDC-style masked somatic mutation MAFs, one per patient, with silent hits that must not count;
- **survival**: an exponential time with log-hazard ``hazard_effect * stroma`` (stroma-rich tumours do worse, as
  the tumour-stroma ratio predicts in colorectal and breast cancer), censored uniformly,
  written as GDC ``cases`` records (vital status, days to death / last follow-up);
- **bulk RNA**: the counts of the patient's sections pooled (spots on a grid, summed), written as GDC STAR-counts
  TSVs, so slide-level pathway activity can be scored like the atlas scores spots.

The files mimic the NCI GDC layouts, so the benchmark reads them with the readers it uses for TCGA.
"""

from __future__ import annotations

import gzip
import json
import os
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import special

from humanst.atomic import atomic_path, atomic_write_text
from humanst.synth.expression import PROGRAMMES, Footprint, GeneModel, programme_activity, simulate_counts
from humanst.synth.slides import render_slide, write_slide
from humanst.synth.tissue import make_tissue

__all__ = [
    "DRIVER_GENE",
    "NULL_GENE",
    "CohortDesign",
    "SyntheticCohort",
    "SyntheticFile",
    "SyntheticSlideEntry",
    "write_synthetic_cohort",
]

DRIVER_GENE = "DRIVER1"
NULL_GENE = "PASSENGER1"
_NON_SILENT = ("Missense_Mutation", "Nonsense_Mutation", "Frame_Shift_Del")
_MAF_COLUMNS = (
    "Hugo_Symbol", "Entrez_Gene_Id", "Center", "NCBI_Build", "Chromosome", "Start_Position", "End_Position",
    "Strand", "Variant_Classification", "Variant_Type", "Reference_Allele", "Tumor_Seq_Allele1",
    "Tumor_Seq_Allele2", "Tumor_Sample_Barcode", "Matched_Norm_Sample_Barcode", "HGVSp_Short", "case_id",
)  # fmt: skip
_STAR_HEADER = (
    "gene_id", "gene_name", "gene_type", "unstranded", "stranded_first", "stranded_second", "tpm_unstranded",
    "fpkm_unstranded", "fpkm_uq_unstranded",
)  # fmt: skip
_SPOT = Footprint("disc", 27.5)
_SPOT_PITCH_UM = 100.0


@dataclass(frozen=True)
class CohortDesign:
    """The knobs of a synthetic cohort (defaults: 36 patients, ~45 sections of 0.9 x 0.75 mm, known effects)."""

    n_patients: int = 36
    second_slide_fraction: float = 0.25
    width_um: float = 900.0
    height_um: float = 750.0
    um_per_px: float = 0.5
    render_um_per_px: float = 1.0
    layout: str = "pyramidal-tiff"
    subvisual_effect: float = 1.0
    stroma_effect: float = 0.3  # +-0.11 stroma share at +-1.5 sd (section-to-section sd 0.07): visible
    mutation_slope: float = 6.0
    null_mutation_rate: float = 0.4
    hazard_effect: float = 1.0
    baseline_hazard_per_day: float = 1.0 / 900.0
    censor_days: tuple[float, float] = (400.0, 3000.0)
    unsequenced_patients: int = 1
    spot_umis: float = 4000.0
    seed: int = 0


@dataclass(frozen=True)
class SyntheticSlideEntry:
    """A written slide: its id (file stem), patient, file and the section's mean programme activities."""

    slide_id: str
    patient_id: str
    path: Path
    activity: dict[str, float]


@dataclass(frozen=True)
class SyntheticFile:
    """A written label input in a GDC layout: ``kind`` (clinical, mutations, expression), patient, file, GDC-like id."""

    kind: str
    patient_id: str
    path: Path
    file_id: str


@dataclass
class SyntheticCohort:
    """What :func:`write_synthetic_cohort` wrote and the truth behind it (``truth`` has one row per patient)."""

    root: Path
    design: CohortDesign
    slides: list[SyntheticSlideEntry] = field(default_factory=list)
    files: list[SyntheticFile] = field(default_factory=list)
    truth: pd.DataFrame = field(default_factory=pd.DataFrame)


def _uuid(rng: np.random.Generator) -> str:
    return str(uuid.UUID(bytes=rng.bytes(16), version=4))


def _patients(design: CohortDesign, rng: np.random.Generator) -> pd.DataFrame:
    n = design.n_patients
    subvisual, stroma = rng.standard_normal(n), rng.standard_normal(n)
    driver = rng.uniform(size=n) < special.expit(design.mutation_slope * subvisual)
    passenger = rng.uniform(size=n) < design.null_mutation_rate
    log_hazard = np.log(design.baseline_hazard_per_day) + design.hazard_effect * stroma
    event_days = rng.exponential(1.0 / np.exp(log_hazard))
    censor_days = rng.uniform(*design.censor_days, size=n)
    sequenced = np.ones(n, dtype=bool)
    sequenced[rng.choice(n, size=min(design.unsequenced_patients, n), replace=False)] = False
    return pd.DataFrame(
        {
            "patient_id": [f"SYNTH-P{i + 1:03d}" for i in range(n)],
            "case_id": [_uuid(rng) for _ in range(n)],
            "subvisual": subvisual,
            "stroma": stroma,
            DRIVER_GENE: driver.astype(int),
            NULL_GENE: passenger.astype(int),
            "sequenced": sequenced,
            "log_hazard": log_hazard,
            "days": np.ceil(np.minimum(event_days, censor_days)).astype(int),
            "event": (event_days <= censor_days).astype(int),
            "n_slides": 1 + (rng.uniform(size=n) < design.second_slide_fraction).astype(int),
        }
    )


def _spot_grid(tissue_mask: np.ndarray, grid_um: float, width_um: float, height_um: float) -> np.ndarray:
    xs = np.arange(_SPOT_PITCH_UM / 2, width_um, _SPOT_PITCH_UM)
    ys = np.arange(_SPOT_PITCH_UM / 2, height_um, _SPOT_PITCH_UM)
    xx, yy = np.meshgrid(xs, ys)
    rows = np.clip((yy / grid_um).astype(int), 0, tissue_mask.shape[0] - 1)
    cols = np.clip((xx / grid_um).astype(int), 0, tissue_mask.shape[1] - 1)
    keep = tissue_mask[rows, cols] > 0.5
    return np.stack([xx[keep], yy[keep]], axis=1)


def _write_star_counts(path: Path, model: GeneModel, counts: np.ndarray) -> None:
    """Write a GDC ``augmented_star_gene_counts.tsv``: a comment line, four N_ rows, then one row per gene."""
    counts = counts.astype(np.int64)
    rate = counts / max(1, counts.sum())
    lines = ["# gene-model: GENCODE v36 (synthetic)", "\t".join(_STAR_HEADER)]
    unassigned = (("N_unmapped", 1000), ("N_multimapping", 2000), ("N_noFeature", 500), ("N_ambiguous", 300))
    lines += [f"{name}\t\t\t{n}\t{n}\t{n}\t\t\t" for name, n in unassigned]
    for gene_id, name, n, r in zip(model.gene_ids, model.genes, counts, rate, strict=True):
        lines.append(
            f"{gene_id}.1\t{name}\tprotein_coding\t{n}\t{n // 2}\t{n - n // 2}\t"
            f"{r * 1e6:.4f}\t{r * 1e5:.4f}\t{r * 2e5:.4f}"
        )
    atomic_write_text(path, "\n".join(lines) + "\n")


def _maf_rows(patient: pd.Series, barcode: str, rng: np.random.Generator) -> list[list[str]]:
    rows = []
    hits = [(DRIVER_GENE, bool(patient[DRIVER_GENE])), (NULL_GENE, bool(patient[NULL_GENE]))]
    for gene, mutated in hits:
        classes = [str(rng.choice(_NON_SILENT))] if mutated else []
        if rng.uniform() < 0.5:
            classes.append("Silent")  # a synonymous hit must not make the gene 'mutated'
        for variant in classes:
            pos = int(rng.integers(1_000_000, 9_000_000))
            protein = "p.=" if variant == "Silent" else f"p.R{pos % 500}*"
            rows.append([gene, "0", "SYNTH", "GRCh38", "chr1", str(pos), str(pos), "+", variant, "SNP", "C", "C", "T",
                         barcode, barcode.replace("-01A-", "-10A-"), protein, str(patient["case_id"])])  # fmt: skip
    return rows


def _write_maf(path: Path, rows: list[list[str]]) -> None:
    """Write a gzipped GDC-style MAF: ``#version`` header, then the column names and rows (tab-separated)."""
    text = "#version gdc-1.0.0\n#filedate synthetic\n" + "\t".join(_MAF_COLUMNS) + "\n"
    text += "".join("\t".join(r) + "\n" for r in rows)
    with atomic_path(path) as tmp:  # mtime 0 in the gzip header: same rows, same bytes
        tmp.write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))


def _case_record(patient: pd.Series) -> dict[str, object]:
    dead = bool(patient["event"])
    days = int(patient["days"])
    return {
        "case_id": str(patient["case_id"]),
        "submitter_id": str(patient["patient_id"]),
        "project": {"project_id": "SYNTH-COHORT"},
        "demographic": {"vital_status": "Dead" if dead else "Alive", "days_to_death": days if dead else None},
        "diagnoses": [{"days_to_last_follow_up": None if dead else days}],
    }


_SlideJob = tuple[CohortDesign, Path, int, str, int, float, float]


def _draw_slide(job: _SlideJob) -> tuple[str, Path, np.ndarray, dict[str, float]]:
    """Draw, render and write one section; return its id, file, summed spot counts and mean programme activities."""
    design, root, index, pid, k, stroma, subvisual = job
    model = GeneModel.create(seed=design.seed * 100_000 + index)
    seed = design.seed * 100_000 + index * 10 + k
    tissue = make_tissue(
        design.width_um, design.height_um, seed=seed, region_shift={"stroma": design.stroma_effect * stroma},
        subvisual_shift=design.subvisual_effect * subvisual,
    )  # fmt: skip
    slide_id = f"{pid}-01Z-00-DX{k + 1}"
    image = render_slide(tissue, design.um_per_px, render_um_per_px=design.render_um_per_px)
    path = write_slide(root / "slides" / f"{slide_id}.tif", image, um_per_px=design.um_per_px, layout=design.layout)
    xy = _spot_grid(tissue.tissue, tissue.grid_um, design.width_um, design.height_um)
    counts, _ = simulate_counts(tissue, model, xy[:, 0], xy[:, 1], _SPOT, target_umis=design.spot_umis, seed=seed)
    _, activity = programme_activity(tissue, xy[:, 0], xy[:, 1], _SPOT)
    mean_activity = {p.name: float(activity[:, j].mean()) for j, p in enumerate(PROGRAMMES)}
    return slide_id, path, np.asarray(counts.sum(axis=0)).ravel().astype(np.int64), mean_activity


def _draw_all(jobs: list[_SlideJob], workers: int) -> list[tuple[str, Path, np.ndarray, dict[str, float]]]:
    """Draw every section, in order; in ``workers`` processes (each section has its own seed: same bytes)."""
    if workers <= 1 or len(jobs) <= 1:
        return [_draw_slide(job) for job in jobs]
    from humanst.builder.workers import die_with_parent

    with ProcessPoolExecutor(max_workers=workers, initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
        return list(pool.map(_draw_slide, jobs))


def write_synthetic_cohort(
    out: str | Path, design: CohortDesign | None = None, *, workers: int | None = None
) -> SyntheticCohort:
    """Write a synthetic cohort's slides and GDC-style label inputs under ``out``; return what was written.

    Sections are drawn in ``workers`` processes (default: one per CPU core); the files do not depend on it.

    Layout: ``slides/<slide>.tif``; ``raw/clinical/cases.json`` (GDC ``cases`` hits); ``raw/mutations/<uuid>.maf.gz``
    (one per sequenced patient); ``raw/expression/<uuid>.rna_seq.augmented_star_gene_counts.tsv`` (one per patient);
    ``truth/patients.tsv`` (hidden levels, labels, survival) and ``truth/slides.tsv`` (mean programme activities).
    Files are written atomically; same design, same bytes.
    """
    design = design or CohortDesign()
    workers = (os.cpu_count() or 1) if workers is None else workers
    root = Path(out)
    rng = np.random.default_rng([design.seed, 4242])
    patients = _patients(design, rng)
    cohort = SyntheticCohort(root, design, truth=patients)
    slide_rows = []
    jobs = [
        (design, root, int(index), str(patient["patient_id"]), k, float(patient["stroma"]), float(patient["subvisual"]))
        for index, patient in patients.iterrows()
        for k in range(int(patient["n_slides"]))
    ]
    drawn = iter(_draw_all(jobs, workers))
    for index, patient in patients.iterrows():
        pid = str(patient["patient_id"])
        model = GeneModel.create(seed=design.seed * 100_000 + int(index))
        bulk = np.zeros(len(model.genes), dtype=np.int64)
        for _ in range(int(patient["n_slides"])):
            slide_id, path, counts_sum, mean_activity = next(drawn)
            bulk += counts_sum
            cohort.slides.append(SyntheticSlideEntry(slide_id, pid, path, mean_activity))
            slide_rows.append({"slide_id": slide_id, "patient_id": pid, **mean_activity})
        rna_id = _uuid(rng)
        rna = root / "raw" / "expression" / f"{rna_id}.rna_seq.augmented_star_gene_counts.tsv"
        _write_star_counts(rna, model, bulk)
        cohort.files.append(SyntheticFile("expression", pid, rna, rna_id))
        if bool(patient["sequenced"]):
            maf_id = _uuid(rng)
            maf = root / "raw" / "mutations" / f"{maf_id}.wxs.aliquot_ensemble_masked.maf.gz"
            _write_maf(maf, _maf_rows(patient, f"{pid}-01A-11D-A000-09", rng))
            cohort.files.append(SyntheticFile("mutations", pid, maf, maf_id))
    clinical = root / "raw" / "clinical" / "cases.json"
    atomic_write_text(clinical, json.dumps([_case_record(p) for _, p in patients.iterrows()], indent=1))
    cohort.files.insert(0, SyntheticFile("clinical", "", clinical, "cases"))
    truth_dir = root / "truth"
    atomic_write_text(truth_dir / "patients.tsv", patients.to_csv(sep="\t", index=False))
    atomic_write_text(truth_dir / "slides.tsv", pd.DataFrame(slide_rows).to_csv(sep="\t", index=False))
    return cohort
