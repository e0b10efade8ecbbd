"""The journal line of one sample, typed: :class:`SampleRecord`, the one definition that the engine writes
and results, the judge, reports and the lmms-eval interop read.

A record is *answered* (the model returned text, or an error while generating) or *unanswered* (an
unreadable data row, or media that failed before the model saw the sample). Fields that only one kind
of record carries are left out of its line (``exclude_unset``), so journal lines keep the keys, and the
order, they always had.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt

from viubench.backends.base import ErrorInfo, Response
from viubench.task.kinds import score_response
from viubench.task.sample import Sample, UnreadableSample

Number = StrictInt | StrictFloat  # never a bool or a string; an int stays an int, so lines keep their bytes
# a score: a finite number in [0, 1] (checked by pydantic's core: a journal of a million lines is read in seconds)
Fraction = Annotated[StrictInt, Field(ge=0, le=1)] | Annotated[StrictFloat, Field(ge=0, le=1, allow_inf_nan=False)]


class ErrorRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str  # data, media, model, ... (``ErrorInfo.kind``)
    message: str


class Timings(BaseModel):
    model_config = ConfigDict(extra="allow")

    media_s: Number = 0.0
    model_s: Number = 0.0


class SampleRecord(BaseModel):
    """One line of ``samples/TASK.jsonl``. ``score`` is in [0, 1]; an errored sample scores 0."""

    model_config = ConfigDict(extra="allow")  # what a later version adds survives a rewrite of the journal

    id: str
    subtask: str
    score: Fraction = 0.0
    prompt_hash: str | None = None
    target: str | None = None
    response: str | None = None
    error: ErrorRecord | None = None
    extracted: Any = None
    parse_failed: bool = False
    paper_score: Fraction | None = None  # None: left out of the paper-compatible denominator
    metrics: dict[str, Number] | None = None
    timings: Timings = Field(default_factory=Timings)
    question: str | None = None  # what a person reviewing the sample needs: the question text ...
    previews: list[str] | None = None  # ... and where its frames are
    target_adjusted: str | None = None  # why the loader corrected the ground truth
    judge_context: Any = None  # what a judge needs beyond question, target and response
    usage: dict[str, Any] | None = None  # the backend's token usage
    model_prompt: Any = None  # the prompt as the backend rendered it, where it says
    reasoning_chars: StrictInt | None = None  # the length of the reasoning set aside before the answer was read
    decode_mode: list[str] | None = None  # how the sample's videos were decoded
    finish_reason: str | None = None  # why generation stopped, journaled when not a plain stop ("length": cut by the budget)

    @property
    def failed(self) -> bool:
        return self.error is not None

    def line(self) -> dict[str, Any]:
        """The JSON object journaled for this record."""
        return self.model_dump(mode="json", exclude_unset=True)


def prompt_hash(sample: Sample) -> str:
    payload = json.dumps([m.model_dump(mode="json") for m in sample.messages], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def unanswered_record(sample: Sample | UnreadableSample, error: ErrorInfo | None, media_seconds: float = 0.0) -> SampleRecord:
    """The record of a sample that never reached the model: an unreadable row (its data error), or a
    sample stopped by ``error`` (its media, or a lost Ray replica)."""
    if isinstance(sample, UnreadableSample):
        return _base(sample.id, sample.subtask, None, None, ErrorInfo("data", sample.error), media_seconds, 0.0)
    record = _base(sample.id, sample.subtask, prompt_hash(sample), sample.target, error, media_seconds, 0.0)
    _add_shown(record, sample)
    return record


def answered_record(sample: Sample, response: Response, media_seconds: float, model_seconds: float, decode_mode: list[str] | None = None) -> SampleRecord:
    """The record of a sample the model answered (or failed to): the response scored by the sample's kind."""
    record = _base(sample.id, sample.subtask, prompt_hash(sample), sample.target, response.error, media_seconds, model_seconds)
    _add_shown(record, sample)
    record.usage = response.usage or None
    record.model_prompt = response.prompt
    if response.error is None:
        scored = score_response(sample, response.text or "")
        record.response = response.text
        record.extracted = scored.extracted
        record.parse_failed = scored.parse_failed
        record.score = scored.score
        record.paper_score = scored.paper_score
        record.metrics = scored.metrics or None
        record.reasoning_chars = scored.reasoning_chars
    if decode_mode is not None:
        record.decode_mode = decode_mode
    if response.finish_reason not in (None, "stop"):
        record.finish_reason = response.finish_reason
    return record


CUT = "length"  # the finish reason of an answer cut by the generation budget


def _add_shown(record: SampleRecord, sample: Sample) -> None:
    """What a person reviewing the sample needs (the question text, where its frames are); what the
    loader changed about its ground truth (``metadata["target_adjusted"]``: the reason, e.g. an interval
    clamped to the video), journaled and counted in the results; and what a judge of it needs beyond
    question, target and response (``metadata["judge_context"]``, e.g. VCR-Bench's reference steps)."""
    text = "".join(part.text or "" for message in sample.messages if message.role == "user" for part in message.content)
    previews = [ref.frames[len(ref.frames) // 2] for ref in sample.videos() if ref.frames]
    record.question = text[:4000]
    record.previews = previews[:8]
    reason = sample.metadata.get("target_adjusted")
    if reason:
        record.target_adjusted = str(reason)
    if sample.metadata.get("judge_context"):
        record.judge_context = sample.metadata["judge_context"]


def _base(ident: str, subtask: str, prompt: str | None, target: str | None, error: ErrorInfo | None, media_s: float, model_s: float) -> SampleRecord:
    return SampleRecord(
        id=ident,
        subtask=subtask,
        score=0.0,
        prompt_hash=prompt,
        target=target,
        response=None,
        error=None if error is None else ErrorRecord(kind=error.kind, message=error.message),
        extracted=None,
        parse_failed=False,
        paper_score=None,
        metrics=None,
        timings=Timings(media_s=round(media_s, 4), model_s=round(model_s, 4)),
    )
