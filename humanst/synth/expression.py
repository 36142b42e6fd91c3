"""Programme-driven negative-binomial counts over real Hallmark gene symbols, with planted shared factors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import sparse

from humanst.pathways.genesets import GeneSets, load_collection
from humanst.synth.tissue import REGIONS, Tissue

__all__ = ["PROGRAMMES", "Footprint", "GeneModel", "Programme", "simulate_counts"]


@dataclass(frozen=True)
class Programme:
    """A planted expression programme: what drives it and which Hallmark sets carry it."""

    name: str
    driver: str  # "region:<name>" (cell-weighted region fraction) or "field:<name>" (a Tissue field)
    gene_sets: tuple[str, ...]
    exclusive: bool = False  # its genes respond to it alone (no other programme moves its pathway score)


PROGRAMMES: tuple[Programme, ...] = (
    Programme("proliferation", "region:tumour", ("HALLMARK_E2F_TARGETS", "HALLMARK_G2M_CHECKPOINT")),
    Programme("emt", "region:stroma", ("HALLMARK_EPITHELIAL_MESENCHYMAL_TRANSITION",)),
    Programme("immune", "region:immune", ("HALLMARK_INTERFERON_GAMMA_RESPONSE", "HALLMARK_ALLOGRAFT_REJECTION")),
    Programme("epithelial", "region:normal_epithelium", ("HALLMARK_ESTROGEN_RESPONSE_EARLY",)),
    Programme("hypoxia", "field:hypoxia", ("HALLMARK_HYPOXIA",)),
    # Sub-visual: tied only to the chromatin texture grain, invisible to colour histograms.
    Programme("subvisual", "field:subvisual", ("HALLMARK_OXIDATIVE_PHOSPHORYLATION",)),
    # The positive control (docs/positive-control.md): lipid-laden cells pale the eosin; the demo base is taught
    # to ignore eosin strength, so only alignment (or supervision) can bring this programme back.
    Programme("lipid", "field:lipid", ("HALLMARK_CHOLESTEROL_HOMEOSTASIS",), exclusive=True),
)
_FIELDS = tuple(p.driver.partition(":")[2] for p in PROGRAMMES if p.driver.startswith("field:"))

# Programmes from this index on draw their effects from their own stream (added later; the others kept theirs).
_FIRST_OWN_STREAM = 6
_DISPERSION = 0.25  # NB: var = mu + phi * mu^2
_GLOBAL_SEED = 20260601  # gene baselines shared by every synthetic sample (one "organism")


@dataclass(frozen=True)
class Footprint:
    """What one observation covers: a disc of ``radius_um`` (spots), a square bin of side ``2*radius_um``, or a cell."""

    kind: Literal["disc", "square", "cell"]
    radius_um: float = 0.0


@dataclass(frozen=True)
class GeneModel:
    """Genes of one sample with baseline log-rates, a per-sample batch shift and programme effects."""

    genes: tuple[str, ...]
    gene_ids: tuple[str, ...]
    log_rate: np.ndarray  # (G,) baseline + batch
    effects: np.ndarray  # (G, P) log fold change per unit programme activity

    @classmethod
    def create(cls, *, seed: int, n_genes: int | None = None, hallmark: GeneSets | None = None) -> GeneModel:
        """Draw a gene model over the Hallmark genes (all, or ``n_genes`` keeping every programme gene)."""
        hallmark = hallmark or load_collection("hallmark")
        universe = sorted(hallmark.genes())
        ids = {g: f"ENSG9{i:010d}" for i, g in enumerate(universe)}  # synthetic, never collide with ENSG0...
        global_rng = np.random.default_rng(_GLOBAL_SEED)
        base = dict(zip(universe, global_rng.normal(-0.5, 1.1, len(universe)), strict=True))
        members = {p.name: {g for s in p.gene_sets for g in hallmark[s]} for p in PROGRAMMES}
        rng = np.random.default_rng([seed, 11])
        genes = universe
        if n_genes is not None and n_genes < len(universe):
            core = sorted(set().union(*members.values()))
            rest = [g for g in universe if g not in set(core)]
            extra = rng.choice(len(rest), size=max(0, n_genes - len(core)), replace=False)
            genes = sorted(core + [rest[i] for i in extra])[: max(n_genes, len(core))]
        effects = np.zeros((len(genes), len(PROGRAMMES)), dtype=np.float64)
        index = {g: i for i, g in enumerate(genes)}
        for p_idx, programme in enumerate(PROGRAMMES):
            rows = [index[g] for g in sorted(members[programme.name]) if g in index]
            draw = rng if p_idx < _FIRST_OWN_STREAM else np.random.default_rng([seed, 11, p_idx])
            effects[rows, p_idx] = draw.uniform(1.0, 1.8, len(rows))
        for p_idx, programme in enumerate(PROGRAMMES):
            if programme.exclusive:
                mine = effects[:, p_idx] > 0
                effects[np.ix_(mine, np.arange(len(PROGRAMMES)) != p_idx)] = 0.0
        log_rate = np.array([base[g] for g in genes]) + rng.normal(0.0, 0.1, len(genes))
        return cls(
            genes=tuple(genes),
            gene_ids=tuple(ids[g] for g in genes),
            log_rate=log_rate,
            effects=effects,
        )

    def subset(self, genes: list[str]) -> GeneModel:
        """Restrict the model to ``genes`` (e.g. a targeted panel), in that order."""
        index = {g: i for i, g in enumerate(self.genes)}
        rows = [index[g] for g in genes]
        return GeneModel(
            genes=tuple(genes),
            gene_ids=tuple(self.gene_ids[i] for i in rows),
            log_rate=self.log_rate[rows],
            effects=self.effects[rows],
        )


def programme_activity(
    tissue: Tissue, x_um: np.ndarray, y_um: np.ndarray, footprint: Footprint, cell_region: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Cell-weighted region fractions (n, R) and programme activities (n, P) in [0, 1] per observation."""
    if footprint.kind == "cell":
        if cell_region is None:
            msg = "cell footprints need the region of every cell"
            raise ValueError(msg)
        fractions = np.eye(len(REGIONS))[cell_region]
        fields = {name: tissue.sample(getattr(tissue, name), x_um, y_um) for name in _FIELDS}
    else:
        radius = footprint.radius_um if footprint.kind == "disc" else footprint.radius_um * 1.13  # equal area
        density = tissue.nuclear_density()
        weighted = tissue.footprint_mean(tissue.region_prob * density, x_um, y_um, radius)  # (R, n)
        total = weighted.sum(axis=0)
        fractions = np.where(total > 0, weighted / np.maximum(total, 1e-12), 1.0 / len(REGIONS)).T
        fields = {name: tissue.footprint_mean(getattr(tissue, name), x_um, y_um, radius) for name in _FIELDS}
    activity = np.zeros((len(x_um), len(PROGRAMMES)))
    for p_idx, programme in enumerate(PROGRAMMES):
        kind, _, name = programme.driver.partition(":")
        activity[:, p_idx] = fractions[:, REGIONS.index(name)] if kind == "region" else fields[name]
    return fractions, np.clip(activity, 0.0, 1.0)


def simulate_counts(
    tissue: Tissue,
    model: GeneModel,
    x_um: np.ndarray,
    y_um: np.ndarray,
    footprint: Footprint,
    *,
    target_umis: float,
    seed: int,
    cell_region: np.ndarray | None = None,
) -> tuple[sparse.csr_matrix, pd.DataFrame]:
    """Draw counts (CSR int32, observations x genes) and the ground truth table of every observation.

    Expected counts: ``target_umis * library_size * cellularity * softmax(log_rate + effects @ activity)``
    scaled so that a spot of average factors has ``target_umis``. ``library_size`` (capture efficiency:
    a slide gradient x per-spot noise) and ``cellularity`` (nuclear density in the footprint, relative to
    the section's mean) shift all genes together, as in real data.
    """
    rng = np.random.default_rng([seed, 13])
    x_um, y_um = np.asarray(x_um, dtype=np.float64), np.asarray(y_um, dtype=np.float64)
    fractions, activity = programme_activity(tissue, x_um, y_um, footprint, cell_region)
    gradient = 0.5 * (x_um / tissue.width_um - 0.5) - 0.3 * (y_um / tissue.height_um - 0.5)
    library = np.exp(gradient + 0.3 * rng.standard_normal(x_um.size) - 0.5 * 0.3**2)
    density = tissue.nuclear_density()
    mean_density = float(density[tissue.tissue > 0.5].mean()) if (tissue.tissue > 0.5).any() else 1.0
    if footprint.kind == "cell":
        local = tissue.sample(density, x_um, y_um)
        cellularity = np.ones(x_um.size)
    else:
        radius = footprint.radius_um if footprint.kind == "disc" else footprint.radius_um * 1.13
        local = tissue.footprint_mean(density, x_um, y_um, radius)
        cellularity = np.clip(local / mean_density, 0.02, None)
    size = target_umis * library * cellularity
    log_mu = model.log_rate[None, :] + activity @ model.effects.T
    base = np.exp(model.log_rate).sum()
    mu = np.exp(log_mu) / base * size[:, None]
    lam = rng.gamma(1.0 / _DISPERSION, _DISPERSION * mu)
    counts = sparse.csr_matrix(rng.poisson(lam).astype(np.int32))
    truth = pd.DataFrame({"x_um": x_um, "y_um": y_um})
    truth["region"] = pd.Categorical.from_codes(fractions.argmax(axis=1), categories=list(REGIONS))
    for r_idx, region in enumerate(REGIONS):
        truth[f"frac_{region}"] = fractions[:, r_idx]
    for p_idx, programme in enumerate(PROGRAMMES):
        truth[f"act_{programme.name}"] = activity[:, p_idx]
    truth["library_size"] = library
    truth["cellularity"] = cellularity
    truth["nuclear_density_per_mm2"] = local
    truth["expected_umis"] = mu.sum(axis=1)
    return counts, truth
