"""The experiment harness: Hydra configs in, one tracked MLflow run per training job out.

Modules by concern: ``schemas`` (config dataclasses), ``datasets`` and ``synthetic`` (data sources
and splits), ``models``, ``training`` (the loop), ``metrics``, ``plots``, ``tracking`` (MLflow),
and ``job`` (one job from config to finished run). ``run.py`` and ``reproduce.py`` are the scripts.
"""
