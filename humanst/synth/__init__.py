"""Synthetic spatial transcriptomics: H&E-like tissue, programme-driven counts, real platform raw layouts."""

from __future__ import annotations

from humanst.synth.expression import PROGRAMMES, Footprint, GeneModel, Programme, simulate_counts
from humanst.synth.formats import FormatSpec, format_names, get_format
from humanst.synth.generate import SynthOutcome, write_sample, write_synthetic
from humanst.synth.render import EOSIN_OD, HEMATOXYLIN_OD, PixelFrame, render_dapi, render_he
from humanst.synth.sample import SynthSample, WrittenSample, counts_checksum, read_truth
from humanst.synth.tissue import REGIONS, Tissue, make_tissue

__all__ = [
    "EOSIN_OD",
    "HEMATOXYLIN_OD",
    "PROGRAMMES",
    "REGIONS",
    "Footprint",
    "FormatSpec",
    "GeneModel",
    "PixelFrame",
    "Programme",
    "SynthOutcome",
    "SynthSample",
    "Tissue",
    "WrittenSample",
    "counts_checksum",
    "format_names",
    "get_format",
    "make_tissue",
    "read_truth",
    "render_dapi",
    "render_he",
    "simulate_counts",
    "write_sample",
    "write_synthetic",
]
