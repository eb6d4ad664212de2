"""SIGINT and SIGTERM in a job: both stop it with a KeyboardInterrupt that ends the run KILLED.

``kill``, ``timeout`` and batch schedulers send SIGTERM, whose default action ends Python at
once, so no ``finally`` block runs and the MLflow run stays RUNNING. ``install_handlers`` makes
SIGTERM raise ``Terminated``, a KeyboardInterrupt, as Ctrl-C does.

A KeyboardInterrupt raised inside an MLflow call interrupts SQLAlchemy mid-transaction, prints a
long traceback from the store and can leave the session unusable for ending the run. Inside
``deferred_signals`` the first signal therefore waits until the block ends; a second one acts at
once, so a hung call can still be stopped.
"""

import contextlib
import signal
import threading

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Terminated(KeyboardInterrupt):
    """Raised in the main thread when the process receives SIGTERM."""


class _State:
    depth = 0
    pending = None
    received = None


STATE = _State()


def stop_exception(signum):
    if signum == signal.SIGTERM:
        return Terminated("received SIGTERM")
    return KeyboardInterrupt()


def on_signal(signum, frame):
    STATE.received = signum
    if STATE.depth > 0 and STATE.pending is None:
        STATE.pending = signum
        return
    raise stop_exception(signum)


def install_handlers():
    """Route SIGINT and SIGTERM through ``on_signal``; only the main thread can do this.

    NOTE: run.py installs the handlers in the launching process only. Worker processes of the
    joblib launcher keep Python's defaults, so SIGTERM sent to a worker itself ends it at once
    and leaves that job's run RUNNING. No test covers signals sent to joblib workers.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in SIGNALS:
        signal.signal(signum, on_signal)


def received_signal():
    """Return the last signal this process received (signal.SIGINT or SIGTERM), or None."""
    return STATE.received


@contextlib.contextmanager
def deferred_signals():
    """Hold back the first SIGINT or SIGTERM until the block ends, then raise it."""
    STATE.depth += 1
    try:
        yield
    finally:
        STATE.depth -= 1
        if STATE.depth == 0 and STATE.pending is not None:
            signum, STATE.pending = STATE.pending, None
            raise stop_exception(signum)
