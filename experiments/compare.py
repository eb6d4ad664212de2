"""Rebuild the comparison report of a past sweep, or of any runs an MLflow search selects.

    python experiments/compare.py                          # the latest sweep in experiment mytorch
    python experiments/compare.py --sweep multirun/2026-12-04/20-41-00
    python experiments/compare.py --sweep PARENT_RUN_ID --output report_dir
    python experiments/compare.py --filter "params.optimizer.name = 'adamw' and params.seed = '0'"

It reads the runs from the tracking store, writes the same files that a sweep's parent run gets
(summary.csv, settings.csv, report.md and the figures) into ``--output``, and prints the summary
table. Nothing is trained and nothing is written to the store.
"""

import argparse
import logging
import re
import sys
from pathlib import Path

# The script runs by path, so the repository root is put on sys.path to import experiments.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from experiments.sweep_report import (  # noqa: E402
    PARENT_TAG,
    build_report,
    format_summary,
    search_runs_frame,
)
from experiments.tracking import TimedClient  # noqa: E402

log = logging.getLogger("compare")

RUN_ID_PATTERN = re.compile(r"[0-9a-f]{32}")


def quote(value):
    """Quote ``value`` as a string literal of MLflow's search syntax."""
    return "'" + value.replace("'", "\\'") + "'"


def find_parent(client, experiment_id, sweep):
    """Return the parent run that ``sweep`` names: a parent run id or a sweep folder.

    A folder can hold several sweeps when ``hydra.sweep.dir`` is fixed; the latest one is taken.
    Return None for a folder whose sweep has no parent run (sweeps logged before parent runs).
    """
    if RUN_ID_PATTERN.fullmatch(sweep):
        run = client.get_run(sweep)
        if run.data.tags.get(PARENT_TAG) != "true":
            raise SystemExit(f"run {sweep} is not a sweep's parent run (it lacks the tag "
                             f"{PARENT_TAG}=true); pass its sweep folder or use --filter")
        return run
    folder = str(Path(sweep).resolve())
    parents = client.search_runs([experiment_id],
                                 filter_string=f"tags.{PARENT_TAG} = 'true' and "
                                               f"tags.sweep = {quote(folder)}",
                                 order_by=["attributes.start_time DESC"])
    if len(parents) > 1:
        log.warning("%d sweeps ran in %s; comparing the latest, parent run %s", len(parents),
                    folder, parents[0].info.run_id)
    return parents[0] if parents else None


def latest_parent(client, experiment_id):
    parents = client.search_runs([experiment_id], filter_string=f"tags.{PARENT_TAG} = 'true'",
                                 order_by=["attributes.start_time DESC"], max_results=1)
    return parents[0] if parents else None


def select_runs(client, experiment_id, sweep, extra_filter):
    """Return (search filter, report title) for the runs the command line selects."""
    clauses = []
    if sweep is None and not extra_filter:
        parent = latest_parent(client, experiment_id)
        if parent is None:
            raise SystemExit("no sweep with a parent run found in this experiment; "
                             "pass --sweep FOLDER or --filter")
        sweep = parent.info.run_id
    if sweep is not None:
        parent = find_parent(client, experiment_id, sweep)
        if parent is not None:
            clauses.append(f"tags.mlflow.parentRunId = {quote(parent.info.run_id)}")
            title = f"Sweep {parent.info.run_name}"
        else:
            clauses.append(f"tags.sweep = {quote(str(Path(sweep).resolve()))}")
            title = f"Sweep {sweep}"
    if extra_filter:
        clauses.append(extra_filter)
        title = f"Runs matching {extra_filter}" if sweep is None else f"{title}, {extra_filter}"
    return " and ".join(clauses), title


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tracking-uri", default="sqlite:///mlflow.db",
                        help="MLflow tracking store (default: sqlite:///mlflow.db, the "
                             "harness's store in the current directory)")
    parser.add_argument("--experiment", default="mytorch",
                        help="MLflow experiment name (default: mytorch)")
    parser.add_argument("--sweep",
                        help="a sweep folder (multirun/<date>/<time>, relative to the current "
                             "directory or absolute) or its parent run id; without --sweep and "
                             "--filter, the latest sweep")
    parser.add_argument("--filter", default="",
                        help="MLflow search filter, e.g. \"params.optimizer.name = 'adamw'\"; "
                             "combined with --sweep by 'and'")
    parser.add_argument("--output", default="comparison",
                        help="folder for the report files (default: ./comparison)")
    return parser.parse_args(argv)


def main(argv=None):
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = parse_args(argv)
    client = TimedClient(args.tracking_uri)
    experiment = client.get_experiment_by_name(args.experiment)
    if experiment is None:
        raise SystemExit(f"experiment {args.experiment!r} not found in {args.tracking_uri}; "
                         f"check --experiment and --tracking-uri")

    filter_string, title = select_runs(client, experiment.experiment_id, args.sweep, args.filter)
    frame = search_runs_frame(client, [experiment.experiment_id], filter_string)
    if frame.empty:
        raise SystemExit(f"no runs match {filter_string!r} in experiment {args.experiment!r}")
    report = build_report(client, frame, args.output, title)

    print(f"{title}: {len(report.summary)} runs, lowest final validation loss first")
    print(format_summary(report.summary))
    print()
    print((Path(args.output) / "report.md").read_text())
    print(f"report written to {Path(args.output).resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
