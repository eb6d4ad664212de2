"""Train the numpy MLP on one configuration, or on a sweep of them with -m, tracked in MLflow.

    python experiments/run.py                          # AdamW on breast_cancer
    python experiments/run.py -m optimizer=adamw,bgd   # both optimizers over the lr x batch grid

Exit status: 0 when every job finished, 1 when a job failed or diverged, and 2 for bad input,
which prints a one-line error and creates no MLflow run. Ctrl-C and SIGTERM end the running
job's MLflow run KILLED and exit with 128 + the signal number (130 or 143).
"""

import math
import os
import signal
import sys
import warnings
from pathlib import Path

# The script runs by path, so the repository root is put on sys.path to import the experiments
# package (and Hydra's callback named in conf/config.yaml) from any launch directory. Launchers
# that run each job in a new Python process, such as submitit's on SLURM, unpickle references to
# the package there, so those processes get the root through PYTHONPATH.
REPO_ROOT = str(Path(__file__).resolve().parents[1])
sys.path.insert(0, REPO_ROOT)
os.environ["PYTHONPATH"] = os.pathsep.join(
    path for path in (REPO_ROOT, os.environ.get("PYTHONPATH")) if path)

import hydra  # noqa: E402
from hydra.core.hydra_config import HydraConfig  # noqa: E402
from hydra.types import RunMode  # noqa: E402

from experiments.errors import InputError  # noqa: E402
from experiments.job import run_job  # noqa: E402
from experiments.job_signals import install_handlers, received_signal  # noqa: E402
from experiments.schemas import register_configs  # noqa: E402
from experiments.validation import report_and_exit  # noqa: E402

register_configs()
# conf/hydra/launcher/ray.yaml replaces the Ray plugin's config of the same name on purpose, and
# Hydra would warn about that once for every job of a sweep.
warnings.filterwarnings("ignore", message=r"\s*'hydra/launcher/ray' is validated against "
                                          r"ConfigStore schema")


@hydra.main(version_base="1.3", config_path="../conf", config_name="config")
def main(cfg):
    try:
        val_loss = run_job(cfg)
    except InputError as error:
        report_and_exit(error)

    # A multirun's summary comes from experiments.sweep, which counts every job's run.
    if HydraConfig.get().mode == RunMode.RUN:
        # run_job returns infinity only for a run that diverged.
        diverged = int(math.isinf(val_loss))
        print(f"1 job: {1 - diverged} finished, {diverged} failed, {diverged} diverged",
              flush=True)
        if diverged:
            raise SystemExit(1)
    return val_loss


if __name__ == "__main__":
    install_handlers()
    try:
        main()
    except KeyboardInterrupt:
        signum = received_signal() or signal.SIGINT
        print(f"stopped by {signal.Signals(signum).name}; the running job's MLflow run ended "
              f"KILLED", file=sys.stderr)
        sys.exit(128 + signum)
