"""Runs lmms-eval 0.7.3's own evaluation (its CLI entry point, task configs, ``process_results``,
filters, aggregations and EvaluationTracker) on documents given as JSON, with a model that replays
chosen responses: the results and ``--log_samples`` files a real lmms-eval run of those documents
writes, so viubench's import is tested on what lmms-eval itself writes.

Run it with lmms-eval's Python (``VIUBENCH_LMMS_PYTHON``), never viubench's:

    python tests/lmms_writer.py REQUEST.json

REQUEST.json: ``{"output_path": DIR, "model_args": "pretrained=...", "tasks": {LMMS_TASK:
{"docs": [doc, ...], "responses": [text, ...]}}}``. Each task's real config is loaded from the
installed lmms-eval; only its dataset download is replaced: the task's split is the given documents
(``process_docs`` of the config still applies). The replay model is registered under the name
``replay`` and answers each document's request with its response (by ``doc_id``); it never opens a
video (lmms-eval hands models ``doc_to_visual`` unevaluated).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

REQUEST = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))


def _install() -> None:
    import datasets
    from lmms_eval.api.model import lmms
    from lmms_eval.api.task import ConfigurableTask
    from lmms_eval.models import MODEL_REGISTRY_V2
    from lmms_eval.models.registry_v2 import ModelManifest

    def download(self: ConfigurableTask, dataset_kwargs: dict | None = None) -> None:
        given = REQUEST["tasks"][self.config.task]
        split = self.config.test_split or self.config.validation_split
        self.dataset = datasets.DatasetDict({split: datasets.Dataset.from_list(given["docs"])})
        if self.config.process_docs is not None:
            self.dataset[split] = self.config.process_docs(self.dataset[split])
        self.dataset_no_image = self.dataset

    ConfigurableTask.download = download

    class Replay(lmms):
        is_simple = True

        def __init__(self, pretrained: str = "", **kwargs: object) -> None:
            super().__init__()
            self.pretrained = pretrained

        def generate_until(self, requests: list) -> list[str]:
            return [REQUEST["tasks"][r.task_name]["responses"][r.doc_id] for r in requests]

        def loglikelihood(self, requests: list) -> list:
            raise NotImplementedError

        def generate_until_multi_round(self, requests: list) -> list[str]:
            raise NotImplementedError

    sys.modules[__name__].Replay = Replay  # type: ignore[attr-defined]
    MODEL_REGISTRY_V2.register_manifest(ModelManifest(model_id="replay", simple_class_path=f"{__name__}.Replay"), overwrite=True)


def main() -> None:
    _install()
    from lmms_eval.__main__ import cli_evaluate, parse_eval_args

    sys.argv = [
        "lmms-eval", "--model", "replay", "--model_args", REQUEST["model_args"], "--tasks", ",".join(REQUEST["tasks"]),
        "--log_samples", "--output_path", REQUEST["output_path"], "--batch_size", "1", "--verbosity", "DEBUG",
        *REQUEST.get("arguments", []),
    ]
    _parser, args = parse_eval_args()
    cli_evaluate(args)


if __name__ == "__main__":
    main()
