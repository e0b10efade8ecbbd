"""The contract every registered task must pass, on the fixture it writes in its published schema:
it loads, builds prompts with its videos, decodes them by its VideoSpec, the true answer scores 1 and
a wrong one 0, and a run round-trips through the journal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from viubench.runner.config import RunConfig, effective_spec
from viubench.runner.prefetch import decode_sample
from viubench.runner.engine import run_eval
from viubench.video.decoded import DecodedVideo
from viubench.task.kinds import score_response
from viubench.task.registry import TaskContext, all_tasks
from viubench.task.sample import AnswerFormat, Sample

TASKS = sorted(all_tasks())


def wrong_answer(fmt: AnswerFormat, target: str) -> str:
    """A well-formed answer that must score 0."""
    if fmt.kind == "choice":
        return next(letter for letter in (fmt.letters or "ABCD") if letter != target)
    if fmt.kind == "interval":
        end = max(float(window.split("-")[1]) for window in target.split(";"))  # every window of a multi-window target
        return f"{end + 100:.1f}-{end + 200:.1f}"
    if fmt.kind == "counts":
        return ",".join(str(int(x) + 1) for x in target.split(","))
    return target[::-1] if target[::-1] != target else target[1:] + target[0]


@pytest.mark.parametrize("name", TASKS)
def test_task_contract(name: str, tmp_path: Path) -> None:
    task = all_tasks()[name]
    assert task.fixture is not None, f"task {name} has no fixture writer"
    data = task.fixture(tmp_path / "data")
    spec = effective_spec(task, None)
    samples = list(task.load(TaskContext(data_dir=data, video=spec, limit=None, seed=0)))
    assert samples, "the fixture yields no samples"
    assert all(isinstance(s, Sample) for s in samples)
    assert len({s.id for s in samples}) == len(samples), "sample ids must be unique"
    for sample in samples[:6]:
        assert sample.task == name and sample.subtask
        videos = sample.videos()
        assert videos, "every sample shows at least one video"
        text = "".join(p.text or "" for m in sample.messages for p in m.content if p.type == "text")
        assert "<video>" not in text  # placeholders were replaced by video parts
        decoded = decode_sample(sample, spec)
        assert isinstance(decoded, list) and len(decoded) == len(videos), decoded
        for video in decoded:
            assert isinstance(video, DecodedVideo)
            assert 1 <= len(video.frames) <= spec.max_frames and len(video.timestamps) == len(video.frames)
            assert video.frames.shape[1] * video.frames.shape[2] <= spec.max_pixels
            assert video.timestamps == sorted(video.timestamps)
        right = score_response(sample, sample.target)
        assert right.score == pytest.approx(1.0) and not right.parse_failed
        assert score_response(sample, wrong_answer(sample.answer_format, sample.target)).score == 0.0
        garbage = score_response(sample, "I cannot tell.")
        assert garbage.score == 0.0 and garbage.parse_failed


@pytest.mark.parametrize("name", TASKS)
def test_task_round_trips_through_a_run(name: str, tmp_path: Path) -> None:
    task = all_tasks()[name]
    data = task.fixture(tmp_path / "data")
    samples = list(task.load(TaskContext(data_dir=data, video=effective_spec(task, None), limit=None, seed=0)))
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({s.id: s.target for s in samples}))
    config = RunConfig(model=f"scripted:{answers}", tasks=[name], data={name: str(data)}, out=str(tmp_path / "runs"), media_workers=1)
    outcome = run_eval(config)
    assert outcome.status == "finished" and outcome.errors == 0
    journal = [json.loads(line) for line in (outcome.run_dir / "samples" / f"{name}.jsonl").read_text().splitlines()]
    assert sorted(r["id"] for r in journal) == sorted(s.id for s in samples)
    assert all(r["score"] == pytest.approx(1.0) for r in journal)
    result = outcome.results[name]
    if task.config.judge is not None:  # judged without a judge: no score, never a silent number; the rule-scored one is 100
        assert result["overall"]["score"] is None and result["overall"]["judge"] is None
        assert result["aggregates"]["rule_scored"]["score"] == pytest.approx(100.0)
    else:
        assert result["overall"]["score"] == pytest.approx(100.0)


@pytest.mark.parametrize("name", TASKS)
def test_task_facts_name_what_the_task_declares(name: str) -> None:
    """A task's column labels and published per-subtask figures name subtasks it declares, its published
    figures name each model once per frame budget, and a judged task carries the protocol its config names."""
    task = all_tasks()[name]
    declared = set(task.config.subtasks)
    if task.presentation is not None:
        assert set(task.presentation.columns) <= declared, f"{name}: labels for undeclared subtasks"
    if task.paper is not None:
        models = [(figure.model, figure.frames) for figure in task.paper.figures]
        assert len(models) == len(set(models)), f"{name}: a model published twice at one frame budget"
        for figure in task.paper.figures:
            assert set(figure.subtasks) <= declared, f"{name}: {figure.model}'s figures name undeclared subtasks"
            assert set(figure.groups) <= set(task.config.groups), f"{name}: {figure.model}'s averages name undeclared groups"
    assert (task.judge.name if task.judge else None) == task.config.judge
