"""Write tests/reference/optim_references.npz: torch's trajectories and lr sequences.

Run from the repository root with torch installed (the values in the file come from torch
2.13.0, CPU, float64):

    python tests/reference/make_optim_references.py

For every case in optim_problems.OPTIMIZER_CASES and every problem, the file stores the problem's
arrays and the parameter trajectory of STEPS torch steps. For every case in SCHEDULER_CASES it
stores the lr of each group over SCHEDULER_STEPS epochs. tests/test_optim_reference.py replays
the same runs in mytorch and compares.
"""

import pathlib
import warnings

import numpy as np
import optim_problems as problems
import torch

OUTPUT = pathlib.Path(__file__).with_name("optim_references.npz")
SEED = 20260412
MAX_ROUNDING_GAIN = 1e-13


def main():
    torch.set_default_dtype(torch.float64)
    arrays = {"torch_version": np.array(torch.__version__)}
    rng = np.random.default_rng(SEED)

    for problem in problems.PROBLEMS:
        params, data = problems.make_problem_arrays(problem, rng)
        for index, array in enumerate(params):
            arrays[f"{problem}/param{index}"] = array
        for key, array in data.items():
            arrays[f"{problem}/data/{key}"] = array
        for case in problems.OPTIMIZER_CASES:
            trajectory = problems.run_optimizer(torch, case, problem, params, data)
            if not np.all(np.isfinite(trajectory)):
                raise RuntimeError(f"case {case[0]} on {problem} diverged. Lower its lr")

            # The tests compare to 1e-12, which only makes sense where rounding stays small:
            # moving the start by one ulp must move torch's own trajectory far less than that.
            nudged_params = [np.nextafter(array, np.inf) for array in params]
            nudged = problems.run_optimizer(torch, case, problem, nudged_params, data)
            gain = np.abs(nudged - trajectory).max()
            if gain > MAX_ROUNDING_GAIN:
                raise RuntimeError(
                    f"case {case[0]} on {problem} amplifies rounding: a one-ulp change of the "
                    f"start moves the trajectory by {gain:.1e}. Change its settings")
            arrays[f"{problem}/trajectory/{case[0]}"] = trajectory

    metrics = problems.plateau_metrics()
    arrays["scheduler/metrics"] = metrics
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for case in problems.SCHEDULER_CASES:
            arrays[f"scheduler/lr/{case[0]}"] = problems.run_schedulers(torch, case, metrics)

    np.savez_compressed(OUTPUT, **arrays)
    print(f"wrote {len(arrays)} arrays to {OUTPUT}")


if __name__ == "__main__":
    main()
