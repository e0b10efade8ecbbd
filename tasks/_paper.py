"""The VideoSSR paper's figures (arXiv 2511.06281), for the built-in tasks to declare: each task module
holds its own row. Downstream results are at 48 frames, Qwen3-VL-8B-Instruct before and after VideoSSR."""

from __future__ import annotations

from viubench.task.facts import PaperFacts, PaperFigure

SOURCE = "VideoSSR (arXiv 2511.06281)"
BASE, TRAINED = "Qwen3-VL-8B", "VideoSSR-8B"


def downstream(column: int, base: float, trained: float) -> PaperFacts:
    """A downstream benchmark's paper row: its column in the paper's tables, and both models' figures."""
    return PaperFacts(source=SOURCE, column=column, figures=[PaperFigure(model=BASE, overall=base), PaperFigure(model=TRAINED, overall=trained)])
