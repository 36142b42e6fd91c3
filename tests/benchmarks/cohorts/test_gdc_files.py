"""Readers of the GDC label inputs on hand-written files: MAF, STAR counts, case records."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from benchmarks.cohorts.definition import NON_SILENT_CLASSES
from benchmarks.cohorts.gdc_files import mutated_genes, read_star_counts, survival_of_case
from benchmarks.errors import CohortError

MAF = """#version gdc-1.0.0
#annotation.spec gdc-1.0.1-public
Hugo_Symbol\tEntrez_Gene_Id\tVariant_Classification\tTumor_Sample_Barcode
TP53\t7157\tMissense_Mutation\tTCGA-AA-0001-01A
KRAS\t3845\tSilent\tTCGA-AA-0001-01A
APC\t324\tSplice_Site\tTCGA-AA-0001-01A
BRAF\t673\t3'UTR\tTCGA-AA-0001-01A
"""

STAR = """# gene-model: GENCODE v36
gene_id\tgene_name\tgene_type\tunstranded\tstranded_first\tstranded_second\ttpm_unstranded\tfpkm_unstranded\tfpkm_uq_unstranded
N_unmapped\t\t\t900\t900\t900\t\t\t
N_multimapping\t\t\t800\t800\t800\t\t\t
N_noFeature\t\t\t700\t700\t700\t\t\t
N_ambiguous\t\t\t600\t600\t600\t\t\t
ENSG00000141510.18\tTP53\tprotein_coding\t120\t60\t60\t1.0\t1.0\t1.0
ENSG00000133703.13\tKRAS\tprotein_coding\t30\t15\t15\t1.0\t1.0\t1.0
ENSG00000290825.1\tDDX11L2\tlncRNA\t2\t1\t1\t1.0\t1.0\t1.0
ENSG00000999999.1\tDDX11L2\tlncRNA\t3\t1\t2\t1.0\t1.0\t1.0
"""


def test_mutated_genes_reads_a_gzipped_maf_and_ignores_silent_and_utr_variants(tmp_path: Path):
    path = tmp_path / "a.wxs.aliquot_ensemble_masked.maf.gz"
    with gzip.open(path, "wt") as handle:
        handle.write(MAF)
    hits = mutated_genes(path, ["TP53", "KRAS", "APC", "BRAF", "EGFR"], NON_SILENT_CLASSES)
    assert hits == {"TP53", "APC"}


def test_a_file_without_the_maf_columns_is_refused_with_its_path(tmp_path: Path):
    path = tmp_path / "broken.maf"
    path.write_text("gene\tclass\nTP53\tMissense_Mutation\n")
    with pytest.raises(CohortError, match=r"broken\.maf.*not a readable MAF"):
        mutated_genes(path, ["TP53"], NON_SILENT_CLASSES)


def test_star_counts_skip_the_summary_rows_and_sum_duplicate_symbols(tmp_path: Path):
    path = tmp_path / "x.rna_seq.augmented_star_gene_counts.tsv"
    path.write_text(STAR)
    counts = read_star_counts(path)
    assert counts.to_dict() == {"DDX11L2": 5, "KRAS": 30, "TP53": 120}


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ({"demographic": {"vital_status": "Dead", "days_to_death": 410}}, (410.0, 1)),
        (
            {"demographic": {"vital_status": "Alive"}, "diagnoses": [{"days_to_last_follow_up": 300}, {}]},
            (300.0, 0),
        ),
        (  # follow-up times now live in follow-up records: the longest one counts
            {
                "demographic": {"vital_status": "Alive"},
                "diagnoses": [{"days_to_last_follow_up": None}],
                "follow_ups": [{"days_to_follow_up": 120}, {"days_to_follow_up": 950}, {"days_to_follow_up": None}],
            },
            (950.0, 0),
        ),
        ({"demographic": {"vital_status": "Dead", "days_to_death": None}}, "dead without days_to_death"),
        ({"demographic": {"vital_status": "Alive"}, "diagnoses": [{"days_to_last_follow_up": 0}]}, "alive without"),
        ({"demographic": {"vital_status": "Not Reported"}}, "vital status not reported"),
    ],
)
def test_survival_of_a_case_record(case, expected):
    outcome = survival_of_case(case)
    if isinstance(expected, str):
        assert isinstance(outcome, str)
        assert outcome.startswith(expected)
    else:
        assert outcome == expected
