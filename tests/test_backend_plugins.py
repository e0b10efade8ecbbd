"""A third-party backend, installed outside the package, registers through the ``viubench.backends``
entry point group; built on the API base, it only classifies errors and the base retries."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from plugins import install_plugin

TESTS = Path(__file__).parent

PLUGIN = '''
"""A backend of another package: answers "B" after a connection that breaks on each first attempt."""

from pydantic import BaseModel, ConfigDict

from viubench.backends.api import APIBackend
from viubench.backends.base import ErrorInfo, Response
from viubench.backends.retry import RetryPolicy


class FlakyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    model: str
    answer: str = "B"


class FlakyBackend(APIBackend):
    name = "flaky"
    needs_media = False
    config_class = FlakyConfig

    def __init__(self, config, seed=0):
        self.config = config
        self.tried = {}
        super().__init__(concurrency=4, policy=RetryPolicy(max_attempts=3, base_delay=0.01), seed=seed)

    async def attempt(self, client, prepared, request):
        self.tried[request.sample_id] = self.tried.get(request.sample_id, 0) + 1
        if self.tried[request.sample_id] == 1:
            raise ConnectionError("the line dropped")
        return Response(text=self.config.answer, usage={"attempts": self.tried[request.sample_id]})

    def classify(self, error):
        return ErrorInfo("connection", str(error), retryable=isinstance(error, ConnectionError))

    def describe(self):
        return {"backend": self.name, **self.config.model_dump()}
'''


@pytest.fixture()
def plugin_path(tmp_path: Path) -> Path:
    """A folder with the plugin module and its installed metadata, as pip would leave them."""
    return install_plugin(tmp_path / "site", "flaky_viubench", PLUGIN, "viubench.backends", "flaky = flaky_viubench:FlakyBackend")


def viubench(plugin_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(plugin_path), str(TESTS)])}
    return subprocess.run([sys.executable, "-m", "viubench.cli", *args], capture_output=True, text=True, env=env, timeout=600)


def test_a_plugin_backend_runs_an_eval_and_the_base_retries_for_it(plugin_path: Path, tmp_path: Path) -> None:
    from viubench.task.registry import all_tasks

    data = all_tasks()["videomme"].fixture(tmp_path / "data")
    args = ["eval", "--model", "flaky:any-model", "--tasks", "videomme", "--data", f"videomme={data}", "--out", str(tmp_path / "runs")]
    result = viubench(plugin_path, *args)
    assert result.returncode == 0, result.stderr
    run = next((tmp_path / "runs").iterdir())
    records = [json.loads(line) for line in (run / "samples" / "videomme.jsonl").read_text().splitlines()]
    assert len(records) == 6 and all(r["response"] == "B" and r["usage"] == {"attempts": 2} for r in records)
    assert json.loads((run / "manifest.json").read_text())["model"] == {"backend": "flaky", "model": "any-model", "answer": "B"}
    # the plugin's options are as strict as the built-in backends'
    wrong = viubench(plugin_path, *args[:-2], "--out", str(tmp_path / "other"), "--model-option", "anwser=C")
    assert wrong.returncode == 2 and "flaky backend options" in wrong.stderr and "anwser" in wrong.stderr
    assert len(wrong.stderr.strip().splitlines()) == 1, wrong.stderr


def test_without_the_plugin_the_name_is_unknown(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "viubench.cli", "eval", "--model", "flaky:any-model", "--tasks", "videomme", "--out", str(tmp_path)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "unknown model 'flaky:any-model'" in result.stderr
