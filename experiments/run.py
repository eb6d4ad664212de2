"""Train the numpy MLP on one configuration, or on a sweep of them with -m, tracked in MLflow.

    python experiments/run.py                          # AdamW on breast_cancer
    python experiments/run.py -m optimizer=adamw,bgd   # both optimizers over the lr x batch grid
"""

import sys
from pathlib import Path

# The script runs by path, so the repository root is put on sys.path to import the experiments
# package (and Hydra's callback named in conf/config.yaml) from any launch directory.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import hydra  # noqa: E402

from experiments.job import run_job  # noqa: E402
from experiments.schemas import register_configs  # noqa: E402

register_configs()


@hydra.main(version_base="1.3", config_path="../conf", config_name="config")
def main(cfg):
    return run_job(cfg)


if __name__ == "__main__":
    main()
