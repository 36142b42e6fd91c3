"""Training curves: every numeric column of metrics.csv is drawn, grouped by name; new columns need no code change."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benchmarks.errors import ResultError
from benchmarks.report.curves import OTHER, draw_curves, group_columns, read_metrics
from stamp.train.metrics_log import MetricsLog


def test_columns_of_stamp_fit_fall_into_loss_temperature_lr_and_throughput(tmp_path):
    log = MetricsLog(tmp_path, tensorboard=False)
    for step in range(1, 6):
        log.log(
            step,
            {
                "loss": 3.0 / step,
                "loss_con": 2.0,
                "loss_reg": 1.0,
                "temperature": 0.07,
                "lr": 1e-4,
                "patches_per_s": 50.0,
            },
        )
    steps, columns = read_metrics(log.path)
    assert steps.tolist() == [1, 2, 3, 4, 5]
    groups = {g.title: g.columns for g in group_columns(list(columns))}
    assert groups == {
        "loss": ["loss", "loss_con", "loss_reg"],
        "temperature": ["temperature"],
        "learning rate": ["lr"],
        "throughput": ["patches_per_s"],
    }


def test_validation_drift_and_unknown_columns_show_up_and_sparse_cells_are_skipped(tmp_path):
    path = tmp_path / "metrics.csv"
    frame = pd.DataFrame(
        {
            "step": [10, 20, 30, 40],
            "loss": [3.0, 2.5, 2.2, 2.0],
            "val_hallmark_r": [np.nan, 0.2, np.nan, 0.3],  # logged every 20 steps
            "val_random_r": [np.nan, 0.1, np.nan, 0.1],
            "drift_cosine": [np.nan, 0.01, np.nan, 0.02],
            "grad_norm": [1.0, 0.9, 0.8, 0.7],
            "note": ["a", "b", "c", "d"],  # not numeric: left out
            "empty": [np.nan] * 4,  # no value at all: left out
        }
    )
    frame.to_csv(path, index=False)
    steps, columns = read_metrics(path)
    assert sorted(columns) == ["drift_cosine", "grad_norm", "loss", "val_hallmark_r", "val_random_r"]
    groups = {g.title: g.columns for g in group_columns(list(columns))}
    assert groups["validation"] == ["val_hallmark_r", "val_random_r"]
    assert groups["drift"] == ["drift_cosine"]
    assert groups[OTHER] == ["grad_norm"]
    fig = draw_curves(steps, columns)
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert titles == ["loss", "validation", "drift", OTHER]
    validation = next(ax for ax in fig.axes if ax.get_title() == "validation")
    assert validation.lines[0].get_xdata().tolist() == [20, 40]  # empty cells skipped, not drawn as zeros


def test_a_metrics_file_without_step_is_refused_with_its_path(tmp_path):
    path = tmp_path / "metrics.csv"
    path.write_text("loss\n1.0\n")
    with pytest.raises(ResultError, match="no 'step' column"):
        read_metrics(path)
