"""Classification metrics from a model's logits, computed with scikit-learn.

Binary models have one output column (the logit of class 1); multi-class models have one column
per class. Precision, recall, F1 and ROC AUC are macro averages over classes when there are more
than two, and refer to class 1 when there are two.
"""

import numpy as np
from sklearn.metrics import accuracy_score, precision_recall_fscore_support, roc_auc_score


def probabilities(logits):
    """Return P(class 1) of shape (n,) for one logit column, else softmax rows of shape (n, k)."""
    logits = np.asarray(logits, dtype=np.float64)
    if logits.shape[1] == 1:
        # The two branches avoid overflow in exp for large |logit|.
        z = logits[:, 0]
        positive = z >= 0
        out = np.empty_like(z)
        out[positive] = 1.0 / (1.0 + np.exp(-z[positive]))
        exp_z = np.exp(z[~positive])
        out[~positive] = exp_z / (1.0 + exp_z)
        return out

    shifted = logits - logits.max(axis=1, keepdims=True)
    exp_shifted = np.exp(shifted)
    return exp_shifted / exp_shifted.sum(axis=1, keepdims=True)


def predictions(logits):
    """Return class ids: logit >= 0 for one column, else the arg max over columns."""
    logits = np.asarray(logits)
    if logits.shape[1] == 1:
        return (logits[:, 0] >= 0).astype(np.int64)
    return logits.argmax(axis=1)


def classification_metrics(labels, logits, n_classes):
    """Return accuracy, precision, recall, f1 and roc_auc of ``logits`` against ``labels``.

    ``roc_auc`` is left out when ``labels`` lack a class, because it is undefined then, and
    precision of a class never predicted counts as 0.
    """
    labels = np.asarray(labels)
    predicted = predictions(logits)
    binary = n_classes == 2
    precision, recall, f1, _ = precision_recall_fscore_support(
        labels, predicted, labels=list(range(n_classes)), average="binary" if binary else "macro",
        zero_division=0,
    )
    metrics = {
        "accuracy": float(accuracy_score(labels, predicted)),
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
    }

    if len(np.unique(labels)) == n_classes:
        scores = probabilities(logits)
        if binary:
            metrics["roc_auc"] = float(roc_auc_score(labels, scores))
        else:
            metrics["roc_auc"] = float(roc_auc_score(labels, scores, multi_class="ovr",
                                                     average="macro",
                                                     labels=list(range(n_classes))))
    return metrics
