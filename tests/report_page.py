"""The sample browser's data as a report page embeds it, read back the way the page's script reads it
(base64, gzip, JSON columns), for tests that check what a page carries without a browser."""

from __future__ import annotations

import base64
import gzip
import json
import re
from pathlib import Path
from typing import Any


def _script(text: str, name: str) -> str:
    return re.search(rf'<script type="application/[a-z-]+" id="{name}">(.*?)</script>', text, re.S).group(1)


def page_items(html: Path) -> list[dict[str, Any]]:
    """Per item of the page's sample browser: id, task, subtask, question, target, hint, strip (or None)
    and, per run label, the answer (response, extracted, score, result) or None."""
    text = html.read_text()
    data = json.loads(gzip.decompress(base64.b64decode(_script(text, "sample-data"))))
    strips = json.loads(_script(text, "sample-strips"))

    def string(index: int) -> str | None:
        return None if index < 0 else data["strings"][index]

    columns = data["items"]
    out = []
    for i in range(len(columns["id"])):
        answers = {}
        for label, answer in zip(data["runs"], data["answers"]):
            result = answer["result"][i]
            answers[label] = None if result < 0 else {
                "response": string(answer["response"][i]), "extracted": string(answer["extracted"][i]),
                "score": answer["score"][i], "result": data["results"][result], "error": string(answer["error"][i]),
            }
        out.append({
            "id": string(columns["id"][i]), "task": data["tasks"][columns["task"][i]], "subtask": data["subtasks"][columns["subtask"][i]],
            "question": string(columns["question"][i]), "target": string(columns["target"][i]), "hint": string(columns["hint"][i]),
            "strip": strips[columns["strip"][i]] if columns["strip"][i] >= 0 else None, "answers": answers,
        })
    return out
