"""Hand-curated 10x Genomics public human datasets, as ``url`` sources on ``cf.10xgenomics.com``.

Licence: 10x Genomics publishes its example datasets under Creative Commons Attribution 4.0 (stated on
the example-data pages :data:`TENX_LICENSE_SOURCES`, and recorded as "Creative Commons Attribution" for
every 10x sample in the HEST-1k metadata). They are redistributable with attribution.

Each dataset here is also in HEST-1k (``hest_twin``): the entry then takes its twin's study and patient
id, so that a patient-level split keeps both copies of the same tissue on one side.
File names are the public names listed under "Output and supplemental files" on each dataset page;
sha256 and size are left unset where not known.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from humanst.errors import ManifestError
from humanst.manifest.models import FileSpec, Platform, SampleEntry

__all__ = ["TENX_DATASETS", "TENX_LICENSE", "TENX_LICENSE_SOURCES", "TenxDataset", "tenx_entries"]

TENX_LICENSE = "CC-BY-4.0"
TENX_LICENSE_SOURCES = (
    "https://www.10xgenomics.com/support/software/xenium-onboard-analysis/latest/resources/xenium-example-data",
    "https://www.10xgenomics.com/support/software/space-ranger/latest/resources/visium-hd-example-data",
)
TENX_STUDY = "tenx-public"
_CDN = "https://cf.10xgenomics.com/samples"


@dataclass(frozen=True)
class TenxDataset:
    """One public 10x dataset: where its page and files are, and what tissue it holds."""

    id: str
    title: str
    page: str
    platform: Platform
    organ: str
    disease: str
    base_url: str
    file_names: tuple[str, ...]
    hest_twin: str | None = None

    @property
    def urls(self) -> list[str]:
        """The download URL of every file."""
        return [f"{self.base_url}/{name}" for name in self.file_names]

    @property
    def citation(self) -> str:
        """The 10x citation format: title, dataset, 10x Genomics, page."""
        return f"{self.title}, dataset by 10x Genomics ({self.page}), CC BY 4.0"


TENX_DATASETS: tuple[TenxDataset, ...] = (
    TenxDataset(
        id="tenx-visium-breast-block-a-s1",
        title="Human Breast Cancer (Block A Section 1), Space Ranger 1.1.0",
        page="https://www.10xgenomics.com/datasets/human-breast-cancer-block-a-section-1-1-standard-1-1-0",
        platform=Platform.visium,
        organ="breast",
        disease="cancer (oncotree IDC)",
        base_url=f"{_CDN}/spatial-exp/1.1.0/V1_Breast_Cancer_Block_A_Section_1",
        file_names=(
            "V1_Breast_Cancer_Block_A_Section_1_filtered_feature_bc_matrix.h5",
            "V1_Breast_Cancer_Block_A_Section_1_spatial.tar.gz",
            "V1_Breast_Cancer_Block_A_Section_1_image.tif",
        ),
        hest_twin="TENX13",
    ),
    TenxDataset(
        id="tenx-visium-hd-crc",
        title="Visium HD Spatial Gene Expression Library, Human Colorectal Cancer (FFPE), Space Ranger 3.0.0",
        page="https://www.10xgenomics.com/datasets/visium-hd-cytassist-gene-expression-libraries-of-human-crc",
        platform=Platform.visium_hd,
        organ="intestine",
        disease="cancer (oncotree COAD)",
        base_url=f"{_CDN}/spatial-exp/3.0.0/Visium_HD_Human_Colon_Cancer",
        file_names=(
            "Visium_HD_Human_Colon_Cancer_binned_outputs.tar.gz",
            "Visium_HD_Human_Colon_Cancer_spatial.tar.gz",
            "Visium_HD_Human_Colon_Cancer_tissue_image.btf",
        ),
        hest_twin="TENX128",
    ),
    TenxDataset(
        id="tenx-xenium-breast-idc",
        title="FFPE Human Breast with Pre-designed Panel (Xenium_V1_FFPE_Human_Breast_IDC), Xenium 1.0.2",
        page="https://www.10xgenomics.com/datasets/ffpe-human-breast-with-pre-designed-panel-1-standard",
        platform=Platform.xenium,
        organ="breast",
        disease="cancer (oncotree IDC)",
        base_url=f"{_CDN}/xenium/1.0.2/Xenium_V1_FFPE_Human_Breast_IDC",
        file_names=(
            "Xenium_V1_FFPE_Human_Breast_IDC_outs.zip",
            "Xenium_V1_FFPE_Human_Breast_IDC_he_image.ome.tif",
        ),
        hest_twin="TENX95",
    ),
)


def tenx_entries(hest: Mapping[str, SampleEntry]) -> list[SampleEntry]:
    """Return the 10x datasets as manifest entries; a dataset with a HEST twin shares its study and patient.

    Raises
    ------
    ManifestError
        If a dataset names a HEST twin that is not among the ``hest`` entries.
    """
    entries = []
    for data in TENX_DATASETS:
        study, patient_id = TENX_STUDY, f"{TENX_STUDY}:{data.id}"
        if data.hest_twin is not None:
            twin = hest.get(data.hest_twin)
            if twin is None:
                msg = f"HEST twin {data.hest_twin!r} is not a human HEST sample; fix 'hest_twin' in tenx_public.py"
                raise ManifestError(None, [(f"10x dataset '{data.id}'", msg)])
            study, patient_id = twin.study, twin.patient_id
        entries.append(
            SampleEntry(
                id=data.id,
                study=study,
                patient_id=patient_id,
                organ=data.organ,
                disease=data.disease,
                platform=data.platform,
                files=[FileSpec(url=url) for url in data.urls],
                license=TENX_LICENSE,
                redistributable=True,
                citation=data.citation,
            )
        )
    return entries
