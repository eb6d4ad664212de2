"""The comparison of one sweep's runs, written into the sweep folder when the sweep ends."""

import logging

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

log = logging.getLogger(__name__)

# Final values: for per-epoch metrics MLflow keeps the last epoch's value as the run's value.
SUMMARY_METRICS = ("val_accuracy", "val_loss", "test_accuracy", "test_f1", "test_roc_auc",
                   "job_seconds")


def sweep_table(client, experiment_id, sweep_dir):
    """Return one row per run tagged with ``sweep_dir``, best validation accuracy first.

    Ties go to the lower validation loss.
    The columns are the run name, every param that differs between the runs, SUMMARY_METRICS,
    the status and the run id.
    """
    runs = client.search_runs([experiment_id], filter_string=f"tags.sweep = '{sweep_dir}'",
                              max_results=10_000)
    rows = []
    for run in runs:
        row = {"run_name": run.info.run_name}
        row.update({f"param:{key}": value for key, value in run.data.params.items()})
        row.update({key: run.data.metrics.get(key, np.nan) for key in SUMMARY_METRICS})
        row.update({"status": run.info.status, "run_id": run.info.run_id})
        rows.append(row)
    if not rows:
        return pd.DataFrame(columns=["run_name", *SUMMARY_METRICS, "status", "run_id"])

    frame = pd.DataFrame(rows)
    param_columns = [column for column in frame.columns if column.startswith("param:")]
    varying = [column for column in param_columns
               if frame[column].nunique(dropna=False) > 1 and column != "param:tracking.run_name"]
    frame = frame[["run_name", *varying, *SUMMARY_METRICS, "status", "run_id"]]
    frame = frame.rename(columns={column: column[len("param:"):] for column in varying})
    return frame.sort_values(["val_accuracy", "val_loss"], ascending=[False, True],
                             na_position="last", ignore_index=True)


def save_sweep_comparison(path, table):
    """Draw validation and test accuracy of each run as horizontal bars, best run on top."""
    positions = np.arange(len(table))[::-1]
    fig = Figure(figsize=(10, 1.5 + 0.32 * len(table)), layout="constrained")
    ax = fig.add_subplot()
    ax.barh(positions + 0.2, table["val_accuracy"], height=0.4, label="validation (last epoch)")
    ax.barh(positions - 0.2, table["test_accuracy"], height=0.4, label="test")
    ax.set_yticks(positions, table["run_name"], fontsize="small")
    low = np.nanmin(table[["val_accuracy", "test_accuracy"]].to_numpy())
    ax.set_xlim(max(0.0, low - 0.05) if np.isfinite(low) else 0.0, 1.0)
    ax.set_xlabel("accuracy")
    ax.grid(True, axis="x", alpha=0.3)
    ax.legend(loc="lower right", fontsize="small")
    fig.savefig(path, dpi=110)


def write_sweep_report(client, experiment_id, sweep_dir):
    """Write sweep_results.csv and sweep_comparison.png into ``sweep_dir`` and return the table."""
    table = sweep_table(client, experiment_id, str(sweep_dir))
    table.to_csv(sweep_dir / "sweep_results.csv", index=False)
    if len(table):
        save_sweep_comparison(sweep_dir / "sweep_comparison.png", table)
        shown = table[["run_name", "val_accuracy", "test_accuracy", "status"]]
        log.info("sweep results, best validation accuracy first:\n%s",
                 shown.to_string(index=False, float_format="{:.4f}".format))
    return table
