"""What a benchmark publishes about itself beside its config: the name its tables print, its short
column labels, and the published figures the report can show beside runs (``viubench report
--reference``). A task plugin declares them on its :class:`viubench.task.registry.Task`; the report
reads them from there, so a third-party benchmark is placed and labelled like a built-in one."""

from __future__ import annotations

from pydantic import Field

from viubench.config import StrictModel
from viubench.video.spec import VideoSpec

PAPER_FRAMES = (32, 48, 64)  # the frame budgets the paper reports


class PaperFigure(StrictModel):
    """One published result of one model on the task (a percentage, as printed), at one frame budget."""

    model: str = Field(description="the model as the publication names it, e.g. 'Qwen3-VL-8B'")
    overall: float
    frames: int | None = Field(None, ge=1, description="the frames per video it was measured at; None: not stated (e.g. a closed model's own protocol, or stored frames)")
    subtasks: dict[str, float] = Field(default_factory=dict, description="per-subtask figures, by subtask name")
    groups: dict[str, float] = Field(default_factory=dict, description="the group averages the publication prints, by the task's group name (VIUBench: Counting, Grounding, Jigsaw)")
    recalls: dict[str, float] = Field(default_factory=dict, description="grounding: R@0.3/0.5/0.7 by key ('r@0.3'), where published")


class PaperFacts(StrictModel):
    """Where the task sits in the publication's tables and what it reports for it."""

    source: str = Field(description="the publication, e.g. 'VideoSSR (arXiv 2511.06281)'")
    column: int = Field(description="the task's position among the publication's columns (its domain's table shows them in this order)")
    figures: list[PaperFigure] = Field(default_factory=list, description="each (model, frames) once")


class Presentation(StrictModel):
    """How tables name a task: its display name and short labels of its subtasks (``{}``: the names)."""

    title: str
    columns: dict[str, str] = Field(default_factory=dict, description="subtask -> column label, e.g. counting_easy -> CE")

    def label(self, subtask: str) -> str:
        return self.columns.get(subtask, subtask)


def protocol_notes(video: VideoSpec, default: VideoSpec, budget: int | None, default_budget: int) -> list[str]:
    """How a run's protocol on a task differs from the one its published rows were measured with: a frame
    budget the paper does not report, pixel bounds or a generation budget other than the task's (empty:
    the same protocol, so its numbers stand beside the paper's)."""
    notes = []
    if not video.stored and video.max_frames not in PAPER_FRAMES:
        notes.append(f"{video.max_frames} frames (the paper reports {', '.join(map(str, PAPER_FRAMES))})")
    if not video.stored:
        for key in ("max_pixels", "min_pixels"):
            if getattr(video, key) != getattr(default, key):
                notes.append(f"{key} {getattr(video, key)} (the task's: {getattr(default, key)})")
    if budget is not None and budget != default_budget:
        notes.append(f"max_new_tokens {budget} (the task's: {default_budget})")
    return notes
