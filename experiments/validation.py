"""Checks of a composed config that run before the MLflow store is touched.

Hydra's schemas (experiments/schemas.py) reject a value of the wrong type and an unknown key set
without ``+``. The checks here cover the rest: keys added with ``+``, values of the right type
that cannot work (``trainer.epochs=0``, ``optimizer.lr=-1``, ``optimizer.lr=nan``), the data file
and the tracking store. Each failure raises ``InputError`` with a one-line message.

``InputCheckCallback`` (named in conf/config.yaml before the tracking callback) runs the checks
before the tracking callback creates the database, and each job runs them again on its own
config before it creates its run (``experiments.job``).
"""

import base64
import http
import http.client
import math
import sys
import urllib.parse
from dataclasses import fields

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, ListConfig, OmegaConf

import mytorch
from experiments.datasets import check_data_config, launch_dir, resolve_path
from experiments.errors import InputError
from experiments.models import ACTIVATIONS
from experiments.pipeline import instantiate_optimizer
from experiments.schemas import (
    OPTIMIZER_SCHEMAS,
    Config,
    DataConfig,
    ModelConfig,
    TrackingConfig,
    TrainerConfig,
)
from experiments.store_safety import redact_uri

# A server that sends no response to GET /health within this time counts as down.
SERVER_TIMEOUT_SECONDS = 3.0
# A server that responded to /health gets this long for an API call. With basic auth, the first
# calls after a start took up to 3.3 s on a loaded 2-core machine.
API_TIMEOUT_SECONDS = 30.0
# Database URIs that MLflow's SQLAlchemy store accepts; the driver checks them on connect.
DATABASE_SCHEMES = ("postgresql", "mysql", "mssql")
GROUP_SCHEMAS = {"data": DataConfig, "model": ModelConfig, "trainer": TrainerConfig,
                 "tracking": TrackingConfig}
# Sweep values written as Hydra's sweep functions rather than a comma-separated list.
SWEEP_FUNCTIONS = ("choice(", "range(", "interval(", "tag(", "glob(")


def schema_keys(schema):
    return [item.name for item in fields(schema)]


def optimizer_schema(optimizer_cfg):
    """Return (name, schema) of the optimizer whose ``_target_`` the config names."""
    target = optimizer_cfg.get("_target_")
    for name, schema in OPTIMIZER_SCHEMAS.items():
        if schema._target_ == target:
            return name, schema
    names = ", ".join(sorted(OPTIMIZER_SCHEMAS))
    raise InputError(f"optimizer._target_={target!r} is not an optimizer of this harness; "
                     f"choose one with optimizer=NAME, one of: {names}")


def check_known_keys(cfg):
    """Raise InputError for a key that no schema declares, such as one added with ``+``."""
    allowed = {"": {*schema_keys(Config), "hydra"}}
    for group, schema in GROUP_SCHEMAS.items():
        allowed[group] = set(schema_keys(schema))
    if isinstance(cfg.get("optimizer"), DictConfig):
        allowed["optimizer"] = set(schema_keys(optimizer_schema(cfg.optimizer)[1]))

    for group, keys in allowed.items():
        node = cfg if group == "" else cfg.get(group)
        if not isinstance(node, DictConfig):
            continue
        for key in node:
            if key not in keys:
                path = f"{group}.{key}" if group else key
                where = f"in {group}" if group else "at the top level"
                raise InputError(f"unknown config key {path!r}; valid keys {where} are "
                                 f"{', '.join(sorted(keys))}. Remove it or fix its spelling")


def check_positive_int(key, value, example):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(f"{key}={value!r} is invalid: it must be a whole number >= 1, "
                         f"for example {key}={example}")


def check_values(cfg, skip=()):
    """Raise InputError for the first value that cannot work; keys under ``skip`` are left out."""

    def wanted(key):
        return not any(key == prefix or key.startswith(prefix + ".") for prefix in skip)

    trainer = cfg.trainer
    if wanted("trainer.epochs"):
        check_positive_int("trainer.epochs", trainer.epochs, 100)
    if wanted("trainer.batch_size"):
        check_positive_int("trainer.batch_size", trainer.batch_size, 16)
    if wanted("trainer.log_every_n_steps"):
        check_positive_int("trainer.log_every_n_steps", trainer.log_every_n_steps, 1)
    if wanted("trainer.tol") and not (math.isfinite(trainer.tol) and trainer.tol >= 0):
        raise InputError(f"trainer.tol={trainer.tol} is invalid: it must be a finite number "
                         f">= 0; set trainer.tol=0 to never stop early")

    if wanted("optimizer"):
        check_optimizer(cfg.optimizer)
    if wanted("model"):
        check_model(cfg.model)
    if wanted("data"):
        check_data(cfg.data)
    if wanted("tracking.uri"):
        check_tracking_uri(cfg.tracking.uri)


def check_optimizer(optimizer_cfg):
    optimizer_schema(optimizer_cfg)
    lr = optimizer_cfg.lr
    if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
        raise InputError(f"optimizer.lr={lr} is invalid: the learning rate must be a finite "
                         f"number > 0, for example optimizer.lr=0.03")

    # The optimizer's constructor checks its other hyperparameters (betas, eps, momentum, ...);
    # building it on a throwaway parameter runs those checks before any run exists.
    try:
        instantiate_optimizer(optimizer_cfg, [mytorch.zeros(1, requires_grad=True)])
    except (ValueError, TypeError) as error:
        raise InputError(f"optimizer {optimizer_cfg.name!r} rejected its config: {error}; "
                         f"fix the optimizer.* value it names") from error


def check_model(model_cfg):
    sizes = model_cfg.hidden_sizes
    if not isinstance(sizes, ListConfig | list | tuple) or len(sizes) == 0:
        raise InputError(f"model.hidden_sizes={sizes} is invalid: give at least one hidden "
                         f"layer size, for example model.hidden_sizes=[5,3]")
    bad = [size for size in sizes
           if isinstance(size, bool) or not isinstance(size, int) or size < 1]
    if bad:
        raise InputError(f"model.hidden_sizes={list(sizes)} has invalid sizes {bad}: each "
                         f"hidden layer needs a whole number >= 1 of units")
    activation = getattr(model_cfg.activation, "value", model_cfg.activation)
    if activation not in ACTIVATIONS:
        raise InputError(f"model.activation={activation!r} is unknown; use one of "
                         f"{', '.join(sorted(ACTIVATIONS))}")


def check_data(data_cfg):
    """Check the data settings and that a data file exists; the file is read later, once."""
    for key in ("val_size", "test_size"):
        size = data_cfg[key]
        if not (math.isfinite(size) and 0 < size < 1):
            raise InputError(f"data.{key}={size} is invalid: it must lie strictly between 0 "
                             f"and 1, for example data.{key}=0.2")
    if data_cfg.val_size + data_cfg.test_size >= 1:
        raise InputError(f"data.val_size + data.test_size = "
                         f"{data_cfg.val_size + data_cfg.test_size} leaves no training data; "
                         f"make their sum less than 1")
    check_data_config(data_cfg)
    if data_cfg.path is not None:
        resolve_path(data_cfg.path)


def check_tracking_uri(uri):
    """Raise InputError unless ``uri`` is a usable MLflow store, waiting at most a few seconds."""
    shown = redact_uri(uri)
    try:
        parts = urllib.parse.urlsplit(uri)
        port = parts.port
    except ValueError as error:
        raise InputError(f"tracking.uri={shown!r} is malformed ({error}); use "
                         f"sqlite:///mlflow.db or http://HOST:PORT") from error

    scheme = parts.scheme.split("+")[0]
    if scheme == "sqlite":
        check_sqlite_uri(uri, shown)
    elif scheme in ("http", "https"):
        if not parts.hostname:
            raise InputError(f"tracking.uri={shown!r} names no host; use http://HOST:PORT")
        check_server_answers(parts, port, shown)
    elif scheme not in DATABASE_SCHEMES:
        raise InputError(f"tracking.uri={shown!r} is not a tracking URI this harness supports; "
                         f"use sqlite:///PATH.db for a local store or http://HOST:PORT for an "
                         f"MLflow server")


def check_sqlite_uri(uri, shown):
    prefix = "sqlite:///"
    if not uri.startswith(prefix) or uri == prefix:
        raise InputError(f"tracking.uri={shown!r} is malformed; a SQLite store is written "
                         f"sqlite:///relative/path.db or sqlite:////absolute/path.db")
    folder = (launch_dir() / uri[len(prefix):]).parent
    if not folder.is_dir():
        raise InputError(f"tracking.uri={shown!r} puts the database in {folder}, which does "
                         f"not exist; create that folder or change tracking.uri")


def check_server_answers(parts, port, shown):
    """Check that the server responds, speaks MLflow's REST API and accepts this user.

    GET /health finds a server that is down quickly. A server started with MLflow's basic-auth
    app responds to /health without a login, so an API call follows. It carries the credentials
    that MLflow's client sends: MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD, or
    ~/.mlflow/credentials.
    """
    base = parts.path.rstrip("/")
    try:
        http_get(parts, port, base + "/health", {}, SERVER_TIMEOUT_SECONDS)
    except (OSError, http.client.HTTPException) as error:
        raise InputError(f"the MLflow server at tracking.uri={shown!r} did not respond within "
                         f"{SERVER_TIMEOUT_SECONDS:g} s ({error}); start it or fix "
                         f"tracking.uri") from error

    headers = credential_headers()
    try:
        status = http_get(parts, port, base + "/api/2.0/mlflow/experiments/search?max_results=1",
                          headers, API_TIMEOUT_SECONDS)
    except (OSError, http.client.HTTPException) as error:
        raise InputError(f"the server at tracking.uri={shown!r} responded to /health but timed "
                         f"out on an MLflow API call after {API_TIMEOUT_SECONDS:g} s ({error}); "
                         f"check its log, or fix tracking.uri") from error
    if status == http.HTTPStatus.UNAUTHORIZED and not headers:
        raise InputError(f"the MLflow server at tracking.uri={shown!r} requires a login (HTTP "
                         f"401); set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD to an "
                         f"account of that server")
    if status == http.HTTPStatus.UNAUTHORIZED:
        raise InputError(f"the MLflow server at tracking.uri={shown!r} rejected the credentials "
                         f"(HTTP 401); set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD "
                         f"to an account of that server")
    if not 200 <= status < 300:
        raise InputError(f"the server at tracking.uri={shown!r} returned HTTP {status} for an "
                         f"MLflow API call, so it is not an MLflow tracking server; fix the "
                         f"host, port or path of tracking.uri")


def http_get(parts, port, path, headers, timeout):
    """Send GET ``path`` to the server of ``parts`` and return the response status."""
    connection_type = (http.client.HTTPSConnection if parts.scheme == "https"
                       else http.client.HTTPConnection)
    connection = connection_type(parts.hostname, port, timeout=timeout)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def credential_headers():
    """Return the basic-auth header that MLflow's client would send, or no header."""
    from mlflow.utils.credentials import read_mlflow_creds

    credentials = read_mlflow_creds()
    if not (credentials.username and credentials.password):
        return {}
    token = base64.b64encode(f"{credentials.username}:{credentials.password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def check_config(cfg, skip=()):
    """Run every check on a composed config, leaving out the keys under ``skip``."""
    check_known_keys(cfg)
    check_values(cfg, skip)


def swept_keys(config):
    """Return the config keys that a multirun sweeps, from its command line and sweeper params."""
    keys = set()
    for override in config.hydra.overrides.task:
        key, _, value = override.partition("=")
        key = key.lstrip("+~")
        if "," in value or value.startswith(SWEEP_FUNCTIONS):
            keys.add(key)
    params = OmegaConf.select(config, "hydra.sweeper.params", default=None)
    if params:
        keys.update(str(key) for key in params)
    return keys


def report_and_exit(error):
    """Print an InputError as one line on stderr, with no traceback, and exit with status 2."""
    print(f"error: {error}", file=sys.stderr, flush=True)
    raise SystemExit(2) from None


class InputCheckCallback(Callback):
    """Check the config before the tracking callback creates the MLflow database.

    A multirun checks every key that its jobs share here. The swept keys differ per job, so each
    job checks them itself before it creates its run.
    """

    def on_run_start(self, config, **kwargs):
        try:
            check_config(config)
        except InputError as error:
            report_and_exit(error)

    def on_multirun_start(self, config, **kwargs):
        try:
            check_config(config, skip=swept_keys(config))
        except InputError as error:
            report_and_exit(error)
