"""Judge protocols by name; a task declares its own with ``TaskConfig.judge``."""

from __future__ import annotations

from viubench.judge.protocol import JudgeProtocol
from viubench.task.spec import TaskConfig


def protocols() -> dict[str, JudgeProtocol]:
    from viubench.judge.vcrbench import VCRBenchJudge

    return {protocol.name: protocol for protocol in (VCRBenchJudge(),)}


def judge_protocol(config: TaskConfig) -> JudgeProtocol | None:
    """The judge protocol ``config`` declares, or None for a task scored by rules alone."""
    return None if config.judge is None else protocols()[config.judge]
