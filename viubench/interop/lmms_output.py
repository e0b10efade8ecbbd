"""lmms-eval's output as written by ``--output_path OUT --log_samples``:

```
OUT/MODEL_NAME_SANITIZED/DATE_results.json            results, task configs, model and its arguments
OUT/MODEL_NAME_SANITIZED/DATE_samples_TASK.jsonl      one line per document: doc_id, resps / filtered_resps,
                                                      target, input, and what process_results returned
```
Every field is read in each shape lmms-eval writes it (a task's ``metadata`` is a list of mappings,
a mapping or a string, as its YAML declares it; optional fields may be missing or null) and checked
before use: a field of another shape, or a malformed file, is a one-line error naming the file and
the field (or the line, for a JSONL file).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from viubench.errors import UserError

RESULTS_SUFFIX = "_results.json"
SAMPLES_MARK = "_samples_"
# lmms-eval 0.7.3's default --reasoning_tags: the blocks it strips from a response before scoring
DEFAULT_REASONING_TAGS = [["<think>", "</think>"], ["<analysis>", "</analysis>"]]


class LmmsOutput(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    results_file: Path
    results: dict[str, Any]
    samples: dict[str, Path]  # lmms-eval task -> its samples file

    def field(self, where: str, value: Any, kind: type | tuple[type, ...], default: Any = None) -> Any:
        """``value`` (the field ``where`` of the results file) if it is a ``kind``; ``default`` when it
        is missing or null; anything else is a one-line error naming the file and field."""
        if value is None:
            return default
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            names = " or ".join(k.__name__ for k in kinds)
            raise UserError(f"{self.results_file}: field {where} is a {type(value).__name__}, not a {names}: not lmms-eval's output as viubench reads it")
        return value

    @property
    def config(self) -> dict[str, Any]:
        return self.field("config", self.results.get("config"), dict, {})

    @property
    def model(self) -> str:
        """The model lmms-eval names the evaluation by: ``model_name`` (its ``pretrained=`` or like
        argument), else the wrapper."""
        name = self.field("model_name", self.results.get("model_name"), str, "")
        return name or self.model_source

    @property
    def model_source(self) -> str:
        """The lmms-eval model wrapper (``--model``)."""
        source = self.field("model_source", self.results.get("model_source"), str, "")
        return source or str(self.field("config.model", self.config.get("model"), str, "unknown") or "unknown")

    @property
    def model_args(self) -> dict[str, str]:
        return parse_model_args(self.field("config.model_args", self.config.get("model_args"), (str, dict), ""))

    @property
    def model_backend(self) -> str:
        return self.field("config.model_backend", self.config.get("model_backend"), str, "")

    @property
    def limit(self) -> float | None:
        return self.field("config.limit", self.config.get("limit"), (int, float))

    @property
    def seed(self) -> int:
        return self.field("config.random_seed", self.config.get("random_seed"), int, 0)

    @property
    def reasoning_tags(self) -> list[list[str]]:
        """The reasoning blocks lmms-eval set aside before scoring (``--reasoning_tags``, logged in
        ``config.resolved_cli_args``; its default where not logged, none where switched off)."""
        cli = self.field("config.resolved_cli_args", self.config.get("resolved_cli_args"), dict, {})
        if "reasoning_tags" not in cli:
            return DEFAULT_REASONING_TAGS
        value = cli["reasoning_tags"]
        if value in (None, False, "none"):
            return []
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                value = None
        if not isinstance(value, list) or not all(isinstance(p, list) and len(p) == 2 and all(isinstance(t, str) for t in p) for p in value):
            raise UserError(f"{self.results_file}: field config.resolved_cli_args.reasoning_tags is not a list of [start, end] tag pairs")
        return value

    def task_config(self, task: str) -> dict[str, Any]:
        configs = self.field("configs", self.results.get("configs"), dict, {})
        return dict(self.field(f"configs.{task}", configs.get(task), dict, {}))

    def task_metadata(self, task: str) -> dict[str, Any]:
        """A task config's ``metadata`` as one mapping: lmms-eval writes it as its YAML declares it, a
        list of mappings (``- version: 0.0``, merged in order), a mapping, or a string (``{"text": ...}``)."""
        value = self.task_config(task).get("metadata")
        where = f"configs.{task}.metadata"
        if value is None:
            return {}
        if isinstance(value, str):
            return {"text": value}
        if isinstance(value, dict):
            return dict(value)
        if isinstance(value, list):
            merged: dict[str, Any] = {}
            for k, item in enumerate(value):
                merged.update(self.field(f"{where}[{k}]", item, dict, {}))
            return merged
        return self.field(where, value, (dict, list, str))

    def task_scores(self, task: str) -> dict[str, float]:
        """lmms-eval's own numbers of ``task``: metric -> value (the ``,none`` filter; stderr and
        numbers lmms-eval could not compute, logged as ``"N/A"``, left out)."""
        results = self.field("results", self.results.get("results"), dict, {})
        found = self.field(f"results.{task}", results.get(task), dict, {})
        return {
            key.split(",")[0]: float(value)
            for key, value in found.items()
            if "," in key and "_stderr" not in key and isinstance(value, (int, float)) and not isinstance(value, bool)
        }

    def main_metric(self, task: str) -> str | None:
        metrics = self.field(f"configs.{task}.metric_list", self.task_config(task).get("metric_list"), list, [])
        first = metrics[0] if metrics else None
        name = first.get("metric") if isinstance(first, dict) else None
        return name if isinstance(name, str) else None


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
        raise UserError(f"{results_file} is not an lmms-eval results file (no 'results' mapping)")
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
            if not isinstance(line, dict) or not isinstance(line.get("doc_id"), int) or isinstance(line.get("doc_id"), bool):
                raise UserError(f"{path}, line {number}: not an lmms-eval sample (a JSON object with an integer doc_id)")
            for key in ("resps", "filtered_resps"):
                if key in line and not _response_shape(line[key]):
                    raise UserError(f"{path}, line {number}: field {key} is not a response (a string, or a list of them)")
            lines.append(line)
    return lines


def _response_shape(value: Any) -> bool:
    """What lmms-eval logs as ``resps``/``filtered_resps``: a string (one request, one response), a
    list of them (several), nested lists, a ``{"text": ...}`` mapping, or null."""
    if value is None or isinstance(value, (str, int, float)):
        return True
    if isinstance(value, dict):
        return True
    return isinstance(value, list) and all(_response_shape(v) for v in value)


def _first_text(value: Any) -> str | None:
    while isinstance(value, list) and value:
        value = value[0]
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("text"), str):
        return value["text"]
    return None


def response_text(line: dict[str, Any]) -> str | None:
    """The model's raw response of a logged line: ``resps`` where lmms-eval kept it (it drops it
    when it equals ``filtered_resps``), else ``filtered_resps``."""
    for key in ("resps", "filtered_resps"):
        text = _first_text(line.get(key))
        if text is not None:
            return text
    return None


def filtered_text(line: dict[str, Any]) -> str | None:
    """The response lmms-eval scored: ``filtered_resps`` (reasoning blocks stripped, filters applied)."""
    return _first_text(line.get("filtered_resps"))


def has_reasoning_block(text: str, tags: list[list[str]]) -> bool:
    """Whether ``text`` holds a block lmms-eval strips before scoring: a closing tag of one of
    ``tags`` (a chat template may prefill the opening one)."""
    return any(end in text for _start, end in tags)
