"""The harness's own exception for bad input, which run.py prints as one line, not a traceback."""


class InputError(ValueError):
    """A config value, data file or tracking store that cannot work.

    The message is one line that names the bad value and what to do about it. It is raised
    before training starts and before any MLflow run exists, so a bad input leaves no run behind.
    """


class DataError(InputError):
    """A data file that is missing, unreadable or does not hold a usable classification set."""
