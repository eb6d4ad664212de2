"""nn.functional: known answers, one_hot, and errors that name the bad value."""

import math

import numpy as np
import pytest

import mytorch
from mytorch import nn
from mytorch.nn import functional as F  # noqa: N812 - torch's usual alias


def _logits():
    return mytorch.tensor([[1.0, 2.0, 3.0], [0.5, 0.5, 0.5]], requires_grad=True)


# ------------------------------------------------------------------ known answers


def test_cross_entropy_known_answer():
    loss = F.cross_entropy(mytorch.tensor([[0.0, 0.0]]), mytorch.tensor([1]))

    assert loss.item() == pytest.approx(math.log(2), rel=1e-6)


def test_cross_entropy_is_log_softmax_then_nll():
    logits = _logits()
    target = mytorch.tensor([2, 0])

    fused = F.cross_entropy(logits, target)
    composed = F.nll_loss(F.log_softmax(logits, dim=1), target)

    assert fused.item() == pytest.approx(composed.item(), rel=1e-7)
    assert fused.grad_fn.name() == "NllLossBackward0"


def test_cross_entropy_all_ignored_is_nan():
    loss = F.cross_entropy(_logits(), mytorch.tensor([-100, -100]))

    assert math.isnan(loss.item())


def test_bce_with_logits_matches_sigmoid_bce():
    logits = mytorch.tensor([-2.0, 0.3, 4.0], dtype=mytorch.float64)
    target = mytorch.tensor([0.0, 1.0, 0.25], dtype=mytorch.float64)

    fused = F.binary_cross_entropy_with_logits(logits, target)
    composed = F.binary_cross_entropy(F.sigmoid(logits), target)

    assert fused.item() == pytest.approx(composed.item(), rel=1e-12)


def test_pos_weight_scales_positive_term():
    logits = mytorch.tensor([0.0], dtype=mytorch.float64)
    target = mytorch.tensor([1.0], dtype=mytorch.float64)

    loss = F.binary_cross_entropy_with_logits(logits, target,
                                              pos_weight=mytorch.tensor([3.0]))

    assert loss.item() == pytest.approx(3 * math.log(2), rel=1e-15)


def test_bce_clamps_log_at_minus_100():
    loss = F.binary_cross_entropy(mytorch.tensor([0.0, 1.0]), mytorch.tensor([1.0, 0.0]),
                                  reduction="none")

    assert loss.tolist() == [100.0, 100.0]


def test_mse_and_l1_known_answers():
    x = mytorch.tensor([1.0, 2.0, 4.0])
    y = mytorch.tensor([1.0, 0.0, 1.0])

    assert F.mse_loss(x, y).item() == pytest.approx(13 / 3)
    assert F.mse_loss(x, y, reduction="sum").item() == 13.0
    assert F.l1_loss(x, y, reduction="none").tolist() == [0.0, 2.0, 3.0]


def test_mse_broadcast_warns():
    with pytest.warns(UserWarning, match=r"target size \(3, 1\) that is different"):
        F.mse_loss(mytorch.zeros(3), mytorch.zeros(3, 1))


def test_legacy_size_average_flags():
    x, y = mytorch.tensor([1.0, 3.0]), mytorch.tensor([0.0, 0.0])

    with pytest.warns(UserWarning, match="reduction='sum'"):
        loss = nn.MSELoss(size_average=False)
    assert loss.reduction == "sum"
    assert loss(x, y).item() == 10.0
    with pytest.warns(UserWarning, match="reduction='none'"):
        assert F.l1_loss(x, y, reduce=False).tolist() == [1.0, 3.0]


def test_softmax_dtype_argument():
    probabilities = F.softmax(mytorch.tensor([1.0, 2.0]), dim=0, dtype=mytorch.float64)

    assert probabilities.dtype == mytorch.float64
    assert probabilities.data.sum() == pytest.approx(1.0, rel=1e-15)


def test_activation_functions_known_values():
    x = mytorch.tensor([-1.0, 0.0, 2.0])

    assert F.relu(x).tolist() == [0.0, 0.0, 2.0]
    assert F.leaky_relu(x, 0.1).tolist() == [pytest.approx(-0.1), 0.0, 2.0]
    assert F.sigmoid(x).tolist()[1] == 0.5
    assert F.tanh(x).tolist()[1] == 0.0
    assert F.softplus(x).tolist()[1] == pytest.approx(math.log(2))
    assert F.gelu(x).tolist()[2] == pytest.approx(2 * 0.5 * (1 + math.erf(2 / math.sqrt(2))))
    np.testing.assert_allclose(F.linear(x, mytorch.eye(3), mytorch.ones(3)).data, [0, 1, 3])


def test_one_hot_values():
    encoded = F.one_hot(mytorch.tensor([0, 2, 1]))

    assert encoded.dtype == mytorch.int64
    assert encoded.tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 0]]
    assert F.one_hot(mytorch.tensor([[1], [0]]), num_classes=4).shape == (2, 1, 4)


def test_one_hot_errors():
    with pytest.raises(RuntimeError, match=r"smaller than num_classes \(2\), got 3"):
        F.one_hot(mytorch.tensor([3]), num_classes=2)
    with pytest.raises(RuntimeError, match="non-negative, got -1"):
        F.one_hot(mytorch.tensor([-1, 0]))
    with pytest.raises(RuntimeError, match="integer dtype, got mytorch.float32"):
        F.one_hot(mytorch.tensor([1.0]))


# ------------------------------------------------------------------ errors


def test_class_index_out_of_range():
    with pytest.raises(IndexError, match=r"Target 3 is out of bounds.*\[0, 2\]"):
        F.cross_entropy(_logits(), mytorch.tensor([3, 0]))
    with pytest.raises(IndexError, match="Target -1 is out of bounds"):
        F.nll_loss(_logits(), mytorch.tensor([0, -1]))


def test_class_target_float_dtype_rejected():
    with pytest.raises(RuntimeError, match=r"integer dtype, got mytorch.float32.*\.long\(\)"):
        F.nll_loss(_logits(), mytorch.tensor([1.0, 0.0]))


def test_class_target_batch_mismatch():
    with pytest.raises(ValueError, match=r"input batch_size \(2\) to match target batch_size "
                                         r"\(3\)"):
        F.cross_entropy(_logits(), mytorch.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match=r"Expected target size \(2, 4\), got \(2, 3\)"):
        F.cross_entropy(mytorch.zeros(2, 3, 4), mytorch.zeros(2, 3, dtype=mytorch.int64))


def test_probability_target_shape_mismatch():
    with pytest.raises(ValueError, match=r"input's shape \(2, 3\), got \(2, 2\)"):
        F.cross_entropy(_logits(), mytorch.zeros(2, 2))


def test_bce_shape_mismatch():
    with pytest.raises(ValueError, match=r"Target size \(3, 1\) must be the same as input size "
                                         r"\(3,\)"):
        F.binary_cross_entropy_with_logits(mytorch.zeros(3), mytorch.zeros(3, 1))
    with pytest.raises(ValueError, match=r"target size \(2,\) that is different to the input "
                                         r"size \(3,\)"):
        F.binary_cross_entropy(mytorch.zeros(3), mytorch.zeros(2))


def test_bce_input_outside_unit_interval():
    with pytest.raises(RuntimeError, match=r"between 0 and 1, got values in \[-0.5, 2.0\]"):
        F.binary_cross_entropy(mytorch.tensor([-0.5, 2.0]), mytorch.tensor([0.0, 1.0]))


def test_invalid_reduction():
    with pytest.raises(ValueError, match="'average' is not a valid value for reduction"):
        nn.CrossEntropyLoss(reduction="average")
    with pytest.raises(ValueError, match="'avg' is not a valid value"):
        F.mse_loss(mytorch.zeros(1), mytorch.zeros(1), reduction="avg")


def test_class_weight_wrong_length():
    with pytest.raises(RuntimeError, match=r"all 3 classes .* shape: \(2,\)"):
        F.cross_entropy(_logits(), mytorch.tensor([0, 1]), weight=mytorch.ones(2))


def test_label_smoothing_out_of_range():
    with pytest.raises(ValueError, match="between 0.0 and 1.0, got 1.5"):
        F.cross_entropy(_logits(), mytorch.tensor([0, 1]), label_smoothing=1.5)


def test_losses_keep_float32():
    logits = _logits()

    assert F.cross_entropy(logits, mytorch.tensor([0, 1])).dtype == mytorch.float32
    assert F.binary_cross_entropy_with_logits(logits, mytorch.zeros(2, 3)).dtype == \
        mytorch.float32
    assert F.mse_loss(logits, mytorch.zeros(2, 3)).dtype == mytorch.float32
