"""lmms-eval output in its real schema (lmms-eval 0.7.3's ``save_results_aggregated`` and
``save_results_samples``): ``MODEL/DATE_results.json`` and ``MODEL/DATE_samples_TASK.jsonl``, whose
lines hold ``doc_id``, ``target``, ``filtered_resps`` (``resps`` only when it differs), ``token_counts``,
``doc_hash``, ``input`` and what the task's ``process_results`` returned."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATE = "20260101_120000"


def sample_line(doc_id: int, response: str, target: str, metrics: dict[str, Any]) -> dict[str, Any]:
    return {"doc_id": doc_id, "target": target, "filtered_resps": response, "token_counts": [{"output_tokens": 4}], "doc_hash": f"{doc_id:064x}", **metrics, "input": "question"}


def videomme_line(doc_id: int, question_id: str, response: str, answer: str) -> dict[str, Any]:
    """``videomme_process_results``: one dict under ``videomme_perception_score``."""
    score = {
        "question_id": question_id, "duration": "short", "category": "Knowledge", "sub_category": "Humanity & History",
        "task_category": "Counting Problem", "pred_answer": response[:1], "answer": answer, "score": float(response[:1] == answer), "videoID": "vid000",
    }
    return sample_line(doc_id, response, answer, {"videomme_perception_score": score})


def charades_line(doc_id: int, video: str, caption: str, window: list[float], response: str) -> dict[str, Any]:
    """``temporal_grounding_process_results_generation``: ``{"VIDEO>>>CAPTION>>>[S, E]": response}`` per metric."""
    logged = {f"{video}>>>{caption}>>>{window}": response}
    return sample_line(doc_id, response, str(window), {f"charades_sta_{m}": logged for m in ("IOU@3", "IOU@5", "IOU@7", "mIOU")})


def write_output(folder: Path, tasks: dict[str, list[dict[str, Any]]], scores: dict[str, dict[str, float]], model_args: str = "pretrained=/models/tiny,max_num_frames=16") -> Path:
    """The files of one lmms-eval evaluation under ``folder``; returns the results file."""
    out = folder / "models__tiny"
    out.mkdir(parents=True, exist_ok=True)
    results = {
        "results": {task: {"alias": task, **{f"{metric},none": value for metric, value in scores[task].items()}} for task in tasks},
        "configs": {
            task: {
                "task": task, "dataset_path": "lmms-lab/x", "test_split": "test", "output_type": "generate_until",
                "generation_kwargs": {"max_new_tokens": 16, "temperature": 0, "do_sample": False},
                "metric_list": [{"metric": metric, "aggregation": "<function x>", "higher_is_better": True} for metric in scores[task]],
                "lmms_eval_specific_kwargs": {"pre_prompt": "", "post_prompt": "Answer with the option's letter."},
                "metadata": {"version": 0.0},
            }
            for task in tasks
        },
        "config": {"model": "qwen2_5_vl", "model_args": model_args, "model_backend": "lmms_eval.models.chat.qwen2_5_vl.Qwen2_5_VL (chat)", "limit": None},
        "lmms_eval_version": "0.7.3", "date": DATE, "model_source": "qwen2_5_vl", "model_name": "/models/tiny", "model_name_sanitized": "models__tiny",
    }
    (out / f"{DATE}_results.json").write_text(json.dumps(results, indent=2))
    for task, lines in tasks.items():
        (out / f"{DATE}_samples_{task}.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    return out / f"{DATE}_results.json"
