"""Atlas build: one task per sample (fetch, read, harmonise, score, write), run locally or on Dask.

Names resolve lazily, so ``humanst.builder.settings`` (the owner of the build defaults) imports without the
pipeline, and the manifest model can read its defaults.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from humanst.lazy_exports import lazy_getattr

if TYPE_CHECKING:
    from humanst.builder.demo_atlas import build_demo_atlas
    from humanst.builder.pipeline import build_sample
    from humanst.builder.schedule import BuildReport, make_tasks, run_build, run_tasks
    from humanst.builder.settings import BuildSettings
    from humanst.builder.task import SampleTask

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

__getattr__ = lazy_getattr(
    __name__,
    {
        "BuildReport": "humanst.builder.schedule",
        "BuildSettings": "humanst.builder.settings",
        "SampleTask": "humanst.builder.task",
        "build_demo_atlas": "humanst.builder.demo_atlas",
        "build_sample": "humanst.builder.pipeline",
        "make_tasks": "humanst.builder.schedule",
        "run_build": "humanst.builder.schedule",
        "run_tasks": "humanst.builder.schedule",
    },
)
