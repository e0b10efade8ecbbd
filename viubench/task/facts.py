"""What a benchmark publishes about itself beside its config: the name its tables print, its short
column labels, and the published figures the report can show beside runs (``viubench report
--reference``). A task plugin declares them on its :class:`viubench.task.registry.Task`; the report
reads them from there, so a third-party benchmark is placed and labelled like a built-in one."""

from __future__ import annotations

from pydantic import Field

from viubench.config import StrictModel


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
