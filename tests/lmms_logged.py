"""lmms-eval 0.7.3's documents of a viubench fixture and what its ``--log_samples`` logs for them.

For each downstream benchmark viubench imports: the documents lmms-eval's copy of the benchmark
holds (read from the fixture's published files, in the order of lmms-eval's split: ``doc_id``), the
viubench sample each one is (None: viubench has no such sample), lmms-eval's prompt text (logged as
``input``), ``doc_to_target`` and what the task's ``process_results`` returns, copied in shape from
``lmms_eval/tasks/<task>/utils.py`` of lmms-eval 0.7.3 (the file of each is named in
tests/data/lmms_logged_lines.yaml). Answer extraction is reduced to a response that is one letter,
which is what the tests send. ``logged_line`` puts them together as one line of the samples file
(tests/lmms_files.py)."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pyarrow.parquet as pq

from lmms_files import sample_line
from viubench.builtin_tasks import mvbench, videommmu, vinoground

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass
class Document:
    lmms_task: str
    doc_id: int
    doc: dict[str, Any]
    sample_id: str | None  # the viubench sample it is; None: one viubench leaves out


@dataclass(frozen=True)
class LmmsTask:
    documents: Callable[[Path], list[Document]]  # lmms-eval's documents of the fixture in this folder
    process_results: Callable[[Document, str], dict[str, Any]]  # (document, response) -> what lmms-eval logs
    target: Callable[[dict[str, Any]], Any]  # doc_to_target
    text: Callable[[dict[str, Any]], str]  # doc_to_text with the default lmms_eval_specific_kwargs: ``input``


def logged_line(task: LmmsTask, document: Document, response: str) -> dict[str, Any]:
    """One line of ``DATE_samples_TASK.jsonl`` as lmms-eval 0.7.3 writes it for ``document``."""
    line = sample_line(document.doc_id, response, str(task.target(document.doc)), task.process_results(document, response))
    line["input"] = task.text(document.doc)
    return line


def numbered(lmms_task: str, rows: list[tuple[dict[str, Any], str | None]]) -> list[Document]:
    return [Document(lmms_task, doc_id, doc, sample_id) for doc_id, (doc, sample_id) in enumerate(rows)]


def parquet(path: Path) -> list[dict[str, Any]]:
    return pq.read_table(path).to_pylist()


def letter(response: str) -> str:
    return response.strip()[:1]


# ---- cgbench: CG-Bench/CG-Bench, config cg-bench-mini (cgbench_mini.json), one document per question ----
def cgbench_documents(data: Path) -> list[Document]:
    rows = json.loads((data / "cgbench_mini.json").read_text())
    return numbered("cgbench", [(row, str(row["qid"])) for row in rows])


def cgbench_process_results(document: Document, response: str) -> dict[str, Any]:
    doc = document.doc
    answer = str(doc["right_answer"]).strip().upper()
    return {
        "cgbench_accuracy": {
            "question_id": doc["qid"], "video_uid": doc["video_uid"], "duration": doc["duration"], "category": doc["domain"],
            "sub_category": doc["sub_category"], "pred_answer": letter(response), "answer": answer, "score": float(letter(response) == answer),
        }
    }


# ---- longvideobench: longvideobench/LongVideoBench, split validation (option0..option4, "N/A" for none) ----
def longvideobench_documents(data: Path) -> list[Document]:
    rows = json.loads((data / "lvb_val.json").read_text())
    docs = []
    for row in rows:
        options = {f"option{k}": row["candidates"][k] if k < len(row["candidates"]) else "N/A" for k in range(5)}
        docs.append(({key: value for key, value in row.items() if key != "candidates"} | options, row["id"]))
    return numbered("longvideobench_val_v", docs)


def longvideobench_process_results(document: Document, response: str) -> dict[str, Any]:
    doc = document.doc
    logged = {"id": doc["id"], "duration_group": doc["duration_group"], "question_category": doc["question_category"], "answer": LETTERS[doc["correct_choice"]], "parsed_pred": letter(response)}
    return {"lvb_acc": logged, "submission": {doc["id"]: response}}


def longvideobench_text(doc: dict[str, Any]) -> str:
    options = [doc[f"option{k}"] for k in range(5) if doc[f"option{k}"] != "N/A"]
    question = doc["question"] + "\n" + "\n".join(f"{LETTERS[k]}. {option}" for k, option in enumerate(options))
    return f"{question}\nAnswer with the option's letter from the given choices directly.\n"


# ---- videommmu: lmms-eval/VideoMMMU, one config (and lmms-eval task) per track, every row of it ----
def videommmu_documents(data: Path) -> list[Document]:
    docs = []
    for track in videommmu.TRACKS:
        rows = parquet(data / track / "test-00000-of-00001.parquet")
        docs += numbered(f"video_mmmu_{track.lower()}", [(row, f"{track}-{row['id']}" if row["options"] else None) for row in rows])  # open-ended: not in viubench
    return docs


def videommmu_process_results(document: Document, response: str) -> dict[str, Any]:
    doc = document.doc
    ident = doc["id"]
    subdomain = ident.split("_", 1)[1].rsplit("_", 1)[0]
    question_type = doc.get("question_type", "None")
    return {"mmmu_acc": {"id": ident, "subdomain": subdomain, "question_type": question_type, "answer": doc["answer"], "parsed_pred": letter(response)}}


# ---- video-tt: lmms-eval/video-tt, split test ----
def videott_documents(data: Path) -> list[Document]:
    return numbered("videott_single_mc", [(row, row["video_id"]) for row in parquet(data / "data" / "test-00000-of-00001.parquet")])


def videott_process_results(document: Document, response: str) -> dict[str, Any]:
    doc = document.doc
    return {"videott_perception_score": {"video_id": doc["video_id"], "capability": doc["capability"], "pred_answer": letter(response), "answer": doc["answer"]}}


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


def tempcompass_process_results(document: Document, response: str) -> dict[str, Any]:
    doc = document.doc
    rating = int(response == doc["answer"] or response == doc["answer"][0])
    logged = {"video_id": doc["video_id"], "question": doc["question"], "gt-answer": doc["answer"], "video-llm-prediction": response, "match_success": True, "rating": rating, "dim": doc["dim"]}
    return {"avg_accuracy": logged, f"{doc['dim']}_accuracy": dict(logged)}


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
    return numbered("vinoground", docs)


def vinoground_process_results(document: Document, response: str) -> dict[str, Any]:
    doc = document.doc
    categories = ["all", doc["major"]] + (doc["minor"].split(";") if doc["minor"] is not None else [])
    index, kind = "_".join(doc["index"].split("_")[:2]), doc["index"].split("_")[2]
    return {"vinoground_score": {"index": index, "categories": categories, "question_type": kind, "pred": response}}


# ---- mvbench: OpenGVLab/MVBench, one config (json/<task>.json) and lmms-eval task per subtask ----
def mvbench_documents(data: Path) -> list[Document]:
    docs = []
    for task in mvbench.TASK_NAMES:
        items = json.loads((data / "json" / f"{task}.json").read_text())
        docs += numbered(f"mvbench_{task}", [(item, f"{task}-{number}") for number, item in enumerate(items)])
    return docs


def mvbench_process_results(document: Document, response: str) -> dict[str, Any]:
    doc = document.doc
    truth = next((LETTERS[k] for k, candidate in enumerate(doc["candidates"]) if candidate == doc["answer"]), None)
    return {"mvbench_accuracy": {"pred_answer": response, "gt_answer": truth, "score": float(letter(response) == truth)}}


# ---- lvbench: lmms-eval/LVBench, split train: one row per question, logs no question field ----
def lvbench_documents(data: Path) -> list[Document]:
    """lmms-eval's copy, in another order than the official annotations (last video first); its
    first question carries its options in an ``options`` column, as lmms-eval's reader allows."""
    rows = []
    for line in reversed((data / "video_info.meta.jsonl").read_text().splitlines()):
        video = json.loads(line)
        for qa in video["qa"]:
            rows.append(({"uid": qa["uid"], "question": qa["question"], "answer": qa["answer"], "question_type": qa["question_type"], "video_path": f"{video['key']}.mp4"}, qa["uid"]))
    first = rows[0][0]
    stem, *options = first["question"].split("\n")
    first |= {"question": stem, "options": [option.split(") ", 1)[1] for option in options]}
    return numbered("lvbench", rows)


def lvbench_text(doc: dict[str, Any]) -> str:
    question = doc["question"]
    if doc.get("options"):
        question += "\n" + "\n".join(f"({LETTERS[k]}) {option}" for k, option in enumerate(doc["options"]))
    return question + "\nAnswer the question with the option letter"


def lvbench_process_results(document: Document, response: str) -> dict[str, Any]:
    return {"lvbench_score": letter(response) == document.doc["answer"]}


def answer_field(doc: dict[str, Any]) -> Any:
    return doc["answer"]


def question_field(doc: dict[str, Any]) -> str:
    return str(doc.get("question", ""))


TASKS: dict[str, LmmsTask] = {
    "cgbench": LmmsTask(cgbench_documents, cgbench_process_results, lambda doc: doc["right_answer"], question_field),
    "longvideobench": LmmsTask(longvideobench_documents, longvideobench_process_results, lambda doc: doc["correct_choice"], longvideobench_text),
    "videommmu": LmmsTask(videommmu_documents, videommmu_process_results, answer_field, question_field),
    "video-tt": LmmsTask(videott_documents, videott_process_results, answer_field, lambda doc: f"{doc['question']}\n{doc['question_prompt']}\n"),
    "tempcompass": LmmsTask(tempcompass_documents, tempcompass_process_results, answer_field, lambda doc: doc["question"] + "\nPlease directly give the best option:"),
    "vinoground": LmmsTask(vinoground_documents, vinoground_process_results, answer_field, lambda doc: "Which caption best describes this video?\nPlease only output one English character."),
    "mvbench": LmmsTask(mvbench_documents, mvbench_process_results, answer_field, lambda doc: f"Question: {doc['question']}\nOnly give the best option.\n"),
    "lvbench": LmmsTask(lvbench_documents, lvbench_process_results, answer_field, lvbench_text),
}
