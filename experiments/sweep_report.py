"""The comparison report of a set of runs: tables, heatmaps, best curves and a short verdict.

The same code serves the parent run at the end of a multirun (``experiments.sweep``) and
``compare.py``, which rebuilds the report of any past sweep or any MLflow search.
"""

import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from experiments import sweep_plots

log = logging.getLogger(__name__)

# Params that lay out the comparison: one heatmap panel per optimizer over learning rate x batch
# size, and seeds averaged. They are columns of summary.csv even when the sweep kept them fixed.
OPTIMIZER = "optimizer.name"
LEARNING_RATE = "optimizer.lr"
BATCH_SIZE = "trainer.batch_size"
SEED = "seed"
LAYOUT_PARAMS = (OPTIMIZER, LEARNING_RATE, BATCH_SIZE, SEED)
# Params that differ between runs without describing a setting.
IGNORED_PARAMS = ("tracking.run_name",)

# MLflow stores a per-epoch metric's last value as the run's value, so these are final values.
FINAL_METRICS = {"final_val_loss": "val_loss", "final_val_accuracy": "val_accuracy"}
TEST_METRICS = ("test_loss", "test_accuracy", "test_f1", "test_roc_auc")
# The histories read from every run: best values for summary.csv and curves for the plots.
HISTORY_METRICS = ("val_loss", "val_accuracy", "train_loss")
# A tag that marks a sweep's parent run, so a search by the sweep tag can leave it out.
PARENT_TAG = "sweep_parent"
SEARCH_PAGE_SIZE = 1000


def search_runs_frame(client, experiment_ids, filter_string=""):
    """Return every run matching ``filter_string`` as a frame laid out like mlflow.search_runs.

    The columns are ``run_id``, ``run_name``, ``status``, ``start_time``, ``end_time`` and one
    column per ``metrics.<key>``, ``params.<key>`` and ``tags.<key>``. mlflow.search_runs itself
    reads the process-wide tracking URI, and setting that URI also sets the MLFLOW_TRACKING_URI
    variable, which would leak into later jobs of a sweep, so this takes a client instead.
    """
    runs, token = [], None
    while True:
        page = client.search_runs(experiment_ids, filter_string=filter_string,
                                  max_results=SEARCH_PAGE_SIZE, page_token=token)
        runs.extend(page)
        token = page.token
        if not token:
            break

    rows = []
    for run in runs:
        row = {
            "run_id": run.info.run_id,
            "run_name": run.info.run_name,
            "status": run.info.status,
            "start_time": run.info.start_time,
            "end_time": run.info.end_time,
        }
        row.update({f"metrics.{key}": value for key, value in run.data.metrics.items()})
        row.update({f"params.{key}": value for key, value in run.data.params.items()})
        row.update({f"tags.{key}": value for key, value in run.data.tags.items()})
        rows.append(row)
    frame = pd.DataFrame(rows, columns=None if rows else ["run_id", "run_name", "status"])
    if f"tags.{PARENT_TAG}" in frame.columns:
        frame = frame[frame[f"tags.{PARENT_TAG}"] != "true"]
    return frame.reset_index(drop=True)


def metric_histories(client, run_ids, keys=HISTORY_METRICS):
    """Return {run_id: {key: pandas Series of values indexed by step}}."""
    histories = {}
    for run_id in run_ids:
        histories[run_id] = {}
        for key in keys:
            points = client.get_metric_history(run_id, key)
            series = pd.Series({point.step: point.value for point in points}, dtype=float)
            histories[run_id][key] = series.sort_index()
    return histories


def as_numbers(column):
    """Convert a column of param strings to numbers when every value is a number."""
    try:
        return pd.to_numeric(column)
    except (TypeError, ValueError):
        return column


def swept_params(frame):
    """Return the param names that describe a run's setting: LAYOUT_PARAMS and every varying one.

    A param that only differs between optimizers (``optimizer._target_``, Adam's ``betas``) is
    part of the optimizer's choice, not swept on its own, so it is left out.
    """
    names = [column[len("params."):] for column in frame.columns if column.startswith("params.")]
    by_optimizer = None
    if f"params.{OPTIMIZER}" in frame.columns:
        by_optimizer = frame.groupby(f"params.{OPTIMIZER}", dropna=False)

    def varies(name):
        column = f"params.{name}"
        if frame[column].nunique(dropna=False) <= 1:
            return False
        if by_optimizer is None:
            return True
        return bool((by_optimizer[column].nunique(dropna=False) > 1).any())

    varying = [name for name in names
               if name not in IGNORED_PARAMS and name not in LAYOUT_PARAMS and varies(name)]
    present = [name for name in LAYOUT_PARAMS if name in names]
    return present + sorted(varying)


def summary_table(frame, histories, params):
    """Return one row per run, lowest final validation loss first, failed or diverged runs last.

    Columns: the run name, the swept ``params``, final and best validation loss and accuracy,
    the epoch of the lowest validation loss, TEST_METRICS, epochs run, whether the run diverged,
    wall time in seconds, the status and the run id. Missing values are NaN, for example the
    test metrics of a run that failed before its test evaluation.
    """
    table = pd.DataFrame({"run_name": frame["run_name"]})
    for name in params:
        table[name] = as_numbers(frame[f"params.{name}"])

    def metric(key):
        column = f"metrics.{key}"
        if column not in frame.columns:
            return pd.Series(np.nan, index=frame.index)
        return frame[column].astype(float)

    for column, key in FINAL_METRICS.items():
        table[column] = metric(key)
    best = {"best_val_loss": [], "best_val_accuracy": [], "best_epoch": []}
    for run_id in frame["run_id"]:
        val_loss = histories[run_id]["val_loss"]
        val_accuracy = histories[run_id]["val_accuracy"]
        best["best_val_loss"].append(val_loss.min() if len(val_loss) else np.nan)
        best["best_val_accuracy"].append(val_accuracy.max() if len(val_accuracy) else np.nan)
        best["best_epoch"].append(val_loss.idxmin() if len(val_loss) else np.nan)
    for column, values in best.items():
        table[column] = values
    for key in TEST_METRICS:
        table[key] = metric(key)

    missing = pd.Series(np.nan, index=frame.index)
    table["epochs_run"] = pd.to_numeric(frame.get("tags.epochs_run", missing), errors="coerce")
    table["diverged"] = frame.get("tags.diverged", missing) == "true"
    # A run that failed before it logged job_seconds gets the time between its start and end.
    elapsed = (frame["end_time"] - frame["start_time"]) / 1000.0
    table["wall_seconds"] = metric("job_seconds").fillna(elapsed)
    table["status"] = frame["status"]
    table["run_id"] = frame["run_id"]

    # Runs that failed or diverged go last: their last logged loss predates the failure.
    table["_unusable"] = (table["status"] != "FINISHED") | table["diverged"]
    table = table.sort_values(["_unusable", "final_val_loss", "final_val_accuracy", "run_name"],
                              ascending=[True, True, False, True], na_position="last",
                              ignore_index=True)
    return table.drop(columns="_unusable")


def usable_runs(summary):
    """Return the rows of FINISHED runs that did not diverge, the runs that settings compare."""
    return summary[(summary["status"] == "FINISHED") & ~summary["diverged"]]


def settings_table(summary, keys):
    """Return one row per setting (values of ``keys``) with mean, std and count over its runs.

    Only usable runs count, so a setting whose runs all diverged has no row. Rows are ordered by
    mean final validation loss, lowest first.
    """
    finished = usable_runs(summary)
    values = ["final_val_loss", "final_val_accuracy", "test_accuracy"]
    if not keys or finished.empty:
        return pd.DataFrame(columns=[*keys, "runs"])
    grouped = finished.groupby(keys, dropna=False)[values]
    table = grouped.agg(["mean", "std"])
    table.columns = [f"{name}_{stat}" for name, stat in table.columns]
    table.insert(0, "runs", grouped.size())
    return table.reset_index().sort_values("final_val_loss_mean", na_position="last",
                                           ignore_index=True)


def best_settings(settings):
    """Return the best row of ``settings`` for each optimizer, best optimizer first."""
    if OPTIMIZER not in settings.columns or settings.empty:
        return settings.head(1)
    ranked = settings.dropna(subset=["final_val_loss_mean"])
    return ranked.groupby(OPTIMIZER, sort=False).head(1).reset_index(drop=True)


def best_run(summary):
    """Return the usable run with the lowest final validation loss, or None."""
    finished = usable_runs(summary).dropna(subset=["final_val_loss"])
    return None if finished.empty else finished.iloc[0]


@dataclass
class Report:
    """The tables of one comparison and the files written for it."""

    summary: pd.DataFrame
    # The columns of ``summary`` that name a setting: the swept params without the seed.
    setting_keys: list
    settings: pd.DataFrame
    best_settings: pd.DataFrame
    best_run: pd.Series | None
    files: list


# Short labels for the layout params in legends and in report.md.
SHORT_NAMES = {OPTIMIZER: None, LEARNING_RATE: "lr", BATCH_SIZE: "batch size"}


def describe_setting(row, keys):
    """Return a setting as ``adamw lr=0.01 batch size=32``; other params keep their full name."""
    parts = []
    for key in keys:
        value = _format_value(row[key])
        name = SHORT_NAMES.get(key, key)
        parts.append(value if name is None else f"{name}={value}")
    return " ".join(parts)


def _format_value(value):
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _format_mean(row, name):
    mean, std = row[f"{name}_mean"], row[f"{name}_std"]
    if isinstance(std, float) and math.isfinite(std):
        return f"{mean:.4f} ± {std:.4f}"
    return f"{mean:.4f}"


def verdict_markdown(title, report):
    """Return the report's verdict in Markdown: the best run and the best setting per optimizer."""
    summary = report.summary
    counts = summary["status"].value_counts()
    lines = [f"# {title}", "",
             f"{len(summary)} runs: " + ", ".join(f"{n} {status}" for status, n in counts.items())
             + ". Ranked by the validation loss after the last epoch (lower is better)."]
    best = report.best_run
    if best is not None:
        lines += ["", f"Best run: `{best['run_name']}` ({best['run_id']}), final validation loss "
                  f"{best['final_val_loss']:.4f}, validation accuracy "
                  f"{best['final_val_accuracy']:.4f}, test accuracy {best['test_accuracy']:.4f}."]
    keys = report.setting_keys
    if not report.best_settings.empty:
        lines += ["", "Best setting of each optimizer, mean ± standard deviation over its runs "
                  "(seeds):", "",
                  "| setting | runs | val loss | val accuracy | test accuracy |",
                  "|---|---|---|---|---|"]
        for _, row in report.best_settings.iterrows():
            lines.append(f"| {describe_setting(row, keys)} | {row['runs']} | "
                         f"{_format_mean(row, 'final_val_loss')} | "
                         f"{_format_mean(row, 'final_val_accuracy')} | "
                         f"{_format_mean(row, 'test_accuracy')} |")
    diverged = summary[summary["diverged"]]
    if len(diverged):
        names = ", ".join(f"`{name}`" for name in diverged["run_name"])
        lines += ["", f"Diverged, so left out of the ranking ({len(diverged)}): {names}."]
    failed = summary[(summary["status"] != "FINISHED") & ~summary["diverged"]]
    if len(failed):
        names = ", ".join(f"`{name}` ({status})"
                          for name, status in zip(failed["run_name"], failed["status"],
                                                  strict=True))
        lines += ["", f"Failed or stopped ({len(failed)}): {names}."]
    lines += ["", "Files: summary.csv (one row per run), settings.csv (one row per setting), "
              "heatmaps.png, best_curves.png, accuracy_by_run.png."]
    return "\n".join(lines) + "\n"


def build_report(client, frame, folder, title):
    """Write the comparison of the runs in ``frame`` into ``folder`` and return it as a Report.

    ``frame`` comes from ``search_runs_frame``. The files are summary.csv, settings.csv,
    report.md and, when there are runs, heatmaps.png, best_curves.png and accuracy_by_run.png.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    histories = metric_histories(client, list(frame["run_id"]))
    params = swept_params(frame)
    summary = summary_table(frame, histories, params)
    keys = [name for name in params if name != SEED]
    settings = settings_table(summary, keys)
    report = Report(summary, keys, settings, best_settings(settings), best_run(summary), [])

    summary.to_csv(folder / "summary.csv", index=False)
    settings.to_csv(folder / "settings.csv", index=False)
    report.files += [folder / "summary.csv", folder / "settings.csv"]

    if len(summary):
        figures = {
            "heatmaps.png": sweep_plots.save_heatmaps,
            "best_curves.png": sweep_plots.save_best_curves,
            "accuracy_by_run.png": sweep_plots.save_accuracy_by_run,
        }
        for name, save in figures.items():
            path = folder / name
            if save(path, report, histories):
                report.files.append(path)

    (folder / "report.md").write_text(verdict_markdown(title, report))
    report.files.append(folder / "report.md")
    return report


def format_summary(summary):
    """Return the summary as a fixed-width text table for a terminal or a log."""
    columns = [column for column in summary.columns if column not in ("run_id", "best_epoch")]
    # Four significant digits keep learning rates such as 1e-05 and 1e+300 readable.
    return summary[columns].to_string(index=False, float_format="{:.4g}".format)
