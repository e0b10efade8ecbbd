"""Third-party tasks arrive through the ``viubench.tasks`` entry point; VideoSpec overrides are recorded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from plugins import install_plugin

from viubench.runner.config import RunConfig, effective_spec
from viubench.runner.engine import run_eval
from viubench.task.registry import all_tasks

PLUGIN = '''
from viubench.task.registry import Task
from viubench.builtin_tasks.videomme import CONFIG, load
from viubench.builtin_tasks._fixtures import writer

TASKS = [Task(CONFIG.model_copy(update={"name": "my-videoqa"}), load, writer("videomme"))]
'''


def test_an_installed_package_adds_a_task_through_the_entry_point(tmp_path: Path) -> None:
    site = install_plugin(tmp_path / "site", "my_plugin", PLUGIN, "viubench.tasks", "my-videoqa = my_plugin:TASKS")
    env = {**os.environ, "PYTHONPATH": str(site)}
    listed = subprocess.run([sys.executable, "-m", "viubench.cli", "list", "tasks"], capture_output=True, text=True, env=env, timeout=120)
    assert listed.returncode == 0, listed.stderr
    assert "my-videoqa" in listed.stdout and "videomme" in listed.stdout
    assert "my-videoqa" not in subprocess.run([sys.executable, "-m", "viubench.cli", "list", "tasks"], capture_output=True, text=True, timeout=120).stdout


def test_frames_override_is_recorded_and_stored_frames_stay_exact(tmp_path: Path) -> None:
    task = all_tasks()["videomme"]
    data = task.fixture(tmp_path / "data")
    config = RunConfig(model="random", tasks=["videomme"], frames=32, data={"videomme": str(data)}, out=str(tmp_path / "runs"))
    outcome = run_eval(config)
    manifest = json.loads((outcome.run_dir / "manifest.json").read_text())
    assert manifest["tasks"]["videomme"]["video"]["max_frames"] == 32
    assert manifest["config"]["frames"] == 32 and manifest["status"] == "finished"
    assert effective_spec(all_tasks()["viubench"], 32).max_frames == 48  # VIUBench items keep their 48 frames
