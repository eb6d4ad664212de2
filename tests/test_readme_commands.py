"""The README's commands are the ones CI and the harness really run."""

import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
README = (REPO_ROOT / "README.md").read_text()


def _shell_commands():
    blocks = re.findall(r"```bash\n(.*?)```", README, flags=re.DOTALL)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_ci_runs_readme_test_command():
    test_commands = [c for c in _shell_commands() if c.endswith("&& pytest")]
    assert len(test_commands) == 1, test_commands
    ci_lines = [line.strip() for line in (REPO_ROOT / ".ci" / "run").read_text().splitlines()]
    assert test_commands[0] in ci_lines


def test_readme_sweep_command_names_existing_configs():
    sweep = [c for c in _shell_commands() if "pip install" in c and "experiments/run.py -m" in c]
    assert len(sweep) == 1, sweep
    choices = re.search(r"optimizer=([\w,]+)", sweep[0]).group(1).split(",")
    assert choices == ["adamw", "bgd"]
    for choice in choices:
        assert (REPO_ROOT / "conf" / "optimizer" / f"{choice}.yaml").is_file()
