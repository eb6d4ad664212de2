"""Checkpoints: state_dicts survive mytorch.save/load exactly, and a resumed run is bit-identical.

A run interrupted after k steps saves the model, the optimizer and the shuffling generator with
mytorch.save, then fresh objects load the checkpoint and finish the run. Every loss and every
final weight must equal those of the uninterrupted run bit for bit.
"""

import collections

import numpy as np
import pytest

import mytorch
from mytorch import nn
from mytorch.utils.data import DataLoader, TensorDataset

TOTAL_STEPS = 30
BATCH_SIZE = 16

OPTIMIZERS = {
    "sgd_momentum": lambda params: mytorch.optim.SGD(params, lr=0.1, momentum=0.9,
                                                     weight_decay=1e-3),
    "sgd_nesterov": lambda params: mytorch.optim.SGD(params, lr=0.05, momentum=0.8,
                                                     nesterov=True),
    "adamw": lambda params: mytorch.optim.AdamW(params, lr=0.02, weight_decay=0.05),
    "adamw_amsgrad": lambda params: mytorch.optim.AdamW(params, lr=0.02, amsgrad=True),
}


def make_dataset(dtype):
    rng = np.random.default_rng(11)
    points = rng.normal(size=(100, 2))
    labels = (points[:, 0] * points[:, 1] > 0).astype(np.float64)[:, None]
    return TensorDataset(mytorch.tensor(points, dtype=dtype), mytorch.tensor(labels, dtype=dtype))


def make_model(seed, dtype):
    mytorch.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, 5), nn.Tanh(), nn.Linear(5, 3), nn.Tanh(),
                         nn.Linear(3, 1)).to(dtype)


def train(model, optimizer, loader, generator, first_step, last_step, epoch_state=None):
    """Run steps ``first_step`` to ``last_step - 1``; return the losses and the epoch state.

    The epoch state is the generator state at the start of the epoch that contains
    ``last_step``, so a resumed run replays that epoch's permutation and skips the batches
    already done.
    """
    if epoch_state is not None:
        generator.set_state(epoch_state)
    criterion = nn.BCEWithLogitsLoss()
    losses = []
    step = first_step
    while step < last_step:
        epoch_state = generator.get_state()
        done_in_epoch = step % len(loader)
        for position, (inputs, targets) in enumerate(loader):
            if position < done_in_epoch:
                continue
            if step == last_step:
                break
            loss = criterion(model(inputs), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            step += 1
    if last_step % len(loader) == 0:
        epoch_state = generator.get_state()
    return losses, epoch_state


def assert_same_structure(loaded, original, where="state"):
    """Assert equal types, keys (in order), dtypes, shapes and values, recursively."""
    if isinstance(original, mytorch.Tensor):
        assert isinstance(loaded, mytorch.Tensor), where
        assert loaded.dtype == original.dtype, where
        assert loaded.shape == original.shape, where
        np.testing.assert_array_equal(loaded.data, original.data, err_msg=where)
        return
    assert type(loaded) is type(original), where
    if isinstance(original, dict):
        assert list(loaded) == list(original), where
        for key in original:
            assert_same_structure(loaded[key], original[key], f"{where}[{key!r}]")
    elif isinstance(original, (list, tuple)):
        assert len(loaded) == len(original), where
        for index, (left, right) in enumerate(zip(loaded, original, strict=True)):
            assert_same_structure(left, right, f"{where}[{index}]")
    else:
        assert loaded == original, where


def trained_objects(optimizer_name, dtype=mytorch.float64, steps=5):
    dataset = make_dataset(dtype)
    model = make_model(0, dtype)
    optimizer = OPTIMIZERS[optimizer_name](model.parameters())
    generator = mytorch.Generator().manual_seed(3)
    loader = DataLoader(dataset, batch_size=BATCH_SIZE, shuffle=True, generator=generator)
    train(model, optimizer, loader, generator, 0, steps)
    return model, optimizer


# --------------------------------------------------------------------------- state_dict round trips


@pytest.mark.parametrize("dtype", [mytorch.float32, mytorch.float64])
def test_model_state_dict_round_trip(tmp_path, dtype):
    model, _ = trained_objects("adamw", dtype)
    state = model.state_dict()
    path = tmp_path / "model.pt"

    mytorch.save(state, path)
    loaded = mytorch.load(path)

    assert isinstance(loaded, collections.OrderedDict)
    assert_same_structure(loaded, state)
    assert loaded["0.weight"].dtype == dtype


@pytest.mark.parametrize("optimizer_name", sorted(OPTIMIZERS))
def test_optimizer_state_dict_round_trip(tmp_path, optimizer_name):
    _, optimizer = trained_objects(optimizer_name)
    state = optimizer.state_dict()
    path = tmp_path / "optimizer.pt"

    mytorch.save(state, path)
    loaded = mytorch.load(path)

    assert_same_structure(loaded, state)
    assert len(loaded["state"]) == 6


def test_loaded_model_predicts_identically(tmp_path):
    model, _ = trained_objects("sgd_momentum")
    path = tmp_path / "model.pt"
    mytorch.save(model.state_dict(), path)
    fresh = make_model(99, mytorch.float64)
    inputs = mytorch.randn(7, 2, dtype=mytorch.float64)

    fresh.load_state_dict(mytorch.load(path))

    np.testing.assert_array_equal(fresh(inputs).data, model(inputs).data)


# --------------------------------------------------------------------------- interrupted runs


@pytest.mark.parametrize("optimizer_name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("interrupt_at", [1, 11, 14, 21])
def test_resumed_run_is_bit_identical(tmp_path, optimizer_name, interrupt_at):
    # 100 samples in batches of 16 make 7 steps per epoch, so step 14 is an epoch boundary
    # and the other interruptions fall inside an epoch.
    dtype = mytorch.float64
    dataset = make_dataset(dtype)

    expected_model = make_model(0, dtype)
    optimizer = OPTIMIZERS[optimizer_name](expected_model.parameters())
    generator = mytorch.Generator().manual_seed(5)
    loader = DataLoader(dataset, batch_size=BATCH_SIZE, shuffle=True, generator=generator)
    expected_losses, _ = train(expected_model, optimizer, loader, generator, 0, TOTAL_STEPS)

    model = make_model(0, dtype)
    optimizer = OPTIMIZERS[optimizer_name](model.parameters())
    generator = mytorch.Generator().manual_seed(5)
    loader = DataLoader(dataset, batch_size=BATCH_SIZE, shuffle=True, generator=generator)
    first_losses, epoch_state = train(model, optimizer, loader, generator, 0, interrupt_at)
    path = tmp_path / "checkpoint.pt"
    mytorch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                  "epoch_generator_state": epoch_state, "step": interrupt_at}, path)

    # Fresh objects with other weights and another seed, so only the checkpoint can make the
    # rest of the run match.
    checkpoint = mytorch.load(path)
    resumed_model = make_model(1, dtype)
    resumed_optimizer = OPTIMIZERS[optimizer_name](resumed_model.parameters())
    resumed_generator = mytorch.Generator().manual_seed(6)
    resumed_loader = DataLoader(dataset, batch_size=BATCH_SIZE, shuffle=True,
                                generator=resumed_generator)
    resumed_model.load_state_dict(checkpoint["model"])
    resumed_optimizer.load_state_dict(checkpoint["optimizer"])
    rest_losses, _ = train(resumed_model, resumed_optimizer, resumed_loader, resumed_generator,
                           checkpoint["step"], TOTAL_STEPS, checkpoint["epoch_generator_state"])

    assert len(first_losses) + len(rest_losses) == TOTAL_STEPS
    assert first_losses + rest_losses == expected_losses
    for name, value in expected_model.state_dict().items():
        np.testing.assert_array_equal(resumed_model.state_dict()[name].data, value.data,
                                      err_msg=name)


def test_resume_without_optimizer_state_differs():
    # Without the optimizer state AdamW's moments restart from zero, so the losses after the
    # interruption change. This shows that the test above depends on that state.
    dtype = mytorch.float64
    dataset = make_dataset(dtype)
    model = make_model(0, dtype)
    optimizer = OPTIMIZERS["adamw"](model.parameters())
    generator = mytorch.Generator().manual_seed(5)
    loader = DataLoader(dataset, batch_size=BATCH_SIZE, shuffle=True, generator=generator)
    expected_losses, _ = train(model, optimizer, loader, generator, 0, TOTAL_STEPS)

    model = make_model(0, dtype)
    optimizer = OPTIMIZERS["adamw"](model.parameters())
    generator = mytorch.Generator().manual_seed(5)
    loader = DataLoader(dataset, batch_size=BATCH_SIZE, shuffle=True, generator=generator)
    first_losses, epoch_state = train(model, optimizer, loader, generator, 0, 11)
    fresh_optimizer = OPTIMIZERS["adamw"](model.parameters())
    rest_losses, _ = train(model, fresh_optimizer, loader, generator, 11, TOTAL_STEPS,
                           epoch_state)

    assert first_losses == expected_losses[:11]
    assert rest_losses != expected_losses[11:]


def test_float32_resume_keeps_dtype(tmp_path):
    model, optimizer = trained_objects("adamw", mytorch.float32)
    path = tmp_path / "checkpoint.pt"
    mytorch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, path)

    checkpoint = mytorch.load(path)
    fresh_model = make_model(1, mytorch.float32)
    fresh_optimizer = OPTIMIZERS["adamw"](fresh_model.parameters())
    fresh_model.load_state_dict(checkpoint["model"])
    fresh_optimizer.load_state_dict(checkpoint["optimizer"])

    for param in fresh_model.parameters():
        assert param.dtype == mytorch.float32
        for name in ("exp_avg", "exp_avg_sq"):
            assert fresh_optimizer.state[param][name].dtype == mytorch.float32
