"""Wall time of one sweep with the joblib launcher and on a local Ray cluster, side by side.

Both launchers run the same sweep against the same team server (experiments/server.py:
PostgreSQL and `mlflow server` with served artifacts), in alternating rounds, so a change in
machine load hits both alike. Joblib runs from the main environment with n_jobs=2; Ray runs from
.venv-ray against a head with 2 CPUs. Everything lives in a network namespace whose only
interface is loopback, because Ray's daemons listen on every interface, so this needs root.

    python benchmarks/bench_launchers.py                  # the 4-job sweep of the Ray test
    python benchmarks/bench_launchers.py --sweep default  # README's 12-job quick-start sweep
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "tests"))

from local_cluster import (  # noqa: E402
    RAY_PYTHON,
    RayHead,
    TeamServer,
    check_ray_environment,
    loopback_only_network,
)

SWEEPS = {
    # The integration test's sweep: 4 jobs of 3 epochs.
    "small": ["trainer.epochs=3", "optimizer.lr=0.03", "trainer.batch_size=16,64", "seed=0,1"],
    # The README's quick start: 2 optimizers x the config's 3 learning rates x 2 batch sizes,
    # 100 epochs each.
    "default": ["optimizer=adamw,bgd"],
}


def run_sweep(launcher, sweep, tracking_uri, head, folder):
    """Run one sweep in a new folder and return its wall time in seconds."""
    overrides = [f"tracking.uri={tracking_uri}", "hydra.sweep.dir=multirun/bench",
                 *SWEEPS[sweep]]
    env = {key: value for key, value in os.environ.items() if not key.startswith("MLFLOW_")}
    env["MLFLOW_DISABLE_TELEMETRY"] = "true"
    if launcher == "ray":
        python = str(RAY_PYTHON)
        overrides += ["hydra/launcher=ray", f"hydra.launcher.ray.init.address={head.address}"]
        env.update(head.env)
    else:
        python = sys.executable
        overrides += ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"]
    folder.mkdir(parents=True)
    command = [python, str(REPO_ROOT / "experiments" / "run.py"), "-m", *overrides]
    started = time.perf_counter()
    completed = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if completed.returncode != 0:
        raise SystemExit(f"the {launcher} sweep failed with exit status {completed.returncode}:"
                         f"\n{completed.stderr[-3000:]}")
    return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweep", choices=sorted(SWEEPS), default="small")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    check_ray_environment()

    times = {"joblib": [], "ray": []}
    with tempfile.TemporaryDirectory(prefix="bench-launchers-") as scratch, \
            loopback_only_network():
        servers = TeamServer(workers=2)
        try:
            head = RayHead(num_cpus=2)
            try:
                for round_number in range(1, args.rounds + 1):
                    for launcher in ("joblib", "ray"):
                        folder = Path(scratch) / f"{launcher}{round_number}"
                        seconds = run_sweep(launcher, args.sweep, servers.tracking_uri, head,
                                            folder)
                        times[launcher].append(seconds)
                        load = os.getloadavg()[0]
                        print(f"round {round_number} {launcher:6s} {seconds:6.1f} s "
                              f"(load average after: {load:.2f})", flush=True)
            finally:
                head.stop()
        finally:
            servers.stop()

    joblib_median = statistics.median(times["joblib"])
    ray_median = statistics.median(times["ray"])
    print(f"\nsweep {args.sweep!r} ({' '.join(SWEEPS[args.sweep])}), {args.rounds} rounds")
    print(f"{'launcher':10s} {'median':>8s} {'min':>8s} {'max':>8s}")
    for launcher, values in times.items():
        print(f"{launcher:10s} {statistics.median(values):7.1f}s {min(values):7.1f}s "
              f"{max(values):7.1f}s")
    print(f"ray / joblib median wall time: {ray_median / joblib_median:.2f}")


if __name__ == "__main__":
    main()
