"""Switches for graph recording: ``no_grad``, ``enable_grad`` and ``set_grad_enabled``.

The switch is one process-wide flag, unlike torch's per-thread one, because mytorch runs each graph
on one thread.
"""

import functools


class _GradMode:
    enabled = True


def is_grad_enabled():
    """Return whether operations currently record a graph."""
    return _GradMode.enabled


class set_grad_enabled:  # noqa: N801 - torch's name
    """Turn graph recording on or off: as a call, a context manager or a decorator."""

    def __init__(self, mode):
        self.prev = _GradMode.enabled
        self.mode = bool(mode)
        _GradMode.enabled = self.mode

    def __enter__(self):
        return None

    def __exit__(self, *exc_info):
        _GradMode.enabled = self.prev
        return False

    def __call__(self, func):
        # Construction already flipped the flag, so undo that and apply the mode per call.
        _GradMode.enabled = self.prev
        mode = self.mode

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return func(*args, **kwargs)

        return wrapper


class _ModeContext:
    """Base of ``no_grad`` and ``enable_grad``: a context manager that is also a decorator."""

    mode = True

    def __new__(cls, func=None):
        # ``@no_grad`` without parentheses hands the function to the constructor, as torch allows.
        instance = super().__new__(cls)
        return instance if func is None else instance(func)

    def __enter__(self):
        self.prev = _GradMode.enabled
        _GradMode.enabled = self.mode

    def __exit__(self, *exc_info):
        _GradMode.enabled = self.prev
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return func(*args, **kwargs)

        return wrapper


class no_grad(_ModeContext):  # noqa: N801 - torch's name
    """Context manager and decorator under which operations record no graph."""

    mode = False


class enable_grad(_ModeContext):  # noqa: N801 - torch's name
    """Context manager and decorator that turns recording back on inside ``no_grad``."""

    mode = True
