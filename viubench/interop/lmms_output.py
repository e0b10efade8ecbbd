"""lmms-eval's output as written by ``--output_path OUT --log_samples``:

```
OUT/MODEL_NAME_SANITIZED/DATE_results.json            results, task configs, model and its arguments
OUT/MODEL_NAME_SANITIZED/DATE_samples_TASK.jsonl      one line per document: doc_id, resps / filtered_resps,
                                                      target, input, and what process_results returned
```
A malformed file is a one-line error naming the file (and the line, for a JSONL file).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from viubench.errors import UserError

RESULTS_SUFFIX = "_results.json"
SAMPLES_MARK = "_samples_"


class LmmsOutput(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    results_file: Path
    results: dict[str, Any]
    samples: dict[str, Path]  # lmms-eval task -> its samples file

    @property
    def model(self) -> str:
        config = self.results.get("config") or {}
        return str(self.results.get("model_name") or config.get("model") or "unknown")

    @property
    def model_source(self) -> str:
        return str(self.results.get("model_source") or (self.results.get("config") or {}).get("model") or "unknown")

    @property
    def model_args(self) -> dict[str, str]:
        return parse_model_args((self.results.get("config") or {}).get("model_args"))

    def task_config(self, task: str) -> dict[str, Any]:
        return dict((self.results.get("configs") or {}).get(task) or {})

    def task_scores(self, task: str) -> dict[str, Any]:
        """lmms-eval's own numbers of ``task``: metric -> value (the ``,none`` filter; stderr left out)."""
        found = (self.results.get("results") or {}).get(task) or {}
        return {key.split(",")[0]: value for key, value in found.items() if "," in key and "_stderr" not in key and isinstance(value, (int, float))}

    def main_metric(self, task: str) -> str | None:
        metrics = self.task_config(task).get("metric_list") or []
        return metrics[0].get("metric") if metrics and isinstance(metrics[0], dict) else None


def parse_model_args(text: Any) -> dict[str, str]:
    if isinstance(text, dict):
        return {str(k): str(v) for k, v in text.items()}
    pairs = [part.split("=", 1) for part in str(text or "").split(",") if "=" in part]
    return {key.strip(): value.strip() for key, value in pairs}


def find_output(path: Path) -> LmmsOutput:
    """The results file at ``path`` (a ``*_results.json``, or a folder holding exactly one, searched
    recursively) and the samples files written beside it in the same evaluation."""
    if path.is_file():
        results_file = path
    elif path.is_dir():
        found = sorted(path.rglob(f"*{RESULTS_SUFFIX}"))
        if not found:
            raise UserError(f"{path}: no lmms-eval results file (*{RESULTS_SUFFIX}) in it; give lmms-eval's --output_path folder")
        if len(found) > 1:
            raise UserError(f"{path} holds {len(found)} lmms-eval evaluations ({', '.join(str(f) for f in found[:3])}{' ...' if len(found) > 3 else ''}); give one results file")
        results_file = found[0]
    else:
        raise UserError(f"{path}: no such file or folder")
    if not results_file.name.endswith(RESULTS_SUFFIX):
        raise UserError(f"{results_file} is not an lmms-eval results file (*{RESULTS_SUFFIX})")
    try:
        results = json.loads(results_file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise UserError(f"{results_file}, line {error.lineno}: not JSON ({error.msg})") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"{results_file} is unreadable ({type(error).__name__})") from None
    if not isinstance(results, dict) or not isinstance(results.get("results"), dict):
        raise UserError(f"{results_file} is not an lmms-eval results file (no 'results')")
    prefix = results_file.name.removesuffix(RESULTS_SUFFIX) + SAMPLES_MARK
    samples = {f.name.removeprefix(prefix).removesuffix(".jsonl"): f for f in sorted(results_file.parent.glob(f"{prefix}*.jsonl"))}
    if not samples:
        raise UserError(f"{results_file}: no samples files ({prefix}TASK.jsonl) beside it; run lmms-eval with --log_samples")
    return LmmsOutput(results_file=results_file, results=results, samples=samples)


def read_samples(path: Path) -> list[dict[str, Any]]:
    """The logged lines of a samples file; a line that is not a JSON object with a doc_id is an error
    naming the file and line."""
    lines = []
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                line = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError) as error:
                cut = "" if raw.endswith(b"\n") else " (cut short)"
                raise UserError(f"{path}, line {number}: not JSON{cut} ({getattr(error, 'msg', error)})") from None
            if not isinstance(line, dict) or not isinstance(line.get("doc_id"), int):
                raise UserError(f"{path}, line {number}: not an lmms-eval sample (a JSON object with an integer doc_id)")
            lines.append(line)
    return lines


def response_text(line: dict[str, Any]) -> str | None:
    """The model's raw response of a logged line (``resps`` when lmms-eval kept it, else ``filtered_resps``)."""
    for key in ("resps", "filtered_resps"):
        value = line.get(key)
        while isinstance(value, list) and value:
            value = value[0]
        if isinstance(value, str):
            return value
        if isinstance(value, dict) and isinstance(value.get("text"), str):
            return value["text"]
    return None
