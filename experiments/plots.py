"""PNG figures of one run: loss curve, decision boundary, confusion matrix.

Figures are built as ``matplotlib.figure.Figure`` objects, not through pyplot, so no figure
stays open in pyplot's global registry between the jobs of a sweep.
"""

import matplotlib
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from sklearn.decomposition import PCA
from sklearn.metrics import ConfusionMatrixDisplay, confusion_matrix

# Colour-blind safe (Okabe-Ito) for up to 8 classes. More classes take matplotlib's tab20.
CLASS_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
                 "#000000"]
GRID_POINTS = 200


def class_colours(n_classes):
    if n_classes <= len(CLASS_COLOURS):
        return CLASS_COLOURS[:n_classes]
    return [matplotlib.colormaps["tab20"](i % 20) for i in range(n_classes)]


def save_loss_curve(path, step_losses, epoch_val_losses, updates_per_epoch):
    """Plot the batch loss of each recorded update and the validation loss after each epoch.

    ``step_losses`` is a list of (update, loss). Each validation loss is placed at the update
    count where its epoch ended.
    """
    fig = Figure(figsize=(7, 4.5), layout="constrained")
    ax = fig.add_subplot()
    if step_losses:
        steps, losses = (np.asarray(column) for column in zip(*step_losses, strict=True))
        ax.plot(steps, losses, lw=0.6, alpha=0.35, label="training loss of one batch")
        # A mean over one epoch's worth of recorded updates shows the trend under batch noise.
        spacing = np.median(np.diff(steps)) if len(steps) > 1 else 1.0
        window = int(round(np.median(updates_per_epoch) / spacing)) if updates_per_epoch else 1
        if 1 < window < len(losses):
            smooth = np.convolve(losses, np.ones(window) / window, mode="valid")
            ax.plot(steps[window - 1:], smooth, lw=1.4, color="C0",
                    label="training loss (mean over one epoch)")
    if epoch_val_losses:
        ends = np.cumsum(updates_per_epoch[:len(epoch_val_losses)])
        ax.plot(ends, epoch_val_losses, marker="o", ms=2.5, lw=1.2,
                label="validation loss (per epoch)")
    ax.set_xlabel("update")
    ax.set_ylabel("loss")
    ax.set_yscale("log")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.savefig(path, dpi=110)


def save_decision_boundary(path, predict, x_train, y_train, class_names, title=""):
    """Colour the plane by predicted class and draw the training points by true class.

    ``predict`` maps feature rows (m, d) to class ids (m,). Data with two features is drawn
    directly. Otherwise the plane is that of the training data's first two principal
    components: each grid point is mapped back to feature space (the mean along every other
    component) before it is passed to ``predict``.
    """
    n_features = x_train.shape[1]
    if n_features == 2:
        plane = x_train
        to_features = None
        labels = ("x1 (standardised)", "x2 (standardised)")
    else:
        pca = PCA(n_components=2).fit(x_train)
        plane = pca.transform(x_train)
        to_features = pca.inverse_transform
        share = pca.explained_variance_ratio_
        labels = (f"PC1 ({share[0]:.0%} of variance)", f"PC2 ({share[1]:.0%} of variance)")

    margin = 0.5
    lows = plane.min(axis=0) - margin
    highs = plane.max(axis=0) + margin
    grid_x, grid_y = np.meshgrid(np.linspace(lows[0], highs[0], GRID_POINTS),
                                 np.linspace(lows[1], highs[1], GRID_POINTS))
    grid = np.column_stack([grid_x.ravel(), grid_y.ravel()])
    regions = predict(grid if to_features is None else to_features(grid))

    n_classes = len(class_names)
    colours = class_colours(n_classes)
    cmap = ListedColormap(colours)
    fig = Figure(figsize=(6, 5.5), layout="constrained")
    ax = fig.add_subplot()
    # Levels halfway between class ids give each class one colour band.
    levels = np.arange(n_classes + 1) - 0.5
    ax.contourf(grid_x, grid_y, regions.reshape(grid_x.shape), levels=levels, cmap=cmap,
                alpha=0.25)
    for index, name in enumerate(class_names):
        mask = y_train == index
        ax.scatter(plane[mask, 0], plane[mask, 1], s=10, color=colours[index],
                   edgecolors="white", linewidths=0.3, label=str(name))
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    ax.set_title(title or "predicted regions, training points by true class")
    ax.legend(title="class", fontsize="small", loc="best")
    fig.savefig(path, dpi=110)


def save_confusion_matrix(path, y_true, y_pred, class_names, title="test set"):
    """Draw the confusion matrix: rows are true classes, columns predicted ones."""
    n_classes = len(class_names)
    matrix = confusion_matrix(y_true, y_pred, labels=list(range(n_classes)))
    size = max(4.5, 0.45 * n_classes + 2.5)
    fig = Figure(figsize=(size, size), layout="constrained")
    ax = fig.add_subplot()
    display = ConfusionMatrixDisplay(matrix, display_labels=[str(c) for c in class_names])
    display.plot(ax=ax, colorbar=False, xticks_rotation=45 if n_classes > 4 else "horizontal")
    ax.set_title(title)
    fig.savefig(path, dpi=110)
