"""Replay torch's optimizer trajectories and lr schedules, stored in optim_references.npz.

tests/reference/make_optim_references.py wrote the file with torch 2.13 in float64. The runs
themselves are defined in tests/reference/optim_problems.py and shared by both sides.
"""

import pathlib
import warnings

import numpy as np
import pytest
from reference import optim_problems as problems

import mytorch

REFERENCES = pathlib.Path(__file__).parent / "reference" / "optim_references.npz"
TOLERANCE = 1e-12


@pytest.fixture(scope="module")
def references():
    with np.load(REFERENCES) as stored:
        return {key: stored[key] for key in stored.files}


def _problem_arrays(references, problem):
    params = []
    while f"{problem}/param{len(params)}" in references:
        params.append(references[f"{problem}/param{len(params)}"])
    prefix = f"{problem}/data/"
    data = {key[len(prefix):]: value for key, value in references.items()
            if key.startswith(prefix)}
    return params, data


@pytest.mark.parametrize("problem", problems.PROBLEMS)
@pytest.mark.parametrize("case", problems.OPTIMIZER_CASES, ids=[c[0] for c in
                                                                problems.OPTIMIZER_CASES])
def test_trajectory_matches_torch(references, case, problem):
    params, data = _problem_arrays(references, problem)
    expected = references[f"{problem}/trajectory/{case[0]}"]

    actual = problems.run_optimizer(mytorch, case, problem, params, data)

    assert actual.shape == expected.shape
    # The parameters moved, so the comparison checks the updates and not only the start.
    assert np.abs(expected[-1] - expected[0]).max() > 0.1
    np.testing.assert_allclose(actual, expected, rtol=TOLERANCE, atol=TOLERANCE)


@pytest.mark.parametrize("case", problems.SCHEDULER_CASES, ids=[c[0] for c in
                                                                 problems.SCHEDULER_CASES])
def test_lr_sequence_matches_torch(references, case):
    expected = references[f"scheduler/lr/{case[0]}"]

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        actual = problems.run_schedulers(mytorch, case, references["scheduler/metrics"])

    assert actual.shape == expected.shape
    # Every schedule changes the lr at least once within the run.
    assert len(np.unique(expected[:, 0])) > 1
    np.testing.assert_allclose(actual, expected, rtol=TOLERANCE, atol=TOLERANCE)
