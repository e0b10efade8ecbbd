"""The judge phase of a run: after the model has answered every sample, each task with judged metrics
asks the judge what its protocol needs, in rounds (a call may depend on an earlier verdict), through
the same backends and retry policy as the model. Every attempt is journaled when the judge answers
(``viubench.judge.journal``): a killed run, run again, never asks a settled call twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from viubench.backends.base import Backend, GenerationConfig, Request
from viubench.backends.registry import resolve_model
from viubench.judge.config import JudgeConfig
from viubench.console import ProgressHook, console
from viubench.judge.journal import MAX_ATTEMPTS, UNPARSABLE, JudgeJournal, journal_path
from viubench.errors import one_line, redact, secret_values
from viubench.judge.protocol import REMINDER, JudgeCall, JudgeParseError, JudgeProtocol, bounded
from viubench.judge.verdicts import judgeable, settled_verdicts
from viubench.rundir.identity import model_fingerprint
from viubench.rundir.record import SampleRecord
from viubench.task.sample import AnswerFormat, Message, Part



def judge_key(judge: JudgeConfig) -> str:
    """The judge's identity in the judge journal (a local model by content, an API model by name and endpoint)."""
    return model_fingerprint(judge.model, judge.backend, judge.model_options, None)


@dataclass
class Pending:
    ident: str
    call: JudgeCall
    digest: str
    attempt: int  # 1-based, counting attempts journaled before


@dataclass
class JudgeStats:
    asked: int = 0  # judge requests sent now
    settled: int = 0  # calls settled earlier (journaled), not asked again
    errors: list[str] = field(default_factory=list)  # one line per call left without a verdict


def judge_run(run_dir: Path, tasks: list[Any], judge: JudgeConfig, progress: ProgressHook | None = None) -> dict[str, Any]:
    """Judge every task of ``tasks`` that declares a judge protocol; what the manifest records of it."""
    judged = [(task, task.judge) for task in tasks if task.judge is not None]  # the protocol each task declares
    summary: dict[str, Any] = {"model": judge.model, "key": judge_key(judge), "tasks": {}}
    if not judged:
        console.print(f"--judge {judge.model}: no task of this run has judged metrics; nothing to judge", markup=False)
        return summary
    key_env = judge.model_options.get("api_key_env")
    secrets = secret_values([str(key_env)] if key_env else [])  # the one redaction path: viubench.errors.redact
    backend = resolve_model(judge.model, 0, judge.backend, judge.model_options)
    try:
        for task, protocol in judged:
            stats = judge_task(run_dir, task.name, protocol, backend, summary["key"], progress, secrets)
            summary["tasks"][task.name] = {"protocol": protocol.version, "asked": stats.asked, "settled_before": stats.settled, "unsettled": len(stats.errors)}
            for line in stats.errors[:5]:
                console.print(f"judge: {task.name}: {line}", markup=False)
            if len(stats.errors) > 5:
                console.print(f"judge: {task.name}: {len(stats.errors) - 5} more calls without a verdict ({journal_path(run_dir, task.name)})", markup=False)
    finally:
        backend.close()
    return summary


def judge_task(run_dir: Path, task: str, protocol: JudgeProtocol, backend: Backend, key: str, progress: ProgressHook | None = None,
               secrets: list[str] | None = None) -> JudgeStats:
    secrets = secret_values() if secrets is None else secrets
    records = judgeable(run_dir, task)
    journal = JudgeJournal.open(run_dir, task, key, protocol.version, repair=True)
    stats = JudgeStats(settled=sum(1 for state in journal.states.values() if state.done and state.error is None))
    blocked: set[str] = set()  # samples with a call that cannot settle in this run
    try:
        while True:
            pending = _next_calls(records, protocol, journal, blocked)
            if progress:  # samples with nothing left to ask
                progress(f"{task} (judge)", len(records) - len({item.ident for item in pending}), len(records), len(stats.errors))
            if not pending:
                break
            _ask(pending, protocol, backend, journal, blocked, stats, secrets)
    finally:
        journal.close()
    return stats


def _next_calls(records: dict[str, SampleRecord], protocol: JudgeProtocol, journal: JudgeJournal, blocked: set[str]) -> list[Pending]:
    pending = []
    for ident, record in records.items():
        if ident in blocked:
            continue
        settled = settled_verdicts(ident, record, protocol, journal)
        if settled.failed:
            blocked.add(ident)
        for call, digest in settled.open_calls:
            pending.append(Pending(ident, call, digest, journal.state(ident, call.name, digest).unparsable + 1))
    return pending


def _request(item: Pending) -> Request:
    prompt = item.call.prompt + (REMINDER if item.attempt > 1 else "")
    return Request(
        sample_id=f"{item.ident}:{item.call.name}",
        messages=[Message(role="user", content=[Part(type="text", text=prompt)])],
        videos=[],
        generation=GenerationConfig(max_new_tokens=item.call.max_new_tokens, temperature=0.0, seed=item.attempt - 1),
        answer_format=AnswerFormat(kind="text"),
    )


def _ask(pending: list[Pending], protocol: JudgeProtocol, backend: Backend, journal: JudgeJournal, blocked: set[str], stats: JudgeStats, secrets: list[str]) -> None:
    """One attempt of every pending call, each journaled (secrets redacted, cut to the call's token
    budget) as soon as the judge answers."""
    requests = [_request(item) for item in pending]
    answered: set[int] = set()
    for position, response in backend.generate_each(requests):
        answered.add(position)
        item = pending[position]
        stats.asked += 1
        raw = None if response.text is None else redact(bounded(response.text, item.call.max_new_tokens), secrets)  # kept only as long as asked for
        line: dict[str, Any] = {"id": item.ident, "call": item.call.name, "prompt_hash": item.digest, "attempt": item.attempt, "raw": raw, "verdict": None, "error": None}
        if response.usage:
            line["usage"] = dict(response.usage)  # what the judge's provider metered: the run's judge cost
        if response.error is not None:
            message = redact(response.error.message, secrets)
            line["error"] = {"kind": response.error.kind, "message": message}
            blocked.add(item.ident)  # the backend retried by its policy already: left for the next run
            stats.errors.append(f"sample {item.ident}, {item.call.name}: judge {response.error.kind} error ({one_line(message, 200)}); run again to retry")
        else:
            try:
                line["verdict"] = protocol.parse(item.call, raw or "")
            except JudgeParseError as error:
                line["error"] = {"kind": UNPARSABLE, "message": str(error)}
                if item.attempt >= MAX_ATTEMPTS:
                    blocked.add(item.ident)
                    stats.errors.append(f"sample {item.ident}, {item.call.name}: judge output unparsable {MAX_ATTEMPTS} times ({error}); recorded as a judge error")
        journal.append(line)
    if len(answered) != len(requests):
        raise RuntimeError(f"judge backend {backend.name} answered {len(answered)} of {len(requests)} requests")
