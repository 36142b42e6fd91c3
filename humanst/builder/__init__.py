"""Atlas build: one task per sample (fetch, read, harmonise, score, write), run locally or on Dask."""

from __future__ import annotations

from humanst.builder.demo_atlas import build_demo_atlas
from humanst.builder.pipeline import build_sample
from humanst.builder.schedule import BuildReport, make_tasks, run_build, run_tasks
from humanst.builder.settings import BuildSettings, SampleTask

__all__ = [
    "BuildReport",
    "BuildSettings",
    "SampleTask",
    "build_demo_atlas",
    "build_sample",
    "make_tasks",
    "run_build",
    "run_tasks",
]
