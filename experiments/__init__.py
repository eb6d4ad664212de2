"""The experiment harness: Hydra configs in, one tracked MLflow run per training job out.

Modules by concern: ``schemas`` (config dataclasses), ``datasets`` and ``synthetic`` (data sources
and splits), ``models``, ``training`` (the loop), ``metrics``, ``plots``, ``tracking`` (MLflow),
and ``job`` (one job from config to finished run). A multirun's parent run and its comparison
live in ``sweep`` (the Hydra callback), ``sweep_report`` (tables) and ``sweep_plots`` (figures).
``run.py``, ``reproduce.py`` and ``compare.py`` are the scripts.
"""
