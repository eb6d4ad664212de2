"""A model builder that fails on purpose, for tests of a job that raises after its run started.

Jobs import it by name through ``model._target_=tests.failure_helpers.build_failing_mlp``,
because experiments/run.py puts the repository root on sys.path.
"""

from experiments.models import build_mlp

# The forward call that raises: the second update of the first epoch.
FAILING_CALL = 2


def build_failing_mlp(in_features, out_features, **kwargs):
    """Build the usual MLP whose forward raises RuntimeError on call FAILING_CALL."""
    model = build_mlp(in_features, out_features, **kwargs)
    forward = model.forward
    calls = 0

    def failing_forward(inputs):
        nonlocal calls
        calls += 1
        if calls == FAILING_CALL:
            raise RuntimeError(f"injected failure in forward call {calls}")
        return forward(inputs)

    model.forward = failing_forward
    return model
