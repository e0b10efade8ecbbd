"""ActivityNet Captions (temporal grounding): mIoU and R@0.3/0.5/0.7 of a single interval, one query per sentence.

Published layout (the captions release): ``val_1.json`` and ``val_2.json``, each a JSON object keyed by
``v_<id>`` with ``duration`` (seconds), ``timestamps`` (``[[start, end], ...]`` in seconds) and
``sentences`` (parallel to ``timestamps``). The ActivityNet v1.3 videos are obtained separately, as
``v_<id>.mp4`` (or ``.mkv``/``.webm``), with or without the ``v_`` prefix, in ``videos/`` or the data folder.

Two task names read the two files: ``activitynet`` reads ``val_2.json`` (the usual grounding test set),
``activitynet-val1`` reads ``val_1.json``. A timestamp past the video (its annotated duration, or the
decoded length when the file is more than a second shorter) is clamped, a reversed one turned round, and
the sample says why (``target_adjusted``). docs/benchmarks/activitynet.md is the user's page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterator

from viubench.errors import UserError, one_line
from viubench.task.loaders import GROUNDING_PROMPT, data_folder, find_video, grounding_target, read_json, scored_duration, unreadable, video_sample
from viubench.task.prepare import Preparation
from viubench.builtin_tasks._fixtures import writer
from viubench.builtin_tasks._paper import grounding
from viubench.task.facts import Presentation
from viubench.task.registry import Task, TaskContext
from viubench.task.sample import AnswerFormat, Sample, UnreadableSample
from viubench.video.ref import VideoRef
from viubench.task.spec import DataSource, TaskConfig

VIDEO_FOLDERS = ("videos", "")
SPLITS = {"activitynet": "val_2", "activitynet-val1": "val_1"}  # task name -> annotation file (without .json)
TITLES = {"activitynet": "ActivityNet Captions", "activitynet-val1": "ActivityNet Captions val_1"}
# the paper's rows: mIoU (Table 3) and R@0.3/0.5/0.7 (appendix) of Qwen3-VL-8B and VideoSSR-8B at 32, 48 and 64 frames
PAPER = grounding(
    10,
    (36.5, 38.4, 39.8), ((52.3, 34.5, 18.3), (54.3, 36.4, 21.0), (55.6, 38.6, 23.0)),
    (42.1, 43.0, 43.7), ((63.0, 41.4, 21.5), (63.2, 42.3, 22.7), (63.3, 42.7, 24.2)),
)
PAPER_BY_SPLIT = {"activitynet": PAPER}  # the paper reports val_2 only
FIXTURES = {"val_2": "fixture", "val_1": "fixture_val1"}  # the writers in _fixtures/activitynet.py
FIELDS = ("duration", "timestamps", "sentences")


def _config(name: str, split: str) -> TaskConfig:
    return TaskConfig(
        name=name,
        kind="grounding",
        domain="Temporal grounding",
        metric="mIoU; R@0.3/0.5/0.7",
        description=f"ActivityNet Captions {split}: one grounding query per caption sentence of the ActivityNet v1.3 videos",
        data=DataSource(description=f"{split}.json (ActivityNet Captions release) + videos/v_<id>.mp4 (ActivityNet v1.3, obtained separately)"),
        prompt=GROUNDING_PROMPT,
        max_new_tokens=48,
        subtasks=[split],
    )


def read_annotations(path: Path, task: str) -> dict[str, Any]:
    """A ``val_*.json`` file: a JSON object keyed by video id; anything else is a one-line error."""
    if not path.is_file():
        raise UserError(f"{task}: {path} not found (the ActivityNet Captions annotations)")
    return read_json(path, task, dict, "an object keyed by video id: it is not the file this task reads")


def locate_video(root: Path, key: str) -> Path | None:
    """The video of annotation key ``v_<id>``: named with or without the ``v_`` prefix."""
    bare = key[2:] if key.startswith("v_") else key
    for name in dict.fromkeys((key, f"v_{bare}", bare)):
        path = find_video(root, name, VIDEO_FOLDERS)
        if path is not None:
            return path
    return None


def _loader(config: TaskConfig) -> Callable[[TaskContext], Iterator[Sample | UnreadableSample]]:
    split = config.subtasks[0]

    def load(context: TaskContext) -> Iterator[Sample | UnreadableSample]:
        root = data_folder(context, config)
        for key, entry in read_annotations(root / f"{split}.json", config.name).items():
            yield from _video_samples(config, root, str(key), entry)

    return load


def _video_samples(config: TaskConfig, root: Path, key: str, entry: Any) -> Iterator[Sample | UnreadableSample]:
    split = config.subtasks[0]
    try:
        duration = float(entry["duration"])
        timestamps = [(float(pair[0]), float(pair[1])) for pair in entry["timestamps"]]
        sentences = [str(sentence).strip() for sentence in entry["sentences"]]
        if len(timestamps) != len(sentences) or duration <= 0:
            raise ValueError("timestamps and sentences differ in length, or the duration is not positive")
    except (KeyError, TypeError, ValueError, IndexError) as error:
        yield unreadable(config, f"{key}_0", split, f"unreadable annotation of {key}: {one_line(error, 100)}")
        return
    path = locate_video(root, key)
    scored = scored_duration(duration, path) if path is not None else None
    for index, (window, sentence) in enumerate(zip(timestamps, sentences)):
        ident = f"{key}_{index}"
        if path is None:
            yield unreadable(config, ident, split, f"video {key} not found (with or without the v_ prefix, in videos/ or the data folder)")
            continue
        try:
            truth = grounding_target([window], scored)
        except ValueError as error:
            yield unreadable(config, ident, split, f"timestamp {index} of {key}: {one_line(error, 100)}")
            continue
        metadata: dict[str, Any] = {"video": key, "sentence": sentence}
        if truth.adjusted:
            metadata["target_adjusted"] = truth.adjusted
        yield video_sample(
            config, ident, split, config.prompt.format(question=sentence), [VideoRef(path=str(path))],
            truth.target, AnswerFormat(kind="interval", duration=scored or duration), metadata,
        )


def _preparation(split: str) -> Preparation:
    def videos(root: Path) -> list[str]:
        """Every video the annotations name: where it was found, else where it is expected."""
        names = []
        for key in read_annotations(root / f"{split}.json", f"activitynet {split}"):
            path = locate_video(root, str(key))
            names.append(path.relative_to(root).as_posix() if path is not None else f"videos/{key}.mp4")
        return names

    def questions(root: Path) -> int:
        entries = read_annotations(root / f"{split}.json", f"activitynet {split}").values()
        return sum(len(entry.get("sentences") or []) for entry in entries if isinstance(entry, dict))

    return Preparation(archives=(), videos=videos, questions=questions, annotations=(f"{split}.json",))


def _task(name: str, split: str) -> Task:
    config = _config(name, split)
    return Task(config, _loader(config), writer("activitynet", FIXTURES[split]), prepare=_preparation(split), presentation=Presentation(title=TITLES[name]), paper=PAPER_BY_SPLIT.get(name))


TASKS = [_task(name, split) for name, split in SPLITS.items()]
