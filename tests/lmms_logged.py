"""lmms-eval 0.7.3's documents of viubench's fixture of each benchmark the import maps, and lmms-eval's
own output for them.

The documents are what lmms-eval's copy of each benchmark holds (its Hugging Face dataset's rows,
read here from the fixture's published files, in the order of lmms-eval's split: ``doc_id``), each
with the viubench sample it is (None: one viubench leaves out). ``run_lmms_eval`` hands them to
lmms-eval itself (tests/lmms_writer.py, run with lmms-eval's Python): its task configs, prompts,
``process_results``, filters, aggregations and EvaluationTracker write the results and
``--log_samples`` files, so nothing lmms-eval writes is copied by hand here."""

from __future__ import annotations

import copy
import csv
import json
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from viubench.builtin_tasks import charades_sta, mvbench, videommmu, vinoground

TESTS = Path(__file__).parent
PYTHON = os.environ.get("VIUBENCH_LMMS_PYTHON")
if not PYTHON and os.environ.get("VIUBENCH_REQUIRE_LMMS") == "1":
    raise RuntimeError("VIUBENCH_REQUIRE_LMMS=1 but VIUBENCH_LMMS_PYTHON is not set")
_SKIP_WITHOUT_LMMS = pytest.mark.skipif(not PYTHON, reason="needs an lmms-eval 0.7.3 environment: set VIUBENCH_LMMS_PYTHON (.ci/run builds one)")


def needs_lmms(test: Any) -> Any:
    """A test that drives lmms-eval's own environment: skipped without one, and in the slow tier."""
    return pytest.mark.slow(_SKIP_WITHOUT_LMMS(test))


@dataclass
class Document:
    lmms_task: str
    doc_id: int
    doc: dict[str, Any]
    sample_id: str | None  # the viubench sample it is; None: one viubench leaves out


def numbered(lmms_task: str, rows: list[tuple[dict[str, Any], str | None]]) -> list[Document]:
    return [Document(lmms_task, doc_id, doc, sample_id) for doc_id, (doc, sample_id) in enumerate(rows)]


def parquet(path: Path) -> list[dict[str, Any]]:
    return pq.read_table(path).to_pylist()


# ---- videomme: lmms-eval/Video-MME, split test, the published parquet as it is ----
def videomme_documents(data: Path) -> list[Document]:
    return numbered("videomme", [(row, row["question_id"]) for row in parquet(data / "videomme" / "test-00000-of-00001.parquet")])


# ---- charades-sta: lmms-eval/charades_sta, split test: video file, caption, [start, end] ----
def charades_documents(data: Path) -> list[Document]:
    rows = []
    for number, line in enumerate((data / charades_sta.ANNOTATIONS).read_text().splitlines()):
        head, _, caption = line.partition("##")
        video, start, end = head.split()
        rows.append(({"video": f"{video}.mp4", "caption": caption.rstrip("."), "timestamp": [float(start), float(end)]}, f"{video}_{number}"))
    return numbered("temporal_grounding_charades", rows)


# ---- cgbench: CG-Bench/CG-Bench, config cg-bench-mini (cgbench_mini.json), one document per question ----
def cgbench_documents(data: Path) -> list[Document]:
    rows = json.loads((data / "cgbench_mini.json").read_text())
    return numbered("cgbench", [(row, str(row["qid"])) for row in rows])


# ---- longvideobench: longvideobench/LongVideoBench, split validation (option0..option4, "N/A" for none) ----
def longvideobench_documents(data: Path) -> list[Document]:
    rows = json.loads((data / "lvb_val.json").read_text())
    docs = []
    for row in rows:
        options = {f"option{k}": row["candidates"][k] if k < len(row["candidates"]) else "N/A" for k in range(5)}
        docs.append(({key: value for key, value in row.items() if key != "candidates"} | options, row["id"]))
    return numbered("longvideobench_val_v", docs)


# ---- videommmu: lmms-eval/VideoMMMU, one config (and lmms-eval task) per track, every row of it ----
def videommmu_documents(data: Path) -> list[Document]:
    docs = []
    for track in videommmu.TRACKS:
        rows = parquet(data / track / "test-00000-of-00001.parquet")
        docs += numbered(f"video_mmmu_{track.lower()}", [(row, f"{track}-{row['id']}" if row["options"] else None) for row in rows])  # open-ended: not in viubench
    return docs


# ---- video-tt: lmms-eval/video-tt, split test ----
def videott_documents(data: Path) -> list[Document]:
    return numbered("videott_single_mc", [(row, row["video_id"]) for row in parquet(data / "data" / "test-00000-of-00001.parquet")])


# ---- tempcompass: lmms-eval/TempCompass, config multi-choice: several questions per video ----
SECOND_QUESTION = {  # a second question on a video that already has one: the benchmark has about four per video
    "video_id": "1034419625", "dim": "speed", "answer": "A. slowly",
    "question": "How fast do the balls move?\nA. slowly\nB. quickly\nC. they do not move",
}


def tempcompass_add_question(data: Path) -> None:
    """The fixture with :data:`SECOND_QUESTION` added to its multi-choice split."""
    path = data / "multi-choice" / "test-00000-of-00001.parquet"
    table = pq.read_table(path)
    pq.write_table(table.from_pylist(table.to_pylist() + [SECOND_QUESTION], schema=table.schema), path)


def tempcompass_documents(data: Path) -> list[Document]:
    rows = parquet(data / "multi-choice" / "test-00000-of-00001.parquet")
    seen: dict[tuple[str, str], int] = {}
    docs = []
    for row in rows:
        key = (row["video_id"], row["dim"])
        seen[key] = seen.get(key, 0) + 1
        docs.append((row, f"tempcompass-{key[0]}-{key[1]}-{seen[key]}"))
    return numbered("tempcompass_multi_choice", docs)


# ---- vinoground: HanSolo9682/Vinoground, split lmmseval: index "<i>_<pos|neg>_<text|video>" ----
def vinoground_documents(data: Path) -> list[Document]:
    with (data / vinoground.CATEGORIES).open(encoding="utf-8") as table:
        category = {row["index"]: row for row in csv.DictReader(table)}
    docs = []
    for kind, path in (("text", data / vinoground.TEXT_FILE), ("video", data / vinoground.CONCAT_VIDEOS / vinoground.VIDEO_FILE)):
        for row in json.loads(path.read_text()):
            pair = category[row["idx"].split("_")[0]]
            doc = {"index": f"{row['idx']}_{kind}", "major": pair["major"], "minor": pair["minor"] or None, "answer": row["GT"]}
            docs.append((doc, row["idx"] + ("_video" if kind == "video" else "")))
    given = {int(doc["index"].split("_")[0]) for doc, _ in docs}
    first = docs[0][0]
    docs += [(dict(first, index=f"{pair}_pos_text"), None) for pair in range(VINOGROUND_PAIRS) if pair not in given]
    return numbered("vinoground", docs)


VINOGROUND_PAIRS = 500  # lmms-eval's aggregation reads every pair of the benchmark: its copy holds all of them


def vinoground_cache(data: Path, hf_home: Path) -> None:
    """lmms-eval's vinoground reads the published score files (its prompts) from its cache folder;
    its copy holds every pair, the fixture's and the others (their questions copied from the first)."""
    text = json.loads((data / vinoground.TEXT_FILE).read_text())
    given = {row["idx"] for row in text}
    text += [dict(text[0], idx=f"{pair}_{side}") for pair in range(VINOGROUND_PAIRS) for side in ("pos", "neg") if f"{pair}_{side}" not in given]
    files = {vinoground.TEXT_FILE: ("vinoground_videos", text), vinoground.VIDEO_FILE: ("vinoground_videos_concated", json.loads((data / vinoground.CONCAT_VIDEOS / vinoground.VIDEO_FILE).read_text()))}
    for name, (folder, rows) in files.items():
        (hf_home / "vinoground" / folder).mkdir(parents=True, exist_ok=True)
        (hf_home / "vinoground" / folder / name).write_text(json.dumps(rows))


# ---- mvbench: OpenGVLab/MVBench, one config (json/<task>.json) and lmms-eval task per subtask ----
def mvbench_documents(data: Path) -> list[Document]:
    docs = []
    for task in mvbench.TASK_NAMES:
        items = json.loads((data / "json" / f"{task}.json").read_text())
        docs += numbered(f"mvbench_{task}", [(item, f"{task}-{number}") for number, item in enumerate(items)])
    return docs


# ---- lvbench: lmms-eval/LVBench, split train: one row per question, logs no question field ----
def lvbench_documents(data: Path) -> list[Document]:
    """lmms-eval's copy, in another order than the official annotations (last video first); its
    first question carries its options in an ``options`` column, as lmms-eval's reader allows."""
    rows = []
    for line in reversed((data / "video_info.meta.jsonl").read_text().splitlines()):
        video = json.loads(line)
        for qa in video["qa"]:
            rows.append(({"uid": qa["uid"], "question": qa["question"], "answer": qa["answer"], "question_type": qa["question_type"], "video_path": f"{video['key']}.mp4", "options": None}, qa["uid"]))
    first = rows[0][0]
    stem, *options = first["question"].split("\n")
    first |= {"question": stem, "options": [option.split(") ", 1)[1] for option in options]}
    return numbered("lvbench", rows)


@dataclass(frozen=True)
class Benchmark:
    task: str  # viubench's task
    documents: Callable[[Path], list[Document]]  # lmms-eval's documents of the fixture in this folder
    stray: tuple[str, dict[str, Any]]  # an lmms-eval task and the fields that make a copy of its first document one viubench lacks
    skipped: tuple[str, ...] = ()  # lmms-eval tasks of the benchmark viubench does not import (given the first document)
    fixture: tuple[tuple[str, Any], ...] = ()  # keyword arguments of the task module's fixture()
    cache: Callable[[Path, Path], None] | None = None  # (fixture, HF_HOME): files lmms-eval's task reads from its cache folder


BENCHMARKS = [
    Benchmark("videomme", videomme_documents, ("videomme", {"question_id": "999-9"})),
    Benchmark("charades-sta", charades_documents, ("temporal_grounding_charades", {"caption": "a person is dancing"})),
    Benchmark("cgbench", cgbench_documents, ("cgbench", {"qid": 99999})),
    Benchmark("longvideobench", longvideobench_documents, ("longvideobench_val_v", {"id": "zzzzzzzzzzz_1"}), ("longvideobench_test_v",)),  # the test split: questions viubench does not load
    Benchmark("videommmu", videommmu_documents, ("video_mmmu_perception", {"id": "dev_Physics_99"})),
    Benchmark("video-tt", videott_documents, ("videott_single_mc", {"video_id": "7999999999"}), ("videott_single_mc_with_description",)),  # split test_mc_new
    Benchmark("tempcompass", tempcompass_documents, ("tempcompass_multi_choice", {"question": "What colour are the balls?\nA. red\nB. blue", "answer": "A. red"}), ("tempcompass_yes_no",)),
    Benchmark("vinoground", vinoground_documents, ("vinoground", {"index": "499_neg_text"}), fixture=(("video_score", True),), cache=vinoground_cache),
    Benchmark("mvbench", mvbench_documents, ("mvbench_action_sequence", {})),  # a third document of a subtask with two: doc_id 2
    Benchmark("lvbench", lvbench_documents, ("lvbench", {"question": "What is the girl holding when the bell rings?\n(A) a cup\n(B) a hat\n(C) a kite\n(D) a phone", "options": None})),
]


def stray_document(benchmark: Benchmark, documents: list[Document]) -> Document:
    """A document of ``benchmark.stray``'s task that no viubench sample is, after its others."""
    task, fields = benchmark.stray
    own = [d for d in documents if d.lmms_task == task]
    return Document(task, len(own), copy.deepcopy(own[0].doc) | fields, None)


def hf_home(folder: Path) -> Path:
    """The HF_HOME :func:`run_lmms_eval` gives lmms-eval (its tasks' cache folders are under it)."""
    return folder / "hf"


def run_lmms_eval(folder: Path, tasks: dict[str, list[tuple[dict[str, Any], str]]], model_args: str = "pretrained=/models/tiny,max_num_frames=16", arguments: tuple[str, ...] = ()) -> Path:
    """lmms-eval's own ``--log_samples`` evaluation of ``tasks`` (lmms-eval task -> its documents,
    each with the response the model gives) under ``folder``; returns its results file."""
    request = {
        "output_path": str(folder / "out"), "model_args": model_args, "arguments": list(arguments),
        "tasks": {task: {"docs": [doc for doc, _ in docs], "responses": [response for _, response in docs]} for task, docs in tasks.items()},
    }
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "request.json").write_text(json.dumps(request, default=str))
    env = {**os.environ, "HF_HOME": str(hf_home(folder)), "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "OPENAI_API_KEY": "unused"}
    env.pop("PYTHONPATH", None)
    ran = subprocess.run([PYTHON, str(TESTS / "lmms_writer.py"), str(folder / "request.json")], capture_output=True, text=True, env=env, cwd=folder, timeout=900, check=False)
    found = sorted((folder / "out").rglob("*_results.json"))
    assert ran.returncode == 0 and len(found) == 1, ran.stdout[-3000:] + ran.stderr[-5000:]
    return found[0]
