"""MVBench (general video QA): 20 tasks of 200 multiple-choice questions; accuracy per task, and the
overall score is the unweighted mean of the 20 (Li et al., "MVBench", CVPR 2024; OpenGVLab/MVBench).

Published layout (``OpenGVLab/MVBench`` on the hub, gated, or that folder downloaded), read from
``--data mvbench=DIR``. The hub repository has two branches with different layouts; the loader tells
them apart by what the folder holds (a ``video/`` folder: ``main``; the clip folders ``star/``,
``clevrer/`` ... at the top: ``video``):

- both: ``json/<task>.json`` (20 files), each a JSON list of ``{"video", "question", "candidates"
  (3-5 option texts), "answer" (the TEXT of one candidate)}``; unknown keys are ignored. The answer
  letter is the index of ``answer`` in ``candidates`` (the last equal one, as the official notebook
  reads it).
- ``main``: raw videos in ``video/<source>.zip`` archives that unpack into ``video/`` (``viubench
  prepare mvbench --data DIR`` does it), plus the ``video/data0613.zip`` patch whose files replace or
  add to ``video/star/`` and ``video/clevrer/`` (a patch left unmerged in ``video/data0613/`` is read
  too). The bounded tasks (action_sequence, action_prediction, object_interaction,
  action_localization, episodic_reasoning) carry ``start``/``end`` in seconds: only the frames inside
  them are shown. episodic_reasoning (TVQA) videos are folders of JPEG frames ``00001.jpg`` ... at
  3 fps, numbered from 1 (image ``n`` shows ``n / 3`` s, as the official sampler reads them).
  action_antonym videos are ``.webm``.
- ``video``: pre-cut clips in per-source folders (``star/Charades_segment``, ``sta/sta_video_segment``,
  ``tvqa/video_fps3_hq_segment``, ``ssv2_video_mp4`` ...); bounds are never applied there.

Every source keeps its own folder: CLEVRER and Perception both name videos ``video_<n>.mp4``.
fine_grained_pose needs the NTU RGB+D clips, which the hub no longer distributes: put them in
``video/nturgbd/`` (``main``) or ``nturgbd_convert/`` (``video``); until then its questions are errors,
shown in its row, and count 0 in the overall mean of 20 (never left out of it).

Prompt (the paper's protocol): ``{question}`` then the options as ``A. text`` lines, then ``Answer
with the option letter directly.``; no system prompt. Questions are yielded round-robin over the 20
tasks, so ``--limit 40`` takes two questions of each. See docs/benchmarks/mvbench.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Literal


from viubench.errors import UserError
from viubench.paths import inside
from viubench.task.loaders import MCQ_PROMPT, data_folder, find_video, option_lines, read_json, unreadable, video_sample
from viubench.task.prepare import Archive, Preparation, prepare_command
from viubench.builtin_tasks._fixtures import writer
from viubench.builtin_tasks._paper import downstream
from viubench.task.facts import Presentation
from viubench.task.registry import Task, TaskContext
from viubench.task.sample import AnswerFormat, Sample, UnreadableSample
from viubench.video.ref import VideoRef
from viubench.task.spec import DataSource, TaskConfig

Branch = Literal["main", "video"]
FRAME_FPS = 3.0  # TVQA frame folders of the main branch: 3 fps ...
FIRST_FRAME = 1  # ... numbered from 1
PATCH = "video/data0613"  # where data0613.zip unpacks when it is not merged into video/


@dataclass(frozen=True)
class Source:
    """Where a task's videos lie in each branch."""

    main: str  # folder under the data folder, ``main`` branch (after unpacking video/*.zip)
    video: str  # folder under the data folder, ``video`` branch
    bounded: bool = False  # main-branch questions carry start/end seconds
    frames: bool = False  # main-branch videos are folders of JPEG frames (3 fps, numbered from 1)
    hint: str = ""  # what to do when its videos are missing


STAR = Source("video/star/Charades_v1_480", "star/Charades_segment", bounded=True)
CLEVRER = Source("video/clevrer/video_validation", "clevrer/video_validation")
PERCEPTION = Source("video/perception/videos", "perception/videos")
NTU_HINT = (
    "the NTU RGB+D clips are no longer on the hub: request them from the ROSE Lab (NTU RGB+D dataset; "
    "video/MVBench_videos_ntu.txt lists the files) and put them in video/nturgbd/ (main branch) or nturgbd_convert/ (video branch)"
)
SOURCES: dict[str, Source] = {  # the 20 tasks, in the order of the MVBench paper's table
    "action_sequence": STAR,
    "action_prediction": STAR,
    "action_antonym": Source("video/ssv2_video", "ssv2_video_mp4"),
    "fine_grained_action": Source("video/Moments_in_Time_Raw/videos", "Moments_in_Time_Raw/videos"),
    "unexpected_action": Source("video/FunQA_test/test", "FunQA_test/test"),
    "object_existence": CLEVRER,
    "object_interaction": STAR,
    "object_shuffle": PERCEPTION,
    "moving_direction": CLEVRER,
    "action_localization": Source("video/sta/sta_video", "sta/sta_video_segment", bounded=True),
    "scene_transition": Source("video/scene_qa/video", "scene_qa/video"),
    "action_count": PERCEPTION,
    "moving_count": CLEVRER,
    "moving_attribute": CLEVRER,
    "state_change": PERCEPTION,
    "fine_grained_pose": Source("video/nturgbd", "nturgbd_convert", hint=NTU_HINT),
    "character_order": PERCEPTION,
    "egocentric_navigation": Source("video/vlnqa", "vlnqa"),
    "episodic_reasoning": Source("video/tvqa/frames_fps3_hq", "tvqa/video_fps3_hq_segment", bounded=True, frames=True),
    "counterfactual_inference": CLEVRER,
}
TASK_NAMES = list(SOURCES)
SOURCE_ZIPS = ("FunQA_test", "Moments_in_Time_Raw", "clevrer", "nturgbd", "perception", "scene_qa", "ssv2_video", "sta", "star", "tvqa", "vlnqa")

CONFIG = TaskConfig(
    name="mvbench",
    kind="mcq",
    domain="General video QA",
    metric="accuracy per task; overall = unweighted mean of the 20 tasks",
    description="MVBench: 20 temporal tasks x 200 multiple-choice questions (4,000), over 11 video sources",
    data=DataSource(
        hub_id="OpenGVLab/MVBench",
        description="json/<task>.json + video/*.zip unpacked into video/ (main branch), or the video branch's pre-cut clip folders",
    ),
    prompt=MCQ_PROMPT,
    max_new_tokens=8,
    overall="subtasks",
    subtasks=TASK_NAMES,
)


# --- reading the published layout -------------------------------------------------------------------


def detect_branch(root: Path) -> Branch:
    """``main`` when the folder has ``video/``, ``video`` when it has that branch's clip folders."""
    if (root / "video").is_dir():
        return "main"
    if any((root / source.video.split("/")[0]).is_dir() for source in SOURCES.values()):
        return "video"
    raise UserError(
        f"mvbench: {root} holds no MVBench videos: expected video/ (the main branch, video/*.zip unpacked there) "
        "or the video branch's folders (star/, clevrer/, perception/ ...)"
    )


def _check_unpacked(root: Path) -> None:
    """A main-branch folder without any unpacked video is one line with the fix, not 4,000 errors."""
    if not any((root / source.main).is_dir() for source in SOURCES.values()):
        raise UserError(
            f"mvbench: {root}/video holds none of MVBench's video folders (star/, clevrer/, perception/ ...): "
            f"download video/*.zip and run '{prepare_command(CONFIG.name, root)}'"
        )


def task_items(root: Path, task: str) -> list[Any]:
    """The questions of ``json/<task>.json``; a missing or unreadable file is a one-line error."""
    path = root / "json" / f"{task}.json"
    if not path.is_file():
        raise UserError(f"mvbench: {path} not found: MVBench has 20 task files json/<task>.json (download json/ from OpenGVLab/MVBench)")
    return read_json(path, "mvbench", list, "a JSON list of questions")


def answer_letter(candidates: list[str], answer: str) -> str | None:
    """The letter of the candidate equal to ``answer`` (the last one, as the official notebook reads it;
    compared without surrounding blanks if none is equal as published)."""
    for same in (lambda c: c == answer, lambda c: c.strip() == answer.strip()):
        matches = [k for k, candidate in enumerate(candidates) if same(candidate)]
        if matches:
            return "ABCDEFGHIJ"[matches[-1]]
    return None


def _folders(source: Source, branch: Branch) -> tuple[str, ...]:
    if branch == "video":
        return (source.video,)
    return (source.main, f"{PATCH}/{source.main.removeprefix('video/')}")


def locate(root: Path, name: str, source: Source, branch: Branch) -> VideoRef | None:
    """The video ``name`` of a task: a frame folder (3 fps, numbered from 1) or a file, the extension
    tried loosely (an ``.webm`` name finds the ``.mp4`` of the video branch); None when absent."""
    folders = _folders(source, branch)
    for folder in folders:
        try:
            candidate = inside(root, f"{folder}/{name}")
        except ValueError:
            return None
        if candidate.is_dir():
            return VideoRef(folder=str(candidate), folder_fps=FRAME_FPS, first_index=FIRST_FRAME)
    path = find_video(root, name, folders)
    if path is None and Path(name).suffix:
        path = find_video(root, str(Path(name).with_suffix("")), folders)
    return None if path is None else VideoRef(path=str(path))


def _bounds(item: dict[str, Any]) -> tuple[float, float] | str:
    """(start, end) in seconds, or why the item has none."""
    try:
        start, end = float(item["start"]), float(item["end"])
    except KeyError:
        return "no start/end: this task's videos are whole recordings, shown only between the bounds"
    except (TypeError, ValueError):
        return f"unreadable start/end {item.get('start')!r}/{item.get('end')!r}"
    if not (math.isfinite(start) and math.isfinite(end)) or end < start:
        return f"bad bounds {start:g}-{end:g} s"
    return start, end


def _sample(root: Path, branch: Branch, task: str, number: int, item: Any) -> Sample | UnreadableSample:
    ident = f"{task}-{number}"

    def fail(error: str) -> UnreadableSample:
        return unreadable(CONFIG, ident, task, error)

    if not isinstance(item, dict):
        return fail(f"json/{task}.json[{number}] is not an object")
    missing = [key for key in ("video", "question", "candidates", "answer") if key not in item]
    if missing:
        return fail(f"json/{task}.json[{number}] has no {', '.join(missing)}")
    candidates, answer, name = item["candidates"], item["answer"], item["video"]
    if not isinstance(candidates, list) or not 2 <= len(candidates) <= 10 or not all(isinstance(c, str) for c in candidates):
        return fail(f"json/{task}.json[{number}]: candidates must be a list of 2-10 texts")
    letter = answer_letter(candidates, str(answer))
    if letter is None:
        return fail(f"json/{task}.json[{number}]: the answer {str(answer)[:60]!r} is none of its candidates")
    source = SOURCES[task]
    ref = locate(root, str(name), source, branch)
    if ref is None:
        folder = _folders(source, branch)[0]
        return fail(f"{folder}/{name} not found in the data folder" + (f"; {source.hint}" if source.hint else ""))
    metadata: dict[str, Any] = {"video": str(name), "branch": branch, "answer_text": str(answer)}
    if branch == "main" and source.bounded:
        bounds = _bounds(item)
        if isinstance(bounds, str):
            return fail(f"json/{task}.json[{number}]: {bounds}")
        ref = ref.model_copy(update={"start": bounds[0], "end": bounds[1]})
        metadata |= {"start": bounds[0], "end": bounds[1]}
    options, letters = option_lines(candidates)
    prompt = CONFIG.prompt.format(question=str(item["question"]).strip(), options=options)
    return video_sample(CONFIG, ident, task, prompt, [ref], letter, AnswerFormat(kind="choice", letters=letters), metadata)


def load(context: TaskContext) -> Iterator[Sample | UnreadableSample]:
    root = data_folder(context, CONFIG)
    branch = detect_branch(root)
    if branch == "main":
        _check_unpacked(root)
    items = {task: task_items(root, task) for task in TASK_NAMES}  # every file is read before the first question
    for number in range(max(len(questions) for questions in items.values())):
        for task in TASK_NAMES:  # round-robin: a --limit sees every task
            if number < len(items[task]):
                yield _sample(root, branch, task, number, items[task][number])


# --- what 'viubench prepare' unpacks and checks ------------------------------------------------------


def video_paths(root: Path) -> list[str]:
    """Relative paths of every video the annotations name; a TVQA frame folder of ``main`` by its first
    image (``.../<clip>/00001.jpg``), which is there once the folder is."""
    branch = detect_branch(root)
    paths = []
    for task in TASK_NAMES:
        folder = _folders(SOURCES[task], branch)[0]
        first_image = f"/{FIRST_FRAME:05d}.jpg" if branch == "main" and SOURCES[task].frames else ""
        paths += [f"{folder}/{item['video']}{first_image}" for item in task_items(root, task) if isinstance(item, dict) and "video" in item]
    return list(dict.fromkeys(paths))


def question_count(root: Path) -> int:
    return sum(len(task_items(root, task)) for task in TASK_NAMES)


PREPARATION = Preparation(
    archives=tuple(Archive(f"video/{name}.zip", "zip", into="video") for name in SOURCE_ZIPS)
    + (Archive("video/data0613.zip", "zip", into="video", strip="data0613/", overrides=True),),
    videos=video_paths,
    questions=question_count,
    annotations=("json/*.json", "video/MVBench_videos_ntu.txt"),
)


TASKS = [Task(CONFIG, load, writer("mvbench"), prepare=PREPARATION, presentation=Presentation(title="MVBench"), paper=downstream(1, (66.9, 67.6, 67.8), (68.6, 68.8, 68.9), gpt4o=64.6, gemini=60.5))]
