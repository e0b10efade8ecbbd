"""A task's declarative configuration and its VideoSpec (owned by the task, never by a backend)."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from viubench.config import StrictModel
from viubench.video.spec import VideoSpec


class DataSource(StrictModel):
    """Where a task's data comes from: a local folder in the published layout, or the hub."""

    hub_id: str | None = None
    hub_revision: str | None = None
    description: str = ""


class PairRule(StrictModel):
    """Items that are scored together: a pair (or any fixed-size group) scores 1 iff every member scores 1.

    A member's pair key is read from its sample id: ``pattern`` must match the whole id, and its group
    named ``pair`` (else its first group) is the key. Ids that do not match are not members."""

    pattern: str = Field(description="regular expression matching a member's whole sample id; its group 'pair' (or first group) is the pair key")
    size: int = Field(2, ge=2, description="members of a complete pair; an incomplete pair is left out and counted")

    @field_validator("pattern")
    @classmethod
    def _one_group(cls, pattern: str) -> str:
        try:
            compiled = re.compile(pattern)
        except re.error as error:
            raise ValueError(f"not a regular expression ({error})") from None
        if compiled.groups < 1:
            raise ValueError("the pattern needs a group that captures the pair key")
        return pattern

    def key(self, ident: str) -> str | None:
        """The pair key of ``ident``; None when it is not a member."""
        match = re.fullmatch(self.pattern, ident)
        if match is None:
            return None
        return match.group("pair") if "pair" in match.re.groupindex else match.group(1)


AggregateRule = Literal["samples", "subtasks", "groups", "pairs"]


class Aggregate(StrictModel):
    """A score computed beside the overall one (results.json ``aggregates``, a column of the console table).

    ``samples``: the mean score over the units of ``members`` (subtasks; all when empty); ``subtasks``:
    the unweighted mean of those subtasks' scores; ``groups``: the unweighted mean of the scores of the
    task's ``groups`` named in ``members`` (all when empty); ``pairs``: the share of complete pairs of
    ``pairs`` (over the items of ``members``) whose members all score 1. The units are the task's items,
    or its pairs when its ``overall`` is ``pairs``."""

    rule: AggregateRule
    members: list[str] = Field(default_factory=list)
    pairs: PairRule | None = None
    description: str = ""

    @model_validator(mode="after")
    def _pairs_given(self) -> "Aggregate":
        if (self.rule == "pairs") != (self.pairs is not None):
            raise ValueError("give 'pairs' with rule 'pairs', and only then")
        return self


# Fields added after runs were recorded: left out of the fingerprint while at their default, so the
# fingerprints of tasks that do not use them stay what earlier versions recorded.
_NEW_FIELDS = {"pairs": None, "aggregates": {}, "judge": None}


class TaskConfig(StrictModel):
    name: str
    version: int = 1
    kind: Literal["mcq", "grounding", "viubench", "mixed"]  # mixed: items of several answer kinds (VCR-Bench)
    domain: str
    metric: str
    description: str
    data: DataSource = DataSource()
    video: VideoSpec = VideoSpec()
    system: str | None = None
    prompt: str
    max_new_tokens: int = 64
    overall: Literal["samples", "subtasks", "pairs"] = Field(
        "samples", description="overall score: mean over samples, unweighted mean of subtasks, or share of pairs all right (see pairs)"
    )
    pairs: PairRule | None = Field(None, description="with overall 'pairs': which items pair up; every score of the task is then over pairs")
    subtasks: list[str] = Field(default_factory=list, description="display order of subtasks")
    groups: dict[str, list[str]] = Field(default_factory=dict, description="named averages over subtasks (VIUBench task averages, the Video-MME Long subset)")
    aggregates: dict[str, Aggregate] = Field(default_factory=dict, description="other scores of the whole task, reported beside the overall one")
    judge: str | None = Field(None, description="the judge protocol of the task's judged metrics (viubench.judge), e.g. 'vcr-bench'; scored by its judge (eval --judge)")

    @model_validator(mode="after")
    def _rules_complete(self) -> "TaskConfig":
        if (self.overall == "pairs") != (self.pairs is not None):
            raise ValueError("give 'pairs' with overall 'pairs', and only then")
        for name, aggregate in self.aggregates.items():
            unknown = [m for m in aggregate.members if m not in (self.groups if aggregate.rule == "groups" else self.subtasks)]
            if unknown:
                what = "group" if aggregate.rule == "groups" else "subtask"
                raise ValueError(f"aggregate {name!r} names {what} {unknown[0]!r}, which the task does not declare")
        return self

    def fingerprint(self) -> str:
        dumped = self.model_dump(mode="json")
        for field, default in _NEW_FIELDS.items():
            if dumped.get(field) == default:
                dumped.pop(field)
        if not dumped["video"]["last_frame"]:  # added later too
            dumped["video"].pop("last_frame")
        payload = json.dumps(dumped, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]
