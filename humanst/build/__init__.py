"""Atlas build: one task per sample (fetch, read, harmonise, score, write), run locally or on Dask."""

from __future__ import annotations

from humanst.build.pipeline import SampleOutcome, build_sample, read_record
from humanst.build.schedule import BuildReport, make_tasks, run_build, run_tasks
from humanst.build.settings import AtlasLayout, BuildSettings, SampleTask

__all__ = [
    "AtlasLayout",
    "BuildReport",
    "BuildSettings",
    "SampleOutcome",
    "SampleTask",
    "build_sample",
    "make_tasks",
    "read_record",
    "run_build",
    "run_tasks",
]
