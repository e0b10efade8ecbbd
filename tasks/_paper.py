"""The VideoSSR paper's figures (arXiv 2511.06281), for the built-in tasks to declare: each task module
holds its own rows. Downstream results (Tables 2 and 3) are Qwen3-VL-8B-Instruct before and VideoSSR-8B
after training, at 32, 48 and 64 frames, with GPT-4o and Gemini-1.5-Pro as the paper quotes them (no frame
count stated); the four grounding benchmarks add the appendix's R@0.3/0.5/0.7 (Tables 6 and 7)."""

from __future__ import annotations

from viubench.task.facts import PaperFacts, PaperFigure

SOURCE = "VideoSSR (arXiv 2511.06281)"
BASE, TRAINED = "Qwen3-VL-8B", "VideoSSR-8B"
GPT4O, GEMINI = "GPT-4o", "Gemini-1.5-Pro"
FRAMES = (32, 48, 64)  # the frame budgets of Tables 2 and 3, in the order the figures below are given
RECALL_KEYS = ("r@0.3", "r@0.5", "r@0.7")

Triple = tuple[float, float, float]  # one figure at 32, 48 and 64 frames
Recalls = tuple[Triple, Triple, Triple]  # (R@0.3, R@0.5, R@0.7) at 32, then 48, then 64 frames (the appendix rows)


def downstream(column: int, base: Triple, trained: Triple, gpt4o: float | None = None, gemini: float | None = None) -> PaperFacts:
    """A downstream benchmark's paper rows: its column in the paper's tables, both models' figures at 32,
    48 and 64 frames, and GPT-4o's and Gemini-1.5-Pro's where the paper quotes them."""
    figures = [PaperFigure(model=model, overall=value, frames=frames) for model, values in ((BASE, base), (TRAINED, trained)) for frames, value in zip(FRAMES, values)]
    figures += [PaperFigure(model=model, overall=value) for model, value in ((GPT4O, gpt4o), (GEMINI, gemini)) if value is not None]
    return PaperFacts(source=SOURCE, column=column, figures=figures)


def grounding(column: int, base: Triple, base_recalls: Recalls, trained: Triple, trained_recalls: Recalls, gpt4o: float | None = None) -> PaperFacts:
    """A grounding benchmark's paper rows: mIoU (Table 3) with R@0.3/0.5/0.7 (the appendix) at each frame
    budget, and GPT-4o's mIoU where the paper quotes it."""
    facts = downstream(column, base, trained, gpt4o)
    recalls = {BASE: base_recalls, TRAINED: trained_recalls}
    figures = [
        figure.model_copy(update={"recalls": dict(zip(RECALL_KEYS, recalls[figure.model][FRAMES.index(figure.frames)]))})
        if figure.model in recalls and figure.frames is not None
        else figure
        for figure in facts.figures
    ]
    return facts.model_copy(update={"figures": figures})
