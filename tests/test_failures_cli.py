"""Failures through the command line: bad input, a raising job, divergence, signals, secrets.

Each test runs experiments/run.py or reproduce.py on a temporary SQLite store and checks the exit
status, the message and what the MLflow store contains afterwards.
"""

import http.server
import math
import pickle
import signal
import socket
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytest.importorskip("hydra", reason="the harness tests need the [harness] extra")
pytest.importorskip("mlflow", reason="the harness tests need the [harness] extra")

from conftest import HarnessStore  # noqa: E402

SHORT = ("trainer.epochs=2", "trainer.batch_size=64")
FAILING_MODEL = "model._target_=tests.failure_helpers.build_failing_mlp"
BAD_INPUT_CASES = (
    "epochs zero", "epochs negative", "epochs not a number", "batch size zero", "lr negative",
    "lr zero", "lr nan", "lr not a number", "hidden sizes empty", "hidden size zero",
    "unknown key with plus", "unknown optimizer", "schema as optimizer", "unknown model",
    "unknown data set", "unknown activation", "missing path", "missing file", "empty file",
    "ragged rows", "header only", "text feature", "missing values", "missing target",
    "single class", "too few rows", "fractional labels", "garbage pickle", "hostile pickle",
    "tracking uri malformed", "tracking server down",
)


def free_port():
    """Return a port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def write_files(folder):
    """Write one bad data file per case into ``folder`` and return {name: path}."""
    good_rows = "".join(f"{i},{i % 3},{i % 2}\n" for i in range(30))
    texts = {
        "empty.csv": "",
        "ragged.csv": "x,y,label\n1,2,0\n3,4,1,9\n",
        "header.csv": "x,y,label\n",
        "text.csv": "x,y,label\n" + "".join(f"{i},v{i},{i % 2}\n" for i in range(30)),
        "holes.csv": "x,y,label\n" + good_rows + "1,,0\n",
        "one_class.csv": "x,y,label\n" + "".join(f"{i},{i},0\n" for i in range(30)),
        "three.csv": "x,y,label\n1,2,0\n3,4,1\n5,6,0\n",
        "fraction.csv": "x,y,label\n" + "".join(f"{i},{i},{i / 4}\n" for i in range(30)),
        "good.csv": "x,y,label\n" + good_rows,
    }
    paths = {}
    for name, text in texts.items():
        paths[name] = folder / name
        paths[name].write_text(text)
    paths["garbage.pkl"] = folder / "garbage.pkl"
    paths["garbage.pkl"].write_bytes(b"\x80\x04not a pickle")
    paths["hostile.pkl"] = folder / "hostile.pkl"
    paths["hostile.pkl"].write_bytes(pickle.dumps([((0.0, 1.0), Path("x"))]))
    return paths


def bad_input_cases(files):
    """Return {case: (overrides, expected message piece, exit status)} for one bad input each."""
    csv = ("data=csv", "data.target=label")
    uri_port = free_port()
    return {
        "epochs zero": (("trainer.epochs=0",), "trainer.epochs=0 is invalid", 2),
        "epochs negative": (("trainer.epochs=-1",), "trainer.epochs=-1 is invalid", 2),
        "epochs not a number": (("trainer.epochs=ten",), "trainer.epochs", 1),
        "batch size zero": (("trainer.batch_size=0",), "trainer.batch_size=0 is invalid", 2),
        "lr negative": (("optimizer.lr=-1",), "optimizer.lr=-1.0 is invalid", 2),
        "lr zero": (("optimizer.lr=0",), "optimizer.lr=0.0 is invalid", 2),
        "lr nan": (("optimizer.lr=nan",), "optimizer.lr=nan is invalid", 2),
        "lr not a number": (("optimizer.lr=abc",), "optimizer.lr", 1),
        "hidden sizes empty": (("model.hidden_sizes=[]",), "model.hidden_sizes=[] is invalid", 2),
        "hidden size zero": (("model.hidden_sizes=[4,0]",), "invalid sizes [0]", 2),
        "unknown key with plus": (("+trainer.epoch=5",), "unknown config key 'trainer.epoch'", 2),
        "unknown optimizer": (("optimizer=nosuch",), "adam\n\tadamw\n\tbgd\n\tsgd", 1),
        "schema as optimizer": (("optimizer=adamw_schema",), "adam\n\tadamw\n\tbgd\n\tsgd", 1),
        "unknown model": (("model=nosuch",), "mlp\n\trelu_mlp\n\twide_mlp", 1),
        "unknown data set": (("data=nosuch",), "breast_cancer", 1),
        "unknown activation": (("model.activation=softsign",), "softsign", 1),
        "missing path": ((*csv,), "set data.path=FILE", 2),
        "missing file": ((*csv, f"data.path={files['good.csv'].parent / 'none.csv'}"),
                         f"data file '{files['good.csv'].parent / 'none.csv'}' not found; "
                         f"check data.path", 2),
        "empty file": ((*csv, f"data.path={files['empty.csv']}"), "is empty", 2),
        "ragged rows": ((*csv, f"data.path={files['ragged.csv']}"), "as many fields", 2),
        "header only": ((*csv, f"data.path={files['header.csv']}"), "no data rows", 2),
        "text feature": ((*csv, f"data.path={files['text.csv']}"), "['y'] in", 2),
        "missing values": ((*csv, f"data.path={files['holes.csv']}"), "empty cells", 2),
        "missing target": (("data=csv", "data.target=class", f"data.path={files['good.csv']}"),
                           "target column 'class' not found", 2),
        "single class": ((*csv, f"data.path={files['one_class.csv']}"), "single class", 2),
        "too few rows": ((*csv, f"data.path={files['three.csv']}"), "of 3 samples", 2),
        "fractional labels": ((*csv, f"data.path={files['fraction.csv']}"),
                              "fractional labels", 2),
        "garbage pickle": (("data=tutorial_pickle", f"data.path={files['garbage.pkl']}"),
                           "is not a readable pickle", 2),
        "hostile pickle": (("data=tutorial_pickle", f"data.path={files['hostile.pkl']}"),
                           "is not a plain-data pickle", 2),
        "tracking uri malformed": (("tracking.uri=sqlite:/x.db",), "is malformed", 2),
        "tracking server down": ((f"tracking.uri=http://127.0.0.1:{uri_port}",),
                                 "did not respond", 2),
    }


@pytest.fixture(scope="module")
def bad_input_results(tmp_path_factory):
    """Run every bad-input case, two at a time, each in a store of its own."""
    root = tmp_path_factory.mktemp("bad_input")
    cases = bad_input_cases(write_files(root))
    assert sorted(cases) == sorted(BAD_INPUT_CASES)

    def run(name):
        folder = root / name.replace(" ", "_")
        folder.mkdir()
        store = HarnessStore(folder)
        overrides = cases[name][0]
        # A tracking.uri case replaces the store's URI: the later override wins.
        completed = store.train(*SHORT, *overrides, check=False, timeout=120)
        # Looked at now, because reading the store's runs creates the database.
        database_created = (folder / "mlflow.db").exists()
        return name, (store, completed, database_created)

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(pool.map(run, cases))
    return cases, results


@pytest.mark.parametrize("case", BAD_INPUT_CASES)
def test_bad_input_rejected_before_run(bad_input_results, case):
    cases, results = bad_input_results
    _, expected, status = cases[case]
    store, completed, _ = results[case]

    assert completed.returncode == status, completed.stderr[-2000:]
    assert expected in completed.stderr
    assert "Traceback" not in completed.stderr
    if status == 2:
        # Our own checks print exactly one error line.
        errors = [line for line in completed.stderr.splitlines() if line.startswith("error: ")]
        assert len(errors) == 1
        assert expected in errors[0]
    assert "MissingMandatoryValue" not in completed.stderr
    assert store.runs() == []


@pytest.mark.parametrize("case", ["epochs zero", "lr nan", "unknown key with plus",
                                  "missing file", "tracking server down"])
def test_config_errors_leave_no_database(bad_input_results, case):
    _, results = bad_input_results
    store, _, database_created = results[case]
    assert not database_created
    assert not (store.root / "mlruns").exists()


def test_help_lists_only_real_optimizers(fresh_harness_store):
    completed = fresh_harness_store.run("run.py", "--help")
    # The group list reads "optimizer: adam, ..."; the config dump has a bare "optimizer:".
    groups = [line for line in completed.stdout.splitlines() if line.startswith("optimizer: ")]
    assert groups == ["optimizer: adam, adamw, bgd, sgd"]
    assert "_schema" not in completed.stdout


def test_raising_job_ends_failed(fresh_harness_store, tmp_path):
    completed = fresh_harness_store.train(*SHORT, FAILING_MODEL, check=False)
    assert completed.returncode == 1

    runs = fresh_harness_store.runs()
    assert [run.info.status for run in runs] == ["FAILED"]
    tags = runs[0].data.tags
    assert tags["error"] == "RuntimeError: injected failure in forward call 2"
    assert tags["epochs_run"] == "0"

    client = fresh_harness_store.client()
    root = Path(client.download_artifacts(runs[0].info.run_id, "", str(tmp_path)))
    traceback_text = (root / "error" / "traceback.txt").read_text()
    assert "failing_forward" in traceback_text
    assert traceback_text.rstrip().endswith("RuntimeError: injected failure in forward call 2")
    assert (root / "config.yaml").is_file()
    assert "MLflow run" in (root / "logs" / "run.log").read_text()
    assert [m.value for m in client.get_metric_history(runs[0].info.run_id, "batch_loss")]


def run_until_signal(store, signum, *overrides, multirun=False, wait_after_start=2.0):
    """Start a long job, send ``signum`` once its MLflow run has started, return (rc, output)."""
    flags = ("--multirun",) if multirun else ()
    command, env = store.command("run.py", *flags, *store.train_args(*overrides))
    process = subprocess.Popen(command, cwd=store.root, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    output = []
    try:
        for line in process.stdout:
            output.append(line)
            if "experiments.tracking" in line and "MLflow run" in line:
                # Some epochs pass first, so the run has metrics and an epochs_run to keep.
                time.sleep(wait_after_start)
                process.send_signal(signum)
                break
        output.append(process.communicate(timeout=120)[0])
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return process.returncode, "".join(output)


@pytest.mark.parametrize("signum, status", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_ends_run_killed(fresh_harness_store, tmp_path, signum, status):
    returncode, output = run_until_signal(fresh_harness_store, signum, "trainer.epochs=100000",
                                          "trainer.tol=0", "trainer.batch_size=64")
    assert returncode == status, output[-3000:]
    assert f"stopped by {signum.name}" in output
    assert "Traceback" not in output

    runs = fresh_harness_store.runs()
    assert [run.info.status for run in runs] == ["KILLED"]
    tags = runs[0].data.tags
    assert tags["stopped_by"] == signum.name
    assert int(tags["epochs_run"]) >= 1
    assert "epoch_time" in runs[0].data.metrics

    client = fresh_harness_store.client()
    root = Path(client.download_artifacts(runs[0].info.run_id, "", str(tmp_path)))
    assert "epochs: 100000" in (root / "config.yaml").read_text()
    assert "MLflow run" in (root / "logs" / "run.log").read_text()


def test_sigterm_sweep_ends_parent_killed(fresh_harness_store):
    returncode, output = run_until_signal(fresh_harness_store, signal.SIGTERM,
                                          "trainer.epochs=100000", "trainer.tol=0",
                                          "optimizer.lr=0.03", "trainer.batch_size=64",
                                          "seed=0,1", multirun=True, wait_after_start=1.0)
    assert returncode == 143, output[-3000:]
    sweep = fresh_harness_store.sweep()
    assert sweep.parent.info.status == "KILLED"
    assert sweep.parent.data.tags["error"] == "the sweep was stopped by SIGTERM"
    assert [child.info.status for child in sweep.children] == ["KILLED"]
    assert "sweep stopped before its end: 1 jobs: 0 finished, 0 failed, 0 diverged, " \
           "1 stopped" in output


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_diverged_run_ends_failed(fresh_harness_store):
    completed = fresh_harness_store.train(*SHORT, "optimizer=bgd", "optimizer.lr=1e300",
                                          check=False)
    assert completed.returncode == 1
    assert completed.stdout.splitlines()[-1] == "1 job: 0 finished, 1 failed, 1 diverged"

    runs = fresh_harness_store.runs()
    assert [run.info.status for run in runs] == ["FAILED"]
    tags = runs[0].data.tags
    assert tags["diverged"] == "true"
    assert tags["diverged_step"] == "1"
    assert tags["diverged_reason"] == "parameter 0.weight is NaN or infinite"
    assert tags["error"].startswith("DivergedError: parameter 0.weight")

    client = fresh_harness_store.client()
    batch_loss = client.get_metric_history(runs[0].info.run_id, "batch_loss")
    assert [m.step for m in batch_loss] == [1]
    for key, value in runs[0].data.metrics.items():
        assert math.isfinite(value), key
        for metric in client.get_metric_history(runs[0].info.run_id, key):
            assert math.isfinite(metric.value), key


def test_sweep_survives_diverging_lr(fresh_harness_store):
    completed = fresh_harness_store.train(*SHORT, "optimizer=bgd", "optimizer.lr=0.1,1e300",
                                          "seed=0,1", multirun=True, check=False)
    assert completed.returncode == 1
    assert completed.stdout.splitlines()[-1] == \
        "sweep done: 4 jobs: 2 finished, 2 failed, 2 diverged"

    sweep = fresh_harness_store.sweep()
    assert sweep.parent.info.status == "FAILED"
    assert sweep.parent.data.tags["error"].startswith("2 jobs failed, 2 of them diverged")
    by_lr = {}
    for child in sweep.children:
        by_lr.setdefault(child.data.params["optimizer.lr"], []).append(child)
    assert sorted(c.info.status for c in by_lr["0.1"]) == ["FINISHED", "FINISHED"]
    assert sorted(c.info.status for c in by_lr["1e+300"]) == ["FAILED", "FAILED"]
    assert all(c.data.tags["diverged"] == "true" for c in by_lr["1e+300"])

    report = (sweep.sweep_dir / "report" / "report.md").read_text()
    diverged_line = [line for line in report.splitlines() if line.startswith("Diverged")]
    assert len(diverged_line) == 1
    assert "(2)" in diverged_line[0]
    for child in by_lr["1e+300"]:
        assert f"`{child.info.run_name}`" in diverged_line[0]


def test_long_values_and_secrets_safe(fresh_harness_store, tmp_path):
    # 260 feature columns of 30-character names make data.features longer than MLflow's
    # 6000-character param limit.
    names = [f"feature_with_a_long_name_{i:05d}" for i in range(260)]
    rows = "".join(",".join(str((i * j) % 7) for j in range(260)) + f",{i % 2}\n"
                   for i in range(40))
    path = tmp_path / "wide.csv"
    path.write_text(",".join(names) + ",label\n" + rows)

    command, env = fresh_harness_store.command(
        "run.py", *fresh_harness_store.train_args(
            *SHORT, "data=csv", "data.target=label", f"data.path={path}",
            f"data.features=[{','.join(names)}]",
            "data.url=https://reader:hunter2-password@127.0.0.1/wide.csv"))
    env["MYTORCH_TEST_API_TOKEN"] = "hunter2-secret-value"
    completed = subprocess.run(command, cwd=fresh_harness_store.root, env=env,
                               capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-3000:]

    runs = fresh_harness_store.runs()
    assert [run.info.status for run in runs] == ["FINISHED"]
    features = runs[0].data.params["data.features"]
    assert len(features) == 6000
    assert features.endswith("...[truncated]")

    client = fresh_harness_store.client()
    root = Path(client.download_artifacts(runs[0].info.run_id, "", str(tmp_path / "art")))
    texts = [p.read_text(errors="replace") for p in root.rglob("*")
             if p.is_file() and p.suffix in (".yaml", ".log", ".txt")]
    logged = [*runs[0].data.params.values(), *runs[0].data.tags.values(), *texts]
    assert all("hunter2" not in text for text in logged)
    assert runs[0].data.params["data.url"] == "https://reader:[redacted]@127.0.0.1/wide.csv"


def test_reproduce_unknown_run(fresh_harness_store):
    fresh_harness_store.train("trainer.epochs=1", "trainer.batch_size=64")
    completed = fresh_harness_store.run("reproduce.py", "nosuchrun", "--tracking-uri",
                                        fresh_harness_store.uri, check=False)
    assert completed.returncode == 2
    assert completed.stderr.strip() == (f"error: run 'nosuchrun' not found in "
                                        f"{fresh_harness_store.uri}; check the run id "
                                        f"(`mlflow ui` lists them) or pass --tracking-uri")


def test_reproduce_missing_store(fresh_harness_store):
    completed = fresh_harness_store.run("reproduce.py", "abc", check=False)
    assert completed.returncode == 2
    assert "no MLflow database at sqlite:///mlflow.db" in completed.stderr
    assert not (fresh_harness_store.root / "mlflow.db").exists()


def test_swept_bad_value_stops_sweep(fresh_harness_store):
    # The callback cannot check a swept value up front, so its job rejects it before its run.
    completed = fresh_harness_store.train(*SHORT[:1], "optimizer.lr=0.03",
                                          "trainer.batch_size=64,0", multirun=True,
                                          check=False)
    assert completed.returncode == 2
    errors = [line for line in completed.stderr.splitlines() if line.startswith("error: ")]
    assert errors == ["error: trainer.batch_size=0 is invalid: it must be a whole number >= 1, "
                      "for example trainer.batch_size=16"]

    sweep = fresh_harness_store.sweep()
    assert sweep.parent.info.status == "FAILED"
    assert [child.info.status for child in sweep.children] == ["FINISHED"]


def test_sigterm_joblib_sweep_leaves_no_run_running(fresh_harness_store):
    # The signal reaches only the launching process; joblib's workers are shut down with their
    # jobs unfinished, so the parent must end their runs.
    returncode, output = run_until_signal(fresh_harness_store, signal.SIGTERM,
                                          "trainer.epochs=100000", "trainer.tol=0",
                                          "trainer.batch_size=64", "seed=0,1",
                                          "hydra/launcher=joblib", "hydra.launcher.n_jobs=2",
                                          multirun=True, wait_after_start=3.0)
    assert returncode != 0, output[-3000:]
    sweep = fresh_harness_store.sweep()
    assert sweep.parent.info.status == "KILLED"
    statuses = [child.info.status for child in sweep.children]
    assert statuses == ["KILLED", "KILLED"], output[-3000:]
    for child in sweep.children:
        assert child.data.tags["stopped_by"] in ("SIGTERM", "the sweep was stopped by SIGTERM")


def test_bad_data_in_sweep_leaves_no_run(fresh_harness_store):
    data_file = fresh_harness_store.root / "text_feature.csv"
    data_file.write_text("a,b,label\n1,x,0\n2,y,1\n3,z,0\n4,w,1\n")
    completed = fresh_harness_store.train("data=csv", f"data.path={data_file}",
                                          "data.target=label", multirun=True, check=False)
    assert completed.returncode == 2, completed.stdout[-3000:]
    assert "feature columns ['b']" in completed.stdout + completed.stderr
    assert fresh_harness_store.runs() == []


def test_non_mlflow_server_rejected(fresh_harness_store):
    """A web server that is not MLflow's, such as a wrong port, is refused before any run."""
    web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    thread = threading.Thread(target=web.serve_forever, daemon=True)
    thread.start()
    try:
        uri = f"http://127.0.0.1:{web.server_address[1]}"
        completed = fresh_harness_store.train(f"tracking.uri={uri}", *SHORT, check=False)
    finally:
        web.shutdown()
        web.server_close()

    assert completed.returncode == 2
    assert completed.stderr.strip().splitlines() == [
        f"error: the server at tracking.uri='{uri}' returned HTTP 404 for an MLflow API call, "
        f"so it is not an MLflow tracking server; fix the host, port or path of tracking.uri"]
    assert not (fresh_harness_store.root / "mlruns").exists()
