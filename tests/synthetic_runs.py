"""Large runs made quickly for report tests: copies of one real run directory (its manifest, with the
model renamed) whose journal holds N synthetic records written as ``SampleRecord`` lines, scored by the
real ``viubench rescore``. Items reuse the real dataset's questions and frames by subtype, so the report
finds their frames as it finds a real run's."""

from __future__ import annotations

import json
import random
from pathlib import Path

from cli import viubench_cli as cli
from viubench.rundir.record import ErrorRecord, SampleRecord

OUTCOMES = ("correct", "incorrect", "parse failure", "error")


def synthetic_record(template: SampleRecord, number: int, rng: random.Random, skill: float) -> SampleRecord:
    """Item ``number`` of ``template``'s subtype, answered by a model right with probability ``skill``."""
    ident = f"{template.subtask}-{number:05d}"
    target = template.target or "A"
    roll = rng.random()
    outcome = "correct" if roll < skill else "error" if roll > 0.98 else "parse failure" if roll > 0.93 else "incorrect"
    record = SampleRecord(id=ident, subtask=template.subtask, target=target, question=template.question, previews=template.previews, prompt_hash=f"{number:016x}")
    if outcome == "error":
        record.error = ErrorRecord(kind="model", message="the server answered 503 after 3 tries")
        return record
    if outcome == "parse failure":
        record.response, record.parse_failed, record.score = "I cannot tell from these frames, sorry.", True, 0.0
        return record
    answer = target if outcome == "correct" else f"{rng.randint(0, 9)},{rng.randint(0, 9)},{rng.randint(0, 9)}"
    record.response = f"Looking at the frames carefully, the answer is {answer}." if rng.random() < 0.5 else answer
    record.extracted, record.score, record.paper_score = answer, 1.0 if outcome == "correct" else 0.0, 1.0 if outcome == "correct" else 0.0
    return record


def synthetic_runs(real_run: Path, folder: Path, runs: int, samples: int, task: str = "viubench") -> list[Path]:
    """``runs`` copies of ``real_run`` with ``samples`` records each (the same items in every run)."""
    journal = real_run / "samples" / f"{task}.jsonl"
    templates: dict[str, SampleRecord] = {}
    for line in journal.read_text().splitlines():
        record = SampleRecord.model_validate_json(line)
        templates.setdefault(record.subtask, record)
    kinds = list(templates.values())
    out = []
    for index in range(runs):
        run = folder / f"model{index}-run"
        (run / "samples").mkdir(parents=True)
        manifest = json.loads((real_run / "manifest.json").read_text())
        manifest["run_id"], manifest["config"]["model"] = run.name, f"model-{index}-of-a-family-with-a-long-name"
        (run / "manifest.json").write_text(json.dumps(manifest))
        rng = random.Random(index)
        with open(run / "samples" / f"{task}.jsonl", "w", encoding="utf-8") as handle:
            for number in range(samples):
                record = synthetic_record(kinds[number % len(kinds)], number, rng, 0.2 + 0.15 * index)
                handle.write(json.dumps(record.line(), ensure_ascii=False) + "\n")
        result = cli("rescore", str(run))
        assert result.returncode == 0, result.stderr
        out.append(run)
    return out
