"""Loss functions, each one graph node (or two, for cross_entropy) like torch's own kernels.

Every function takes ``input`` and ``target`` with torch's shapes and returns the per-element losses
(``reduction="none"``), their mean (the default) or their sum. Arguments ``weight``, ``pos_weight``
and integer class targets never receive a gradient, as in torch.
"""

import warnings

import numpy as np

from mytorch._ops import data_of, pointwise, result
from mytorch._ops import reduction as reduction_ops
from mytorch._ops.pointwise import _exp_minus_abs
from mytorch._tensor import Tensor
from mytorch.nn import _reduction

# Torch's lower bound on ``(1 - x) * x`` in the gradient of binary_cross_entropy: 1e-12 rounded
# to float32 (9.99999996e-13), which is what torch 2.13 divides by even for float64 input.
_BCE_EPSILON = float(np.float32(1e-12))


def _target_input(target):
    """Return ``target`` as a graph input if it is a tensor that requires grad, else None."""
    return target if isinstance(target, Tensor) and target.requires_grad else None


def _shape_text(shape):
    return str(tuple(int(size) for size in shape))


# ------------------------------------------------------------------ binary targets


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None,  # noqa: A002
                                     reduce=None, reduction="mean", pos_weight=None):
    """Binary cross entropy on logits ``x`` for targets ``y`` in [0, 1], with sigmoid built in.

    Per element: ``w · [(1 - y)·x + (1 + (p - 1)·y)·softplus(-x)]``, where ``p`` is
    ``pos_weight`` (broadcast along the last dimension, the classes) and
    ``softplus(-x) = max(-x, 0) + log1p(exp(-|x|))``, which is exact for any finite ``x``: logits of
    ±800 give losses of 0 or 800, never inf or NaN.

    Shapes: ``input`` and ``target`` (*), the same; ``weight`` broadcasts to (*).
    """
    reduction_mode = _reduction.resolve(size_average, reduce, reduction)
    x, y = input.data, data_of(target)
    if not isinstance(y, np.ndarray) or y.shape != x.shape:
        raise ValueError(f"Target size {_shape_text(np.shape(y))} must be the same as input size "
                         f"{_shape_text(x.shape)}; reshape the target, e.g. with "
                         "target.view_as(input)")
    w = None if weight is None else data_of(weight)
    p = None if pos_weight is None else data_of(pos_weight)
    target_input = _target_input(target)

    e = _exp_minus_abs(x)  # kept for the gradient: sigmoid(x) is 1/(1+e) or e/(1+e)
    softplus_neg = np.maximum(-x, 0) + np.log1p(e)
    if p is None:
        loss = (1 - y) * x + softplus_neg
    else:
        log_weight = 1 + (p - 1) * y
        loss = (1 - y) * x + log_weight * softplus_neg
    if w is not None:
        loss = loss * w
    out = _reduction.reduce_loss(loss, reduction_mode)

    def backward(g):
        g = _reduction.expand_grad(g, reduction_mode, loss.shape)
        if w is not None:
            g = g * w
        sigmoid = np.where(x >= 0, 1, e) / (1 + e)
        if p is None:
            grad_x = g * (sigmoid - y)
        else:
            grad_x = g * (log_weight * sigmoid - p * y)
        if grad_x.shape != x.shape:  # a 0-d g times a 0-d difference, or a broadcast weight
            grad_x = np.broadcast_to(grad_x, x.shape)
        grad_y = None
        if target_input is not None:
            grad_y = -x if p is None else -x + (p - 1) * softplus_neg
            grad_y = g * grad_y
        return grad_x, grad_y

    return result(out, (input, target_input), backward,
                  "BinaryCrossEntropyWithLogitsBackward0")


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,  # noqa: A002
                         reduction="mean"):
    """Binary cross entropy on probabilities ``x`` in [0, 1] for targets ``y`` in [0, 1].

    Per element: ``-w · [y·max(log x, -100) + (1 - y)·max(log(1 - x), -100)]``. The clamp at -100
    keeps the loss finite at ``x = 0`` or ``1``. The gradient divides by ``max((1 - x)·x, 1e-12)``,
    so it stays finite there too (it is ±1e12 at the ends, as in torch).
    """
    reduction_mode = _reduction.resolve(size_average, reduce, reduction)
    x, y = input.data, data_of(target)
    if not isinstance(y, np.ndarray) or y.shape != x.shape:
        raise ValueError(f"Using a target size {_shape_text(np.shape(y))} that is different to "
                         f"the input size {_shape_text(x.shape)} is deprecated. Please ensure "
                         "they have the same size.")
    if x.size and not ((x >= 0) & (x <= 1)).all():
        raise RuntimeError(f"all elements of input should be between 0 and 1, got values in "
                           f"[{np.nanmin(x)}, {np.nanmax(x)}]; apply sigmoid first or use "
                           "binary_cross_entropy_with_logits on the logits")
    if y.size and not ((y >= 0) & (y <= 1)).all():
        raise RuntimeError(f"all elements of target should be between 0 and 1, got values in "
                           f"[{np.nanmin(y)}, {np.nanmax(y)}]")
    w = None if weight is None else data_of(weight)

    with np.errstate(divide="ignore"):
        log_x = np.maximum(np.log(x), -100)
        log_1mx = np.maximum(np.log1p(-x), -100)
    loss = (y - 1) * log_1mx - y * log_x
    if w is not None:
        loss = loss * w
    out = _reduction.reduce_loss(loss, reduction_mode)

    def backward(g):
        g = _reduction.expand_grad(g, reduction_mode, loss.shape)
        if w is not None:
            g = g * w
        grad_x = g * (x - y) / np.maximum((1 - x) * x, _BCE_EPSILON)
        grad_y = None
        if _target_input(target) is not None:
            # torch 2.13 differentiates the target without the clamp: -logit(x), ±inf at 0 and 1.
            with np.errstate(divide="ignore"):
                grad_y = g * (np.log1p(-x) - np.log(x))
        return grad_x, grad_y

    return result(out, (input, _target_input(target)), backward, "BinaryCrossEntropyBackward0")


# ------------------------------------------------------------------ regression


def _warn_broadcast(x, y, name):
    if x.shape != y.shape:
        warnings.warn(f"{name}: using a target size {_shape_text(y.shape)} that is different to "
                      f"the input size {_shape_text(x.shape)}. This will likely lead to incorrect "
                      "results due to broadcasting. Please ensure they have the same size.",
                      stacklevel=3)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):  # noqa: A002
    """Squared error ``(x - y)²`` per element; shapes that differ broadcast, with a warning."""
    reduction_mode = _reduction.resolve(size_average, reduce, reduction)
    x, y = input.data, data_of(target)
    _warn_broadcast(x, np.asarray(y), "mse_loss")
    diff = x - y
    loss = diff * diff
    out = _reduction.reduce_loss(loss, reduction_mode)

    def backward(g):
        grad = 2 * _reduction.expand_grad(g, reduction_mode, loss.shape) * diff
        return grad, (-grad if _target_input(target) is not None else None)

    return result(out, (input, _target_input(target)), backward, "MseLossBackward0")


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):  # noqa: A002
    """Absolute error ``|x - y|`` per element; the gradient is ``sign(x - y)``, 0 at ties."""
    reduction_mode = _reduction.resolve(size_average, reduce, reduction)
    x, y = input.data, data_of(target)
    _warn_broadcast(x, np.asarray(y), "l1_loss")
    diff = x - y
    loss = np.abs(diff)
    out = _reduction.reduce_loss(loss, reduction_mode)

    def backward(g):
        grad = _reduction.expand_grad(g, reduction_mode, loss.shape) * np.sign(diff)
        return grad, (-grad if _target_input(target) is not None else None)

    return result(out, (input, _target_input(target)), backward, "L1LossBackward0")


# ------------------------------------------------------------------ class targets


def _class_batch(x, t):
    """Return ``x`` as (N, C, *d) and ``t`` as (N, *d), after checking that the shapes agree."""
    if x.ndim == 0:
        raise ValueError("input must have at least 1 dimension (the classes), got a 0-d tensor")
    if x.ndim == 1:
        if t.ndim != 0:
            raise ValueError(f"for input of shape {_shape_text(x.shape)} (one sample of "
                             f"{x.shape[0]} classes) the target must be 0-d, got shape "
                             f"{_shape_text(t.shape)}")
        return x[np.newaxis], t[np.newaxis]
    if t.ndim == 0 or t.shape[0] != x.shape[0]:
        batch = t.shape[0] if t.ndim else "0-d"
        raise ValueError(f"Expected input batch_size ({x.shape[0]}) to match target batch_size "
                         f"({batch}).")
    expected = (x.shape[0],) + x.shape[2:]
    if t.shape != expected:
        raise ValueError(f"Expected target size {_shape_text(expected)}, got "
                         f"{_shape_text(t.shape)}: the target has the input's shape without the "
                         "class dimension (dim 1)")
    return x, t


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100,  # noqa: A002
             reduce=None, reduction="mean"):
    """Negative log likelihood: ``-w[t]·input[n, t]`` for each sample ``n`` with class ``t``.

    ``input`` contains log-probabilities, shape (N, C), (C,) or (N, C, d1, ...). ``target``
    contains class indices in ``[0, C)``, shape (N,), () or (N, d1, ...). Samples whose target is
    ``ignore_index`` contribute 0. ``"mean"`` divides by the sum of ``w[t]`` over the samples not
    ignored, so it is NaN when every sample is ignored, as in torch.
    """
    reduction_mode = _reduction.resolve(size_average, reduce, reduction)
    x, t = input.data, data_of(target)
    if not isinstance(t, np.ndarray) or t.dtype.kind not in "iu":
        dtype = target.dtype if isinstance(target, Tensor) else type(target).__name__
        raise RuntimeError(f"nll_loss expects a target of class indices with an integer dtype, "
                           f"got {dtype}; convert it with target.long()")
    x2, t2 = _class_batch(x, t)
    n_classes = x2.shape[1]
    if weight is None and x.ndim == 2 and _all_classes_valid(t2, n_classes, ignore_index):
        return _unweighted_nll_loss(input, t2, reduction_mode)

    ignored = t2 == ignore_index
    bad = ~ignored & ((t2 < 0) | (t2 >= n_classes))
    if bad.any():
        raise IndexError(f"Target {t2[bad][0]} is out of bounds: class indices must be in "
                         f"[0, {n_classes - 1}] for input with {n_classes} classes, or equal "
                         f"ignore_index ({ignore_index})")
    safe_t = np.where(ignored, 0, t2)[:, np.newaxis]

    if weight is None:
        w_t = np.ones(safe_t.shape, dtype=x.dtype)
    else:
        w = data_of(weight)
        if w.shape != (n_classes,):
            raise RuntimeError(f"weight tensor should be defined either for all {n_classes} "
                               f"classes or no classes but got weight tensor of shape: "
                               f"{_shape_text(w.shape)}")
        w_t = w.astype(x.dtype, copy=False)[safe_t]
    w_t = np.where(ignored[:, np.newaxis], 0, w_t).astype(x.dtype, copy=False)
    picked = np.take_along_axis(x2, safe_t, axis=1)
    losses = (-w_t * picked)[:, 0]

    if reduction_mode == "none":
        out = losses.reshape(t.shape)
    elif reduction_mode == "sum":
        out = np.asarray(losses.sum())
    else:
        total = w_t.sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.asarray(losses.sum() / total)

    def backward(g):
        if reduction_mode == "none":
            g_samples = g.reshape(losses.shape)
        elif reduction_mode == "sum":
            g_samples = np.broadcast_to(g, losses.shape)
        else:
            g_samples = np.broadcast_to(g / total, losses.shape)
        grad = np.zeros(x2.shape, dtype=x.dtype)
        np.put_along_axis(grad, safe_t, -w_t * g_samples[:, np.newaxis], axis=1)
        return (grad.reshape(x.shape),)

    return result(out, (input,), backward, "NllLossBackward0")


def _all_classes_valid(t, n_classes, ignore_index):
    """Return whether every target is a class index in ``[0, n_classes)`` other than ignore_index.

    Empty targets return False, so that the general path gives their NaN mean.
    """
    if not t.size or t.min() < 0 or t.max() >= n_classes:
        return False
    return not (0 <= ignore_index < n_classes and (t == ignore_index).any())


def _unweighted_nll_loss(input, t, reduction_mode):  # noqa: A002 - torch's argument name
    """Compute nll_loss for (N, C) input with no class weights and no ignored targets.

    The general path reduces to this when every weight is 1 and no target is ignored: the same
    values in the same order, with a third of its numpy calls. The per-call overhead of those
    calls is most of the loss's time for a batch of 128 samples of 10 classes.
    """
    x = input.data
    n = x.shape[0]
    rows = np.arange(n)
    losses = -x[rows, t]
    if reduction_mode == "none":
        out = losses
    elif reduction_mode == "sum":
        out = np.asarray(losses.sum())
    else:
        out = np.asarray(losses.sum() / n)

    def backward(g):
        grad = np.zeros(x.shape, dtype=x.dtype)
        grad[rows, t] = -(g / n) if reduction_mode == "mean" else -g
        return (grad,)

    return result(out, (input,), backward, "NllLossBackward0")


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100,  # noqa: A002
                  reduce=None, reduction="mean", label_smoothing=0.0):
    """Cross entropy between logits and class indices or class probabilities.

    ``input`` contains unnormalised logits, shape (N, C), (C,) or (N, C, d1, ...); the classes are
    dimension 1 (dimension 0 for 1-D input). With class indices (an integer ``target`` shaped like
    ``input`` without the class dimension) the loss is
    ``(1 - ε)·nll_loss(log_softmax(input), target) + (ε / C)·smooth`` with ``ε`` the
    ``label_smoothing`` and ``smooth = -Σ_c w_c·log_softmax(input)_c``. Under ``"mean"`` both parts
    are divided by the summed weights of the targets not ignored. With class probabilities (a float
    ``target`` of ``input``'s shape) it is ``-Σ_c w_c·y_c·log_softmax(input)_c``, with ``y``
    smoothed to ``(1 - ε)·y + ε / C``, and ``"mean"`` divides by the number of samples.
    """
    reduction_mode = _reduction.resolve(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    class_dim = 0 if input.ndim == 1 else 1
    log_probs = reduction_ops.log_softmax(input, class_dim)
    t = data_of(target)

    if isinstance(t, np.ndarray) and t.dtype.kind == "f":
        return _cross_entropy_probabilities(log_probs, target, weight, ignore_index,
                                            reduction_mode, label_smoothing, class_dim)

    nll = nll_loss(log_probs, target, weight, ignore_index=ignore_index,
                   reduction=reduction_mode)
    if label_smoothing == 0.0:
        return nll

    n_classes = input.shape[class_dim]
    weight_shape = [1] * input.ndim
    weight_shape[class_dim] = n_classes
    if weight is None:
        weighted = log_probs
    else:
        weighted = log_probs * _class_weight(weight, log_probs).reshape(weight_shape)
    smooth = -reduction_ops.sum(weighted, class_dim)
    ignored = t == ignore_index
    smooth = pointwise.where(ignored, 0.0, smooth)

    if reduction_mode == "mean":
        if weight is None:
            denominator = (~ignored).sum()
        else:
            denominator = data_of(weight)[t[~ignored]].sum()
        smooth = reduction_ops.sum(smooth) / denominator
    elif reduction_mode == "sum":
        smooth = reduction_ops.sum(smooth)
    return nll * (1 - label_smoothing) + smooth * (label_smoothing / n_classes)


def _class_weight(weight, log_probs):
    """Return the class weights as an ndarray in the dtype of the logits."""
    return data_of(weight).astype(log_probs.data.dtype, copy=False)


def _cross_entropy_probabilities(log_probs, target, weight, ignore_index, reduction_mode,
                                 label_smoothing, class_dim):
    if target.shape != log_probs.shape:
        raise ValueError(f"a target of class probabilities must have the input's shape "
                         f"{_shape_text(log_probs.shape)}, got {_shape_text(target.shape)}")
    if ignore_index >= 0:
        raise ValueError(f"ignore_index ({ignore_index}) is not supported for a target of class "
                         "probabilities; leave it at its default of -100")
    n_classes = log_probs.shape[class_dim]
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / n_classes
    terms = log_probs * target
    if weight is not None:
        weight_shape = [1] * log_probs.ndim
        weight_shape[class_dim] = n_classes
        terms = terms * _class_weight(weight, log_probs).reshape(weight_shape)
    losses = -reduction_ops.sum(terms, class_dim)

    if reduction_mode == "mean":
        samples = log_probs.data.size // max(n_classes, 1)
        return reduction_ops.sum(losses) / samples
    if reduction_mode == "sum":
        return reduction_ops.sum(losses)
    return losses
