"""How many replies of a hand-written corpus viubench reads as a careful human reader would.

    python scripts/reading_corpus.py [--corpus tests/data/reading_corpus.yaml] [--misreads]

Each reply of the corpus (multiple choice, grounding, counting; with and without reasoning blocks)
carries what a careful reader takes from it: the answer it commits to, or none. The reply is scored
by viubench's default rule (``viubench.task.kinds.score_response``, the path every run takes) and
its extracted answer compared with the reader's. Prints the agreement per answer kind and in all;
``--misreads`` lists the replies read otherwise.
"""

from __future__ import annotations

import argparse
import math
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from viubench.pretext.prompts import COUNTING_QUESTION, GROUNDING_TEMPLATE
from viubench.task.kinds import score_response
from viubench.task.sample import AnswerFormat, Part, Sample, user_turn

DEFAULT = Path(__file__).resolve().parent.parent / "tests" / "data" / "reading_corpus.yaml"
TARGETS = {"choice": "B", "interval": "12.5-20", "counts": "3,1,4"}


def corpus_sample(kind: str, choice_prompt: str) -> Sample:
    """A sample of ``kind`` whose prompt is the one the corpus's replies answer."""
    prompts = {
        "choice": (choice_prompt, AnswerFormat(kind="choice", letters="ABCD")),
        "interval": (GROUNDING_TEMPLATE.format(description="a person stands up"), AnswerFormat(kind="interval", duration=60.0)),
        "counts": (COUNTING_QUESTION, AnswerFormat(kind="counts", count=3, maximum=16)),
    }
    prompt, answer_format = prompts[kind]
    return Sample(id="corpus", task="corpus", subtask=kind, messages=user_turn(None, [Part(type="text", text=prompt)]), target=TARGETS[kind], answer_format=answer_format)


def _numbers(text: str) -> list[float]:
    return [float(part) for part in text.replace(",", "-").split("-") if part]


def same_reading(kind: str, extracted: str | None, reads: Any) -> bool:
    """Whether viubench's extracted answer is the reader's (numbers compared as numbers)."""
    if reads is None or extracted is None:
        return reads is None and extracted is None
    if kind == "choice":
        return extracted == str(reads)
    expected, got = _numbers(str(reads)), _numbers(extracted)
    return len(expected) == len(got) and all(math.isclose(a, b, abs_tol=1e-6) for a, b in zip(expected, got))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT, help="the corpus (default: tests/data/reading_corpus.yaml)")
    parser.add_argument("--misreads", action="store_true", help="list the replies viubench reads otherwise")
    args = parser.parse_args()
    corpus = yaml.safe_load(args.corpus.read_text(encoding="utf-8"))
    samples = {kind: corpus_sample(kind, corpus["choice_prompt"]) for kind in TARGETS}
    total: Counter[str] = Counter()
    agreed: Counter[str] = Counter()
    for item in corpus["replies"]:
        kind = item["kind"]
        extracted = score_response(samples[kind], item["reply"]).extracted
        total[kind] += 1
        if same_reading(kind, extracted, item["reads"]):
            agreed[kind] += 1
        elif args.misreads:
            print(f"  {kind:8} {item['reply']!r}: read {extracted!r}, a reader takes {item['reads']!r}")
    for kind in TARGETS:
        print(f"{kind:8} {agreed[kind]:4d} of {total[kind]:4d} read as a careful reader would")
    print(f"{'all':8} {sum(agreed.values()):4d} of {sum(total.values()):4d}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
