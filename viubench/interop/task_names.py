"""The task names the eval command takes: viubench's own, other spellings of them, and lmms-eval's names
of the same benchmark and protocol (a user coming from lmms-eval types ``charades_sta``)."""

from __future__ import annotations

from viubench.errors import UserError
from viubench.interop.lmms_tasks import task_map
from viubench.task.registry import Task, all_tasks
from viubench.task.registry import task_name as spelled

# lmms-eval task names that are a part or a variant of a viubench task, not the task itself: named, never run as it
_PARTIAL = {
    "mvbench": "one MVBench subtask; viubench's 'mvbench' runs all twenty",
    "videommmu": "one Video-MMMU track; viubench's 'videommmu' runs all three",
    "videomme": "Video-MME with subtitles or the long videos only; viubench's 'videomme' runs every video without subtitles",
    "cgbench": "CG-Bench with subtitles; viubench's 'cgbench' runs without them",
    "longvideobench": "LongVideoBench with interleaved subtitles; viubench's 'longvideobench' is the video-only val_v",
}
_WHOLE = {"videomme", "charades_sta", "temporal_grounding_charades", "cgbench", "longvideobench_val_v", "video_mmmu", "videott_single_mc", "tempcompass_multi_choice", "vinoground", "lvbench", "viubench"}


def task_name(name: str, known: dict[str, Task] | None = None) -> str:
    """viubench's name of the task ``name`` means: itself, the same name spelled with other separators
    (``charades_sta``, ``video_mme``), or lmms-eval's name of the same benchmark and protocol
    (``longvideobench_val_v``, ``temporal_grounding_charades``). Anything else is one line naming the nearest
    task, or what an lmms-eval name covers when it is only a part of a viubench task."""
    known = all_tasks() if known is None else known
    try:
        return spelled(name, known)
    except UserError as unknown:
        failure = unknown
    mapped = task_map(name)
    if mapped is not None and mapped.task in known:
        if name in _WHOLE:
            return mapped.task
        what = _PARTIAL.get(mapped.task, f"lmms-eval's variant of {mapped.task!r}")
        raise UserError(f"task {name!r} is lmms-eval's name of {what}: use --tasks {mapped.task}")
    raise failure


def task_names(names: list[str]) -> list[str]:
    """viubench's names of ``names`` (:func:`task_name`), in order, each once."""
    known = all_tasks()
    return list(dict.fromkeys(task_name(name, known) for name in names))


def lmms_eval_names(task: str) -> list[str]:
    """lmms-eval's names that ``--tasks`` takes for viubench's ``task`` (the same benchmark and protocol)."""
    return sorted(name for name in _WHOLE if (mapped := task_map(name)) is not None and mapped.task == task)
