"""Per-step training log: one JSON line per optimizer step (``steps.jsonl``) and a console line.

Fields: ``step``, ``reward`` (mean), ``reward_by_task`` (mean per grounding/counting/jigsaw, null
when the step had none), ``reward_std``, ``zero_variance_share`` (prompts whose rollouts all got one
reward: no GRPO signal), ``kl``, ``entropy``, ``response_length`` (mean tokens), ``loss``,
``learning_rate``, ``step_seconds`` and where they went (``seconds``: decode, generate, other
rollout work such as reference log-probabilities and rewards, and the loss forward/backward).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from viubench.rewards import DATA_SOURCES

LOG_FILE = "steps.jsonl"


def _number(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) or math.isinf(value) else round(value, 6)


def step_record(step: int, logs: dict[str, Any], timings: dict[str, float]) -> dict[str, Any]:
    """The log line of ``step`` from TRL's aggregated ``logs`` and the trainer's ``timings``."""
    step_seconds = timings.get("step", 0.0)
    rollout = timings.get("rollout", 0.0)
    decode, generate = timings.get("decode", 0.0), timings.get("generate", 0.0)
    return {
        "step": step,
        "reward": _number(logs.get("reward")),
        "reward_by_task": {task: _number(logs.get(f"rewards/{task}/mean")) for task in DATA_SOURCES},
        "reward_std": _number(logs.get("reward_std")),
        "zero_variance_share": _number(logs.get("frac_reward_zero_std")),
        "kl": _number(logs.get("kl")),
        "entropy": _number(logs.get("entropy")),
        "response_length": _number(logs.get("completions/mean_length")),
        "loss": _number(logs.get("loss")),
        "learning_rate": _number(logs.get("learning_rate")),
        "step_seconds": _number(step_seconds),
        "seconds": {
            "decode": _number(decode),
            "generate": _number(generate),
            "rollout_other": _number(max(0.0, rollout - decode - generate)),
            "loss": _number(max(0.0, step_seconds - rollout)),
        },
    }


def append_record(folder: Path, record: dict[str, Any]) -> None:
    with open(folder / LOG_FILE, "a") as log:
        log.write(json.dumps(record) + "\n")
        log.flush()


def read_log(folder: Path) -> list[dict[str, Any]]:
    path = folder / LOG_FILE
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.is_file() else []


def signal_steps(records: list[dict[str, Any]]) -> int:
    """Steps with a learning signal: some prompt's rollouts got different rewards (GRPO's advantages
    are all zero on a step where every group's rewards are equal)."""
    return sum(1 for record in records if record.get("zero_variance_share") is not None and record["zero_variance_share"] < 1)


def truncate_log(folder: Path, last_step: int) -> None:
    """Keep the lines of steps up to ``last_step`` (a resumed run redoes the later ones)."""
    kept = [record for record in read_log(folder) if record["step"] <= last_step]
    (folder / LOG_FILE).write_text("".join(json.dumps(record) + "\n" for record in kept))


def console_line(record: dict[str, Any], total: int) -> str:
    def show(value: float | None, digits: int = 3) -> str:
        return "-" if value is None else f"{value:.{digits}f}"

    tasks = " ".join(f"{task} {show(value)}" for task, value in record["reward_by_task"].items() if value is not None)
    return (
        f"step {record['step']}/{total}  reward {show(record['reward'])} ({tasks})  std {show(record['reward_std'])}  "
        f"no-signal {show(record['zero_variance_share'], 2)}  kl {show(record['kl'], 4)}  entropy {show(record['entropy'], 2)}  "
        f"len {show(record['response_length'], 1)}  {show(record['step_seconds'], 1)} s"
    )
