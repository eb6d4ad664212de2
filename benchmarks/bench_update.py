"""Time one training update (zero_grad, forward, loss, backward, step) side by side.

Usage: python benchmarks/bench_update.py [--repeat 7] [--threads 1]

For each network and optimizer it times mytorch, a hand-written numpy version with hand-derived
gradients, and torch when it is installed, all in this one process, and prints the time per update
and the ratios. mytorch and torch run the same script text, once with each library as ``lib``.
BLAS and torch are limited to ``--threads`` threads (1 by default) so the comparison is per core.
"""

import argparse
import os
import sys
import timeit
from pathlib import Path


def _limit_threads(threads):
    # Must happen before numpy loads its BLAS.
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(threads)


CASES = [
    # name, layer sizes, activation, batch size
    ("2-5-3-1 tanh, batch 50", [2, 5, 3, 1], "tanh", 50),
    ("64-256-256-10 relu, batch 128", [64, 256, 256, 10], "relu", 128),
]
OPTIMIZERS = [("MiniBGD", {"lr": 0.1}), ("AdamW", {"lr": 1e-3, "weight_decay": 1e-2})]


def make_problem(sizes, batch_size, seed=0):
    """Return float32 initial weights, biases, inputs and targets drawn from a fixed seed."""
    import numpy as np

    rng = np.random.default_rng(seed)
    weights, biases = [], []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        bound = 1 / np.sqrt(fan_in)
        weights.append(rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32))
        biases.append(rng.uniform(-bound, bound, fan_out).astype(np.float32))
    x = rng.standard_normal((batch_size, sizes[0])).astype(np.float32)
    if sizes[-1] == 1:
        target = (rng.random((batch_size, 1)) < 0.5).astype(np.float32)
    else:
        target = rng.integers(0, sizes[-1], batch_size)
    return weights, biases, x, target


def library_update(lib, problem, activation, optimizer_name, options):
    """Build the model, loss and optimizer with ``lib`` (mytorch or torch) and return one update."""
    weights, biases, x_array, target_array = problem
    layers = []
    for i, (w, b) in enumerate(zip(weights, biases, strict=True)):
        linear = lib.nn.Linear(w.shape[1], w.shape[0])
        with lib.no_grad():
            linear.weight.copy_(lib.from_numpy(w))
            linear.bias.copy_(lib.from_numpy(b))
        layers.append(linear)
        if i < len(weights) - 1:
            layers.append(lib.nn.Tanh() if activation == "tanh" else lib.nn.ReLU())
    model = lib.nn.Sequential(*layers)
    binary = weights[-1].shape[0] == 1
    criterion = lib.nn.BCEWithLogitsLoss() if binary else lib.nn.CrossEntropyLoss()
    if optimizer_name == "MiniBGD":
        # torch has no MiniBGD; plain SGD without momentum is the same update.
        optimizer_class = getattr(lib.optim, "MiniBGD", None) or lib.optim.SGD
        optimizer = optimizer_class(model.parameters(), lr=options["lr"])
    else:
        optimizer = lib.optim.AdamW(model.parameters(), **options)
    x, target = lib.from_numpy(x_array), lib.from_numpy(target_array)

    def update():
        optimizer.zero_grad()
        loss = criterion(model(x), target)
        loss.backward()
        optimizer.step()

    return update


def handwritten_update(problem, activation, optimizer_name, options):
    from handwritten import HandwrittenMLP

    weights, biases, x, target = problem
    model = HandwrittenMLP(weights, biases, activation, optimizer_name.lower(), **options)
    return lambda: model.update(x, target)


def seconds_per_update(updates, repeat):
    """Return the best time per update of each entry of ``updates`` (a dict of name -> update).

    The rounds interleave the implementations, so a change in machine load during the run
    affects all of them alike and the ratios stay fair.
    """
    numbers = {}
    for name, update in updates.items():
        for _ in range(20):
            update()  # warm-up: caches, lazily created optimizer state
        numbers[name], _ = timeit.Timer(update).autorange()
    best = dict.fromkeys(updates, float("inf"))
    for _ in range(repeat):
        for name, update in updates.items():
            elapsed = timeit.timeit(update, number=numbers[name]) / numbers[name]
            best[name] = min(best[name], elapsed)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7,
                        help="timing rounds per case; the best round is kept")
    parser.add_argument("--threads", type=int, default=1, help="BLAS and torch threads")
    args = parser.parse_args()
    _limit_threads(args.threads)

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import numpy as np

    import mytorch

    try:
        import torch

        torch.set_num_threads(args.threads)
    except ImportError:
        torch = None
        print("torch is not installed: timing mytorch and hand-written numpy only "
              "(pip install torch==2.13.0 adds the torch column)\n")

    print(f"numpy {np.__version__}, mytorch {mytorch.__version__}"
          + (f", torch {torch.__version__}" if torch else "") + f", {args.threads} thread(s)")
    header = (f"{'network':32} {'optimizer':9} {'mytorch':>10} {'numpy':>10} {'torch':>10}"
              f" {'mytorch/numpy':>14} {'mytorch/torch':>14}")
    print(header)
    print("-" * len(header))
    for name, sizes, activation, batch_size in CASES:
        problem = make_problem(sizes, batch_size)
        for optimizer_name, options in OPTIMIZERS:
            updates = {
                "mytorch": library_update(mytorch, problem, activation, optimizer_name, options),
                "numpy": handwritten_update(problem, activation, optimizer_name, options),
            }
            if torch is not None:
                updates["torch"] = library_update(torch, problem, activation, optimizer_name,
                                                  options)
            times = seconds_per_update(updates, args.repeat)
            torch_text = f"{times['torch'] * 1e6:8.1f}us" if "torch" in times else f"{'-':>10}"
            ratio_torch = (f"{times['mytorch'] / times['torch']:14.2f}" if "torch" in times
                           else f"{'-':>14}")
            print(f"{name:32} {optimizer_name:9} {times['mytorch'] * 1e6:8.1f}us "
                  f"{times['numpy'] * 1e6:8.1f}us {torch_text} "
                  f"{times['mytorch'] / times['numpy']:14.2f} {ratio_torch}")


if __name__ == "__main__":
    main()
