"""Dataclass schemas for the configs under conf/, registered in Hydra's ConfigStore.

Hydra merges every yaml file into its schema when it composes the config, so a value of the wrong
type (``optimizer.lr=abc``) or a key the schema lacks (``trainer.epoch=5``) fails with Hydra's error
naming the key, before any job starts.
"""

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, OmegaConf

REPO_ROOT = Path(__file__).resolve().parents[1]


class Activation(Enum):
    tanh = "tanh"
    relu = "relu"
    sigmoid = "sigmoid"


@dataclass
class DataConfig:
    name: str = MISSING
    # One of the sources that experiments.datasets.load_arrays reads.
    source: str = MISSING
    # File sources only. A relative path is looked up in the launch directory first, then in the
    # repository, so the shipped files are found from any launch directory.
    path: str | None = None
    target: str | None = None
    features: list[str] | None = None
    # Where the data came from, recorded with the data set in MLflow.
    url: str | None = None
    val_size: float = 0.2
    test_size: float = 0.2


@dataclass
class ModelConfig:
    _target_: str = "experiments.models.build_mlp"
    # in_features and out_features come from the data at run time.
    _partial_: bool = True
    name: str = MISSING
    hidden_sizes: list[int] = field(default_factory=lambda: [5, 3])
    activation: Activation = Activation.tanh


@dataclass
class OptimizerConfig:
    _target_: str = MISSING
    # The parameters are bound at run time: instantiate(cfg)(model.parameters()).
    _partial_: bool = True
    name: str = MISSING
    lr: float = MISSING


@dataclass
class MiniBGDConfig(OptimizerConfig):
    _target_: str = "mytorch.optim.MiniBGD"
    name: str = "bgd"


@dataclass
class SGDConfig(OptimizerConfig):
    _target_: str = "mytorch.optim.SGD"
    name: str = "sgd"
    momentum: float = 0.0
    dampening: float = 0.0
    weight_decay: float = 0.0
    nesterov: bool = False


@dataclass
class AdamConfig(OptimizerConfig):
    _target_: str = "mytorch.optim.Adam"
    name: str = "adam"
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    weight_decay: float = 0.0
    amsgrad: bool = False


@dataclass
class AdamWConfig(AdamConfig):
    _target_: str = "mytorch.optim.AdamW"
    name: str = "adamw"
    weight_decay: float = 0.01


@dataclass
class TrainerConfig:
    epochs: int = 100
    batch_size: int = 16
    shuffle: bool = True
    # Training stops early once the mean training loss of an epoch changes by less than tol.
    tol: float = 1e-6
    # Record the loss of every n-th update. Epoch metrics are recorded after every epoch.
    log_every_n_steps: int = 1


@dataclass
class TrackingConfig:
    uri: str = "sqlite:///mlflow.db"
    experiment: str = "mytorch"
    run_name: str | None = None


@dataclass
class Config:
    data: DataConfig = MISSING
    model: ModelConfig = MISSING
    # Each optimizer has its own schema, which its yaml file names in its defaults list as
    # /schema/optimizer/<name>@_here_.
    optimizer: Any = MISSING
    trainer: TrainerConfig = MISSING
    tracking: TrackingConfig = MISSING
    seed: int = 0


# Stored in the group schema/optimizer, not in optimizer, so that the schemas are not listed
# among the optimizer choices (optimizer=adamw) in --help or in Hydra's errors.
OPTIMIZER_SCHEMAS = {
    "bgd": MiniBGDConfig,
    "sgd": SGDConfig,
    "adam": AdamConfig,
    "adamw": AdamWConfig,
}


def register_configs():
    """Store the schemas in Hydra's ConfigStore under the names the yaml defaults lists use.

    Also register ``${repo_root:}``, the repository's absolute path, with which the Ray launcher
    config ships the code to the cluster from wherever the sweep is launched.
    """
    OmegaConf.register_new_resolver("repo_root", lambda: str(REPO_ROOT), replace=True)
    store = ConfigStore.instance()
    store.store(name="config_schema", node=Config)
    for name, schema in OPTIMIZER_SCHEMAS.items():
        store.store(group="schema/optimizer", name=name, node=schema)
