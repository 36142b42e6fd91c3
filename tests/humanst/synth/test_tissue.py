from __future__ import annotations

import numpy as np
import pytest

from humanst.synth import REGIONS, PixelFrame, make_tissue, render_he
from humanst.synth.render import _stamp_nuclei


@pytest.fixture(scope="module")
def tissue():
    return make_tissue(1600, 1600, seed=7)


def test_same_seed_same_tissue_other_seed_differs(tissue):
    again = make_tissue(1600, 1600, seed=7)
    other = make_tissue(1600, 1600, seed=8)
    for name in ("region_prob", "tissue", "hypoxia", "subvisual", "cellularity"):
        np.testing.assert_array_equal(getattr(tissue, name), getattr(again, name))
    np.testing.assert_array_equal(tissue.nuclei.x_um, again.nuclei.x_um)
    assert not np.allclose(tissue.region_prob, other.region_prob)
    frame = PixelFrame((120, 160), 1.0, origin_um=(400, 400))
    np.testing.assert_array_equal(render_he(tissue, frame), render_he(again, frame))


def test_all_regions_background_and_lumens_present(tissue):
    labels = tissue.region_labels()[tissue.tissue > 0.5]
    counts = np.bincount(labels, minlength=len(REGIONS))
    assert (counts > 0).all(), dict(zip(REGIONS, counts, strict=True))
    assert (tissue.tissue < 0.1).mean() > 0.05, "white background around the section"
    necrosis = tissue.region_labels() == REGIONS.index("necrosis")
    assert tissue.hypoxia[necrosis].mean() > 0.9 > 0.3 > tissue.hypoxia[~necrosis & (tissue.tissue > 0.5)].mean()


def test_nuclear_density_follows_cellularity_and_region(tissue):
    # count nuclei in 80 um windows and compare with the expected density of the window
    edges = np.arange(0, 1600 + 1, 80)
    observed, _, _ = np.histogram2d(tissue.nuclei.y_um, tissue.nuclei.x_um, bins=[edges, edges])
    cy, cx = np.meshgrid(edges[:-1] + 40, edges[:-1] + 40, indexing="ij")
    expected = tissue.footprint_mean(tissue.nuclear_density(), cx, cy, 40.0) * (0.08**2)
    assert np.corrcoef(observed.ravel(), expected.ravel())[0, 1] > 0.85
    # immune regions are the densest, necrosis the sparsest
    by_region = np.bincount(tissue.nuclei.region, minlength=len(REGIONS))
    assert by_region.sum() == len(tissue.nuclei)
    sizes = [tissue.nuclei.a_um[tissue.nuclei.region == r].mean() for r in range(len(REGIONS))]
    assert sizes[REGIONS.index("tumour")] > sizes[REGIONS.index("immune")] > sizes[REGIONS.index("necrosis")]


def test_he_colours_nuclei_blue_stroma_pink_background_white(tissue):
    frame = PixelFrame.covering(tissue, 2.0)
    rgb = render_he(tissue, frame).astype(float)
    _, owner = _stamp_nuclei(tissue, frame)
    xs, ys = frame.pixel_microns()
    inside = tissue.sample(tissue.tissue, xs, ys)
    background = rgb[inside < 0.05]
    assert background.mean() > 235
    nuclei = rgb[owner > 0]
    stroma = rgb[(owner == 0) & (inside > 0.95) & (tissue.sample(tissue.region_prob[1], xs, ys) > 0.9)]
    assert nuclei[:, 2].mean() > nuclei[:, 1].mean() + 20, "haematoxylin: blue-purple"
    assert stroma[:, 0].mean() > stroma[:, 1].mean() + 40, "eosin: pink"
    assert nuclei.mean() < stroma.mean() - 40, "nuclei are darker than stroma"


def _pairs_within_nuclei(channel, owner):
    same = (owner[:, 1:] == owner[:, :-1]) & (owner[:, 1:] > 0)
    return channel[:, :-1][same], channel[:, 1:][same], owner[:, 1:][same]


def test_subvisual_programme_changes_texture_not_colour_histogram(tissue):
    """Chromatin grain follows the sub-visual field while the colour distribution of nuclei does not."""
    frame = PixelFrame.covering(tissue, 1.0)
    rgb = render_he(tissue, frame).astype(float)
    _, owner = _stamp_nuclei(tissue, frame)
    xs, ys = frame.pixel_microns()
    sub = tissue.sample(tissue.subvisual, xs, ys)
    tumour = tissue.sample(tissue.region_prob[REGIONS.index("tumour")], xs, ys) > 0.95
    red = rgb[..., 0]
    stats = {}
    for name, band in (("low", sub < 0.3), ("high", sub > 0.7)):
        mask = np.where(band & tumour, owner, 0)
        left, right, _ = _pairs_within_nuclei(red, mask)
        values = red[mask > 0]
        stats[name] = {
            "mean": values.mean(),
            "std": values.std(),
            "hist": np.histogram(values, bins=16, range=(0, 255))[0] / values.size,
            "neighbour_r": np.corrcoef(left, right)[0, 1],
        }
    low, high = stats["low"], stats["high"]
    assert abs(low["mean"] - high["mean"]) < 4.0
    assert abs(low["std"] - high["std"]) < 0.1 * low["std"]
    assert 0.5 * np.abs(low["hist"] - high["hist"]).sum() < 0.06, "colour histograms nearly identical"
    assert high["neighbour_r"] - low["neighbour_r"] > 0.2, "coarser chromatin where the programme is high"


def test_the_lipid_field_pales_the_eosin_and_nothing_else(tissue):
    """The positive control's programme: more lipid, less eosin; the haematoxylin and the other fields as before."""
    import dataclasses

    from humanst.synth.render import EOSIN_OD

    frame = PixelFrame((200, 200), 1.0, origin_um=(600, 600))
    pale = dataclasses.replace(tissue, lipid=np.ones_like(tissue.lipid))
    rich = dataclasses.replace(tissue, lipid=np.zeros_like(tissue.lipid))
    od_pale = -np.log(np.clip(render_he(pale, frame).astype(float), 1, None) / 255.0)
    od_rich = -np.log(np.clip(render_he(rich, frame).astype(float), 1, None) / 255.0)
    inside = tissue.sample(tissue.tissue, *frame.pixel_microns()) > 0.9
    green = int(np.argmax(EOSIN_OD))  # eosin absorbs green most
    ratio = od_pale[..., green][inside].mean() / od_rich[..., green][inside].mean()
    assert 0.6 < ratio < 0.9, ratio
    assert 0.0 <= tissue.lipid.min() < 0.2
    assert 0.8 < tissue.lipid.max() <= 1.0
    # drawn from its own stream: the nuclei and other fields do not depend on it
    assert not np.allclose(tissue.lipid, tissue.subvisual)
