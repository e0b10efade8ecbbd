"""Which lmms-eval task is which viubench task, and how one of its logged documents finds its sample.

lmms-eval's ``--log_samples`` lines hold no document, only ``doc_id`` (the document's position in
lmms-eval's copy of the benchmark), the prompt text (``input``) and what the task's
``process_results`` returned, which for most tasks names the question. Each rule below turns a
logged line into a key and a viubench Sample into the same key; docs/lmms-eval.md lists them. A key that no sample (or several) has is reported
unmatched, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from viubench.task.sample import Sample

LogKey = Callable[[str, dict[str, Any]], str | None]  # (lmms-eval task, logged line) -> key
SampleKey = Callable[[Sample, int], str | None]  # (sample, its position in the task's load order) -> key


@dataclass(frozen=True)
class TaskMap:
    task: str  # viubench's task name
    lmms: str  # regular expression matching lmms-eval's task names
    log_key: LogKey
    sample_key: SampleKey
    rule: str  # how they are matched, in words (docs/lmms-eval.md)

    def covers(self, lmms_task: str) -> bool:
        return re.fullmatch(self.lmms, lmms_task) is not None


def logged_field(name: str) -> LogKey:
    """The value of ``name`` in the first dict ``process_results`` logged that has it."""

    def key(_task: str, line: dict[str, Any]) -> str | None:
        for value in line.values():
            if isinstance(value, dict) and value.get(name) not in (None, ""):
                return str(value[name])
        return None

    return key


def sample_id(sample: Sample, _position: int) -> str:
    return sample.id


def _metadata(name: str) -> SampleKey:
    def key(sample: Sample, _position: int) -> str | None:
        value = sample.metadata.get(name)
        return None if value in (None, "") else str(value)

    return key


def _text(value: str) -> str:
    return re.sub(r"\s+", " ", value).strip().rstrip(".").lower()


def _window(text: str) -> str | None:
    numbers = re.findall(r"\d+(?:\.\d+)?", text)  # times are never negative; "1-4.2" is a window
    return None if len(numbers) < 2 else f"{float(numbers[0]):g}-{float(numbers[1]):g}"


def charades_log_key(_task: str, line: dict[str, Any]) -> str | None:
    """``process_results`` of lmms-eval's Charades-STA logs ``{"VIDEO>>>CAPTION>>>[START, END]": response}``."""
    for value in line.values():
        if isinstance(value, dict):
            for logged in value:
                parts = str(logged).split(">>>")
                if len(parts) == 3 and (window := _window(parts[2])) is not None:
                    return f"{parts[0].rsplit('.', 1)[0]}|{_text(parts[1])}|{window}"
    return None


def charades_sample_key(sample: Sample, _position: int) -> str | None:
    video, sentence = sample.metadata.get("video"), sample.metadata.get("sentence")
    window = _window(sample.target)
    return None if not video or sentence is None or window is None else f"{video}|{_text(str(sentence))}|{window}"


def videommmu_log_key(task: str, line: dict[str, Any]) -> str | None:
    ident = logged_field("id")(task, line)
    track = next((t for t in ("Perception", "Comprehension", "Adaptation") if t.lower() in task), None)
    return None if ident is None or track is None else f"{track}-{ident}"


def vinoground_log_key(task: str, line: dict[str, Any]) -> str | None:
    index, kind = logged_field("index")(task, line), logged_field("question_type")(task, line)
    return None if index is None else index + ("_video" if kind == "video" else "")


def mvbench_log_key(task: str, line: dict[str, Any]) -> str | None:
    return None if line.get("doc_id") is None else f"{task.removeprefix('mvbench_')}-{line['doc_id']}"


_OPTION = re.compile(r"\(?([A-Z])[.):]\s*(.*)")


def question_key(text: str) -> str | None:
    """A multiple-choice question as its last stem line and its options, whatever the prompt around it
    and however its options are lettered (``A. text``, ``(A) text``); None without options."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    first = next((k for k, line in enumerate(lines) if _OPTION.fullmatch(line)), None)
    if not first:  # no options, or no stem line before them
        return None
    options = []
    for line in lines[first:]:
        found = _OPTION.fullmatch(line)
        if found is None:
            break
        options.append(f"{found.group(1)}={_text(found.group(2))}")
    return f"{_text(lines[first - 1])}|{'|'.join(options)}"


def prompt_question(sample: Sample, _position: int) -> str | None:
    """The question a sample's user turns ask (:func:`question_key`)."""
    text = "\n".join(part.text or "" for message in sample.messages if message.role != "system" for part in message.content if part.type == "text")
    return question_key(text)


def logged_input_question(_task: str, line: dict[str, Any]) -> str | None:
    """The question of lmms-eval's prompt text, which ``--log_samples`` logs as ``input``."""
    return question_key(line["input"]) if isinstance(line.get("input"), str) else None


def tempcompass_log_key(task: str, line: dict[str, Any]) -> str | None:
    video, question = logged_field("video_id")(task, line), logged_field("question")(task, line)
    key = None if question is None else question_key(question)
    return None if video is None or key is None else f"{video}|{key}"


def tempcompass_sample_key(sample: Sample, position: int) -> str | None:
    video, key = _metadata("video_id")(sample, position), prompt_question(sample, position)
    return None if video is None or key is None else f"{video}|{key}"


TASK_MAPS = [
    TaskMap("viubench", r"viubench", logged_field("id"), sample_id, "the sample id the exported task logs"),
    TaskMap("videomme", r"videomme(_long)?(_w_subtitle)?", logged_field("question_id"), sample_id, "question_id = the sample id"),
    TaskMap("charades-sta", r"temporal_grounding_charades|charades_sta", charades_log_key, charades_sample_key, "video, caption and ground-truth window"),
    TaskMap("cgbench", r"cgbench(_subtitles)?", logged_field("question_id"), sample_id, "question_id (CG-Bench qid) = the sample id"),
    TaskMap("longvideobench", r"longvideobench_val_[iv]", logged_field("id"), sample_id, "id = the sample id (validation split only)"),
    TaskMap("videommmu", r"video_mmmu_(perception|comprehension|adaptation)", videommmu_log_key, sample_id, "track and id = the sample id TRACK-ID"),
    TaskMap("video-tt", r"videott_single_mc", logged_field("video_id"), _metadata("video_id"), "video_id (one question per video, split test only)"),
    TaskMap("tempcompass", r"tempcompass_multi_choice", tempcompass_log_key, tempcompass_sample_key, "video_id and the question (stem and options)"),
    TaskMap("vinoground", r"vinoground", vinoground_log_key, sample_id, "index and question type = the sample id (IDX or IDX_video)"),
    TaskMap("mvbench", r"mvbench_[a-z_]+", mvbench_log_key, sample_id, "subtask and doc_id = the sample id SUBTASK-N (same order of the published JSON)"),
    TaskMap("lvbench", r"lvbench", logged_input_question, prompt_question, "the question (stem and options) of the logged prompt text"),
]


def task_map(lmms_task: str) -> TaskMap | None:
    return next((m for m in TASK_MAPS if m.covers(lmms_task)), None)
