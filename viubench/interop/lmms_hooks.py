"""What an exported lmms-eval task calls (docs/lmms-eval.md): the documents are viubench Samples,
so the prompts and frames are the task's own, and responses are scored by viubench's scorer.

Each document of the exported task holds one Sample (``sample``: its JSON) with its id, subtype and
target. lmms-eval's models receive it two ways:

- chat models (``doc_to_messages``, e.g. ``qwen2_5_vl``, ``qwen3_vl``, ``openai``): the Sample's
  system and user turns as they are, each video at its place in the text as a ``video`` whose URL
  is the list of the item's stored frame files (qwen-vl-utils reads such a list as the frames of
  one video, all of them, in order);
- simple models (``doc_to_visual`` + ``doc_to_text``): the stored frames as PIL images, every video's
  frames in order, and the user text with the videos taken out; the model adds its own system prompt.

``process_results`` scores each response with ``viubench.task.kinds.score_response`` (the journal
line ``viubench eval`` writes); the aggregations compute results with ``viubench.runner.results``
from those lines, so lmms-eval prints the scores ``viubench rescore`` computes from them.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from viubench.backends.base import Response
from viubench.rundir.record import answered_record
from viubench.runner.results import task_results
from viubench.rundir.layout import SAMPLES
from viubench.task.sample import Sample

TASK = "viubench"
OVERALL = "viubench_overall"
RECORD_KEYS = {"id", "subtask", "score", "prompt_hash", "target", "response", "error", "extracted", "parse_failed", "paper_score", "metrics"}  # the scored fields of SampleRecord


def metric_name(subtype: str) -> str:
    return f"viubench_{subtype}"


@lru_cache(maxsize=4096)
def _sample(text: str) -> Sample:
    return Sample.model_validate_json(text)


def doc_sample(doc: dict[str, Any]) -> Sample:
    return _sample(doc["sample"])


def doc_to_messages(doc: dict[str, Any], lmms_eval_specific_kwargs: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The Sample's turns in lmms-eval's chat form; a video is the list of its stored frame files."""
    messages = []
    for message in doc_sample(doc).messages:
        content = []
        for part in message.content:
            if part.type == "text":
                content.append({"type": "text", "text": part.text or ""})
            elif part.video is not None:
                content.append({"type": "video", "url": list(part.video.frames or [])})
        messages.append({"role": message.role, "content": content})
    return messages


def doc_to_visual(doc: dict[str, Any]) -> list[Any]:
    """Every stored frame of the Sample's videos as a PIL image, in order (simple models)."""
    from PIL import Image

    images = []
    for video in doc_sample(doc).videos():
        for frame in video.frames or []:
            with Image.open(frame) as image:
                images.append(image.convert("RGB"))
    return images


def doc_to_text(doc: dict[str, Any], lmms_eval_specific_kwargs: dict[str, Any] | None = None) -> str:
    """The user turn's text, the videos taken out (simple models)."""
    return "".join(part.text or "" for message in doc_sample(doc).messages if message.role == "user" for part in message.content)


def journal_line(doc: dict[str, Any], response: Any) -> dict[str, Any]:
    """The journal line ``viubench eval`` writes for this response (without the review fields)."""
    text = response if isinstance(response, str) else getattr(response, "text", str(response))
    sample = doc_sample(doc)
    record = answered_record(sample, Response(text=text), 0.0, 0.0)
    line = record.model_dump(mode="json", include=RECORD_KEYS)
    line["dataset_items_sha256"] = sample.metadata.get("dataset_items_sha256")
    return line


def results_processor(subtypes: list[str]) -> Callable[[dict[str, Any], list[Any]], dict[str, Any]]:
    """lmms-eval's ``process_results``: the journal line under every metric of the task (each
    metric's aggregation then reads its own subtype from all of them)."""
    names = [OVERALL, *(metric_name(s) for s in subtypes)]

    def process_results(doc: dict[str, Any], results: list[Any]) -> dict[str, Any]:
        line = journal_line(doc, results[0])
        return {name: line for name in names}

    return process_results


@lru_cache(maxsize=8)
def _results(lines: str, config_json: str) -> dict[str, Any]:
    from viubench.task.spec import TaskConfig

    with tempfile.TemporaryDirectory(prefix="viubench-lmms-") as folder:
        journal = Path(folder) / SAMPLES / f"{TASK}.jsonl"
        journal.parent.mkdir(parents=True)
        journal.write_text(lines, encoding="utf-8")
        return task_results(Path(folder), TaskConfig.model_validate_json(config_json))


def results_of(records: list[dict[str, Any]]) -> dict[str, Any]:
    """viubench's results of these journal lines (``task_results``, as ``viubench rescore`` computes them)."""
    from viubench.task.registry import get_tasks

    lines = "".join(json.dumps(record, sort_keys=True) + "\n" for record in records)
    return _results(lines, get_tasks([TASK])[0].config.model_dump_json())


def aggregator(subtype: str | None) -> Callable[[list[dict[str, Any]]], float | None]:
    """lmms-eval's aggregation of one metric: the subtype's score (x100), or the overall with None."""

    def aggregate(records: list[dict[str, Any]]) -> float | None:
        found = results_of(records)
        if subtype is None:
            return found["overall"]["score"]
        block = found["subtasks"].get(subtype)
        return None if block is None else block["score"]

    aggregate.__name__ = f"aggregate_{subtype or 'overall'}"
    return aggregate
