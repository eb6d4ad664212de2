"""PNG figures of a comparison report: heatmaps over the grid, best curves, accuracy per run.

Each ``save_*`` function takes the output path, an ``experiments.sweep_report.Report`` and the
runs' metric histories, and returns False when the runs lack what the figure needs. Figures are
built without pyplot, so none stays open between the jobs of a sweep.
"""

import numpy as np
import pandas as pd
from matplotlib import colormaps, colors
from matplotlib.figure import Figure

from experiments import sweep_report

# Above this many distinct learning rates or batch sizes (an Optuna search draws a new learning
# rate for every trial) the grid is drawn as a scatter plot instead of a heatmap.
MAX_HEATMAP_CELLS_PER_AXIS = 12
# The accuracy chart draws at most this many runs, the best ones, so the image stays readable.
MAX_RUNS_IN_BAR_CHART = 100
HEATMAP_METRICS = (("final_val_loss", "final validation loss", "viridis_r"),
                   ("final_val_accuracy", "final validation accuracy", "viridis"))
COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]


def _optimizer_groups(runs):
    if sweep_report.OPTIMIZER in runs.columns:
        return list(runs.groupby(sweep_report.OPTIMIZER, sort=True))
    return [("all runs", runs)]


def _norm(values, metric):
    """Return one colour scale for ``values`` across all panels, logarithmic for wide losses."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return colors.Normalize(0.0, 1.0)
    low, high = float(finite.min()), float(finite.max())
    if metric.endswith("loss") and low > 0 and high / low > 10:
        return colors.LogNorm(low, high)
    if low == high:
        low, high = low - 0.5, high + 0.5
    return colors.Normalize(low, high)


def save_heatmaps(path, report, histories):
    """Draw final validation loss and accuracy over learning rate x batch size per optimizer.

    Each cell is the mean over the usable runs of that setting (seeds and any other swept
    params), and both panels of a metric share one colour scale. Grey cells have no usable run,
    for example because every run there diverged.
    """
    lr_key, batch_key = sweep_report.LEARNING_RATE, sweep_report.BATCH_SIZE
    runs = sweep_report.usable_runs(report.summary)
    if lr_key not in runs.columns or batch_key not in runs.columns or runs.empty:
        return False
    if not (pd.api.types.is_numeric_dtype(runs[lr_key])
            and pd.api.types.is_numeric_dtype(runs[batch_key])):
        return False

    groups = _optimizer_groups(runs)
    # The axes list every setting that was tried, so a setting whose runs all diverged or
    # failed shows as a grey cell instead of disappearing.
    tried = report.summary
    if pd.api.types.is_numeric_dtype(tried[lr_key]) and \
            pd.api.types.is_numeric_dtype(tried[batch_key]):
        learning_rates = np.sort(tried[lr_key].dropna().unique())
        batch_sizes = np.sort(tried[batch_key].dropna().unique())
    else:
        learning_rates = np.sort(runs[lr_key].unique())
        batch_sizes = np.sort(runs[batch_key].unique())
    scatter = (len(learning_rates) > MAX_HEATMAP_CELLS_PER_AXIS
               or len(batch_sizes) > MAX_HEATMAP_CELLS_PER_AXIS)

    fig = Figure(figsize=(1.5 + 4.2 * len(groups), 7.5), layout="constrained")
    axes = fig.subplots(2, len(groups), squeeze=False)
    for row, (metric, label, colour_map) in enumerate(HEATMAP_METRICS):
        if scatter:
            panels = [group[[lr_key, batch_key, metric]] for _, group in groups]
            norm = _norm(runs[metric].to_numpy(dtype=float), metric)
        else:
            panels = [group.pivot_table(index=batch_key, columns=lr_key, values=metric,
                                        aggfunc="mean").reindex(index=batch_sizes,
                                                                columns=learning_rates)
                      for _, group in groups]
            # The cells show means over seeds, so the shared scale spans the means.
            norm = _norm(np.concatenate([panel.to_numpy(dtype=float).ravel()
                                         for panel in panels]), metric)
        image = None
        for column, ((optimizer, _), panel) in enumerate(zip(groups, panels, strict=True)):
            ax = axes[row, column]
            if scatter:
                image = ax.scatter(panel[lr_key], panel[batch_key], c=panel[metric],
                                   cmap=colour_map, norm=norm, s=40, edgecolors="black",
                                   linewidths=0.3)
                ax.set_xscale("log")
                ax.set_yscale("log", base=2)
            else:
                image = _draw_grid(ax, panel, colour_map, norm)
            ax.set_title(f"{optimizer}: {label}", fontsize="medium")
            ax.set_xlabel("learning rate")
            ax.set_ylabel("batch size")
        fig.colorbar(image, ax=axes[row, :], shrink=0.9, label=label)
    title = "one point per run" if scatter else "mean over seeds"
    fig.suptitle(f"{title}; lower loss and higher accuracy are brighter", fontsize="small")
    fig.savefig(path, dpi=110)
    return True


def _draw_grid(ax, grid, colour_map, norm):
    values = grid.to_numpy(dtype=float)
    cmap = colormaps[colour_map].with_extremes(bad="#cccccc")
    image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, norm=norm, aspect="auto",
                      origin="lower")
    ax.set_xticks(range(len(grid.columns)), [f"{lr:g}" for lr in grid.columns])
    ax.set_yticks(range(len(grid.index)), [f"{size:g}" for size in grid.index])
    for (i, j), value in np.ndenumerate(values):
        text = "n/a" if not np.isfinite(value) else f"{value:.3f}"
        shade = float(norm(value)) if np.isfinite(value) else 0.5
        # viridis is bright at its high end and viridis_r at its low end; dark text goes there.
        bright = shade > 0.5 if colour_map == "viridis" else shade < 0.5
        ax.text(j, i, text, ha="center", va="center", fontsize="small",
                color="black" if bright else "white")
    return image


def _mean_and_spread(series_by_run):
    """Return (epochs, mean, std) of per-epoch series; std is NaN with one run."""
    frame = pd.concat(series_by_run, axis=1)
    return frame.index.to_numpy(), frame.mean(axis=1).to_numpy(), frame.std(axis=1).to_numpy()


def save_best_curves(path, report, histories):
    """Overlay the loss curves of each optimizer's best setting, mean and band over its seeds.

    Solid lines are the validation loss, dashed ones the training loss, both per epoch. With
    several runs per setting the line is their mean and the band one standard deviation either
    side. An epoch counts the runs that reached it, so runs that stopped early shorten the band.
    """
    if report.best_settings.empty:
        return False
    runs = sweep_report.usable_runs(report.summary)
    keys = report.setting_keys

    fig = Figure(figsize=(8, 5), layout="constrained")
    ax = fig.add_subplot()
    for index, (_, setting) in enumerate(report.best_settings.iterrows()):
        members = runs
        for key in keys:
            members = members[members[key] == setting[key]]
        colour = COLOURS[index % len(COLOURS)]
        label = sweep_report.describe_setting(setting, keys)
        for metric, style in (("val_loss", "-"), ("train_loss", "--")):
            series = [histories[run_id][metric] for run_id in members["run_id"]
                      if len(histories[run_id][metric])]
            if not series:
                continue
            epochs, mean, std = _mean_and_spread(series)
            split = "validation" if metric == "val_loss" else "training"
            ax.plot(epochs, mean, style, color=colour, lw=1.6,
                    label=f"{label} ({split}, {len(series)} runs)")
            if len(series) > 1:
                ax.fill_between(epochs, mean - std, mean + std, color=colour, alpha=0.2, lw=0)
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title("best setting of each optimizer: mean and ± one standard deviation over seeds",
                 fontsize="medium")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize="x-small")
    fig.savefig(path, dpi=110)
    return True


def save_accuracy_by_run(path, report, histories):
    """Draw each run's final validation and test accuracy as bars, lowest validation loss on top."""
    table = report.summary.head(MAX_RUNS_IN_BAR_CHART)
    positions = np.arange(len(table))[::-1]
    fig = Figure(figsize=(10, 1.5 + 0.3 * len(table)), layout="constrained")
    ax = fig.add_subplot()
    ax.barh(positions + 0.2, table["final_val_accuracy"], height=0.4,
            label="validation (last epoch)")
    ax.barh(positions - 0.2, table["test_accuracy"], height=0.4, label="test")
    ax.set_yticks(positions, table["run_name"], fontsize="small")
    low = np.nanmin(table[["final_val_accuracy", "test_accuracy"]].to_numpy(dtype=float),
                    initial=np.inf)
    ax.set_xlim(max(0.0, low - 0.05) if np.isfinite(low) else 0.0, 1.0)
    ax.set_xlabel("accuracy")
    title = "runs ordered by final validation loss, lowest on top"
    if len(report.summary) > len(table):
        title += f" (best {len(table)} of {len(report.summary)})"
    ax.set_title(title, fontsize="medium")
    ax.grid(True, axis="x", alpha=0.3)
    ax.legend(loc="lower right", fontsize="small")
    fig.savefig(path, dpi=110)
    return True
