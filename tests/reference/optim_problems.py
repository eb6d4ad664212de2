"""Problems, optimizer cases and scheduler cases shared by the optim reference script and tests.

Everything here runs unchanged on torch and on mytorch: a function takes the library module
(``torch`` or ``mytorch``) as ``lib``. The reference script runs it on torch and stores the
results, and the tests run it on mytorch and compare.
"""

import math

import numpy as np

STEPS = 50
SCHEDULER_STEPS = 40
GROUP_LRS = (0.1, 0.02)

# Optimizer cases: (case id, class name, constructor kwargs, param groups). ``param groups`` is
# None for one group of all parameters, else a list of per-group overrides. Parameter i of the
# problem goes to group i % len(groups).
# MiniBGD has no torch class, so its reference run is torch's SGD with the same lr.
# make_optim_references.py rejects settings under which rounding grows beyond 1e-13.
OPTIMIZER_CASES = [
    ("minibgd", "MiniBGD", {"lr": 0.05}, None),
    ("sgd", "SGD", {"lr": 0.05}, None),
    ("sgd_momentum", "SGD", {"lr": 0.05, "momentum": 0.9}, None),
    ("sgd_dampening", "SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3}, None),
    ("sgd_nesterov", "SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}, None),
    ("sgd_weight_decay", "SGD", {"lr": 0.05, "momentum": 0.5, "weight_decay": 0.1}, None),
    ("sgd_maximize", "SGD", {"lr": 0.05, "momentum": 0.9, "maximize": True}, None),
    ("sgd_groups", "SGD", {"lr": 0.05},
     [{"lr": 0.1, "momentum": 0.9}, {"nesterov": True, "momentum": 0.5}]),
    ("adam", "Adam", {"lr": 0.02}, None),
    ("adam_weight_decay", "Adam", {"lr": 0.02, "weight_decay": 0.1}, None),
    ("adam_amsgrad", "Adam", {"lr": 0.02, "amsgrad": True}, None),
    ("adam_maximize", "Adam", {"lr": 0.02, "maximize": True}, None),
    # beta1 = 0.5 makes torch's lerp take its second formula, end - (end - start) * (1 - weight).
    ("adam_betas", "Adam", {"lr": 0.01, "betas": (0.5, 0.9), "eps": 1e-6}, None),
    ("adam_groups", "Adam", {"lr": 0.02},
     [{"lr": 0.05, "amsgrad": True}, {"weight_decay": 0.2}]),
    ("adamw", "AdamW", {"lr": 0.02}, None),
    ("adamw_weight_decay", "AdamW", {"lr": 0.02, "weight_decay": 0.3}, None),
    ("adamw_amsgrad", "AdamW", {"lr": 0.02, "weight_decay": 0.1, "amsgrad": True}, None),
    ("adamw_maximize", "AdamW", {"lr": 0.02, "maximize": True}, None),
    ("rmsprop", "RMSprop", {"lr": 0.01}, None),
    ("rmsprop_centered", "RMSprop", {"lr": 0.01, "centered": True}, None),
    ("rmsprop_momentum", "RMSprop", {"lr": 0.01, "momentum": 0.3}, None),
    # Centered RMSprop divides by sqrt(v - mean(g)^2), which can come close to zero on the MLP.
    # There rounding differences of 1e-16 grow to 1e-11 within 50 steps at lr=0.01, alpha=0.9,
    # even with identical gradients, so these cases use settings that stay well conditioned.
    ("rmsprop_all", "RMSprop",
     {"lr": 0.005, "alpha": 0.95, "centered": True, "momentum": 0.3, "weight_decay": 0.1}, None),
    ("rmsprop_small_alpha", "RMSprop",
     {"lr": 0.01, "alpha": 0.4, "eps": 1e-3, "centered": True}, None),
    ("rmsprop_maximize", "RMSprop", {"lr": 0.01, "maximize": True}, None),
    ("adagrad", "Adagrad", {"lr": 0.1}, None),
    ("adagrad_lr_decay", "Adagrad", {"lr": 0.1, "lr_decay": 0.05}, None),
    ("adagrad_initial_accumulator", "Adagrad",
     {"lr": 0.1, "initial_accumulator_value": 0.5, "eps": 1e-3}, None),
    ("adagrad_weight_decay", "Adagrad", {"lr": 0.1, "weight_decay": 0.1}, None),
    ("adagrad_maximize", "Adagrad", {"lr": 0.1, "maximize": True}, None),
]

PROBLEMS = ("quadratic", "mlp")


def make_problem_arrays(problem, rng):
    """Return ``(params, data)``: float64 arrays of a fresh problem drawn from ``rng``."""
    if problem == "quadratic":
        factor = rng.normal(size=(4, 4))
        params = [rng.normal(size=4), rng.normal(size=(2, 3))]
        data = {
            "A": factor @ factor.T / 4 + np.eye(4),  # symmetric positive definite
            "b": rng.normal(size=4),
            "weights": rng.uniform(0.5, 2.0, size=(2, 3)),
            "center": rng.normal(size=(2, 3)),
        }
    elif problem == "mlp":
        params = [rng.normal(size=(4, 3)) * 0.5, rng.normal(size=4) * 0.1,
                  rng.normal(size=(1, 4)) * 0.5, rng.normal(size=1) * 0.1]
        inputs = rng.normal(size=(8, 3))
        data = {"X": inputs, "Y": np.sin(inputs.sum(axis=1, keepdims=True))}
    else:
        raise ValueError(f"unknown problem {problem!r}. Use one of {PROBLEMS}")
    return params, data


def loss_fn(lib, problem, params, data):
    """Return the scalar loss of ``problem`` as a ``lib`` tensor that records a graph."""
    if problem == "quadratic":
        x, y = params
        quadratic = 0.5 * (x @ data["A"] @ x) - data["b"] @ x
        return quadratic + 0.5 * (data["weights"] * (y - data["center"]) ** 2).sum()
    weight1, bias1, weight2, bias2 = params
    hidden = lib.tanh(data["X"] @ weight1.T + bias1)
    return ((hidden @ weight2.T + bias2 - data["Y"]) ** 2).mean()


def run_optimizer(lib, case, problem, param_arrays, data_arrays, steps=STEPS):
    """Run ``steps`` steps of an optimizer case and return the trajectory.

    Returns an array of shape (steps + 1, number of parameter values): row 0 contains the initial
    parameters and row k those after step k, each row the flattened parameters in order.
    """
    _, class_name, kwargs, groups = case
    if lib.__name__ == "torch" and class_name == "MiniBGD":
        class_name = "SGD"
    params = [lib.tensor(array.copy(), requires_grad=True) for array in param_arrays]
    data = {key: lib.tensor(array) for key, array in data_arrays.items()}
    maximize = kwargs.get("maximize", False)

    if groups is None:
        param_groups = params
    else:
        param_groups = [{"params": params[index::len(groups)], **overrides}
                        for index, overrides in enumerate(groups)]
    optimizer = getattr(lib.optim, class_name)(param_groups, **kwargs)

    rows = [_flatten(params)]
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(lib, problem, params, data)
        # A maximizing optimizer climbs the negated loss, so the run stays bounded.
        (-loss if maximize else loss).backward()
        optimizer.step()
        rows.append(_flatten(params))
    return np.stack(rows)


def _flatten(params):
    return np.concatenate([np.array(p.detach().numpy(), dtype=np.float64).ravel()
                           for p in params])


# ----------------------------------------------------------------- schedulers

def halving_after_ten(epoch):
    """A LambdaLR factor: 1 for ten epochs, then halved every five."""
    return 1.0 if epoch < 10 else 0.5 ** ((epoch - 10) // 5 + 1)


def inverse_sqrt_warmup(epoch):
    """A LambdaLR factor: linear warm-up over four epochs, then 1 / sqrt(epoch)."""
    return (epoch + 1) / 4 if epoch < 4 else 2 / math.sqrt(epoch)


# Scheduler cases: (case id, [(class name, kwargs), ...]). Several schedulers in one case are
# stepped together on the same optimizer, which chains their recursive updates.
SCHEDULER_CASES = [
    ("step", [("StepLR", {"step_size": 3, "gamma": 0.5})]),
    ("multistep", [("MultiStepLR", {"milestones": [5, 12, 12, 20], "gamma": 0.3})]),
    ("exponential", [("ExponentialLR", {"gamma": 0.93})]),
    ("cosine", [("CosineAnnealingLR", {"T_max": 10, "eta_min": 0.001})]),
    ("cosine_zero_min", [("CosineAnnealingLR", {"T_max": 7})]),
    ("linear_warmup", [("LinearLR", {"start_factor": 0.25, "total_iters": 8})]),
    ("linear_decay", [("LinearLR", {"start_factor": 1.0, "end_factor": 0.1,
                                    "total_iters": 10})]),
    ("lambda", [("LambdaLR", {"lr_lambda": halving_after_ten})]),
    ("lambda_per_group", [("LambdaLR", {"lr_lambda": [halving_after_ten,
                                                      inverse_sqrt_warmup]})]),
    ("warmup_then_exponential", [("LinearLR", {"start_factor": 0.1, "total_iters": 5}),
                                 ("ExponentialLR", {"gamma": 0.9})]),
    ("plateau_min_rel", [("ReduceLROnPlateau", {"patience": 2, "factor": 0.5})]),
    ("plateau_min_abs_cooldown", [("ReduceLROnPlateau",
                                   {"patience": 1, "threshold": 0.01, "threshold_mode": "abs",
                                    "cooldown": 3, "min_lr": [0.01, 0.005]})]),
    ("plateau_max", [("ReduceLROnPlateau", {"mode": "max", "patience": 3, "factor": 0.3,
                                            "threshold": 0.05, "min_lr": 0.004})]),
    ("plateau_eps", [("ReduceLROnPlateau", {"patience": 0, "factor": 0.5, "eps": 0.01})]),
]


def plateau_metrics(steps=SCHEDULER_STEPS):
    """Return a fixed metric sequence that falls, then flattens out with small wiggles."""
    epochs = np.arange(steps, dtype=np.float64)
    return 1.0 / (1.0 + 0.3 * epochs) + 0.02 * np.sin(1.7 * epochs)


def run_schedulers(lib, case, metrics, steps=SCHEDULER_STEPS):
    """Run a scheduler case and return the lr of each group, shape (steps + 1, groups).

    Row 0 contains the lrs after the schedulers were built, row k those after the k-th epoch.
    ReduceLROnPlateau reads ``metrics[k - 1]`` at epoch k. In "max" mode it reads
    ``2 - metrics[k - 1]``, which rises where the metric falls.
    """
    _, schedulers = case
    params = [lib.tensor(np.ones(2), requires_grad=True),
              lib.tensor(np.ones(3), requires_grad=True)]
    optimizer = lib.optim.SGD([{"params": [params[0]], "lr": GROUP_LRS[0]},
                               {"params": [params[1]], "lr": GROUP_LRS[1]}])
    built = [(getattr(lib.optim.lr_scheduler, name)(optimizer, **kwargs), kwargs)
             for name, kwargs in schedulers]

    rows = [[group["lr"] for group in optimizer.param_groups]]
    for epoch in range(steps):
        (params[0].sum() + params[1].sum()).backward()
        optimizer.step()
        for scheduler, kwargs in built:
            if type(scheduler).__name__ == "ReduceLROnPlateau":
                metric = float(metrics[epoch])
                scheduler.step(2.0 - metric if kwargs.get("mode") == "max" else metric)
            else:
                scheduler.step()
        rows.append([group["lr"] for group in optimizer.param_groups])
    return np.array(rows, dtype=np.float64)
