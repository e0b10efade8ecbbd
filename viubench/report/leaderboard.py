"""Leaderboards: runs merged into one row per model and protocol, and the regression gate for CI.

``leaderboard.json`` (schema ``viubench-leaderboard``, version 2)::

    {"schema": "viubench-leaderboard", "version": 2, "generator": "viubench X.Y.Z",
     "entries": [{
        "model": "qwen3-vl",                        # --model of the run(s)
        "protocol": {"frames": 48, "limit": null},  # the run settings that make numbers comparable
        "key": "qwen3-vl|frames=48|limit=None",     # one row per key
        "runs": ["qwen3-vl-1a2b3c4d5e"],
        "scores": {"viubench": {
            "overall": 19.5, "ci95": [18.2, 20.9], "n": 2700, "errors": 0, "parse_failures": 3,
            "subtasks": {"counting_easy": 13.8, ...},
            "protocol": {"video_spec": "...", "prompt": "...", "dataset": "..."},
            "overall_rule": "subtasks",             # v2: "samples" or "subtasks" (mean of subtask means)
            "dataset": {"dataset_items_sha256": "..."},  # v2: the data's identity, from the run manifest
            "per_sample": {"id": [...], "subtask": [...], "score": [...]}}}}]}  # v2: fractions, errors 0

Scores are in points (x100); ``per_sample`` holds the run's per-item scores as ``results.json`` does.
Version 1 files (no ``overall_rule``, ``dataset`` or ``per_sample``) are still read.

The gate (``check``) compares a leaderboard with a stored baseline. Every overall and subtask score of
the baseline is compared with the same score now; it is a regression when it is missing now, or when
it fell by more than the tolerance *and* the fall is statistically significant:

- items that pair (same data, same item ids): a paired randomisation test. Under "no change" each
  item's difference is as likely positive as negative; the p-value is the share of the 2^k sign
  assignments of the k changed items whose mean difference is at or below the observed one (exact up
  to 16 changed items, else 20,000 random assignments). A task whose overall score is the mean of its
  subtask means is tested on that mean, each subtask weighted alike.
- items that do not pair (different item ids, or different data allowed by --allow-dataset-change):
  the unpaired analogue, the two runs' scores pooled and relabelled at random (within each subtask).
- a side without per-sample scores (a version 1 file): the overall score fails only when the two
  stored 95% intervals do not overlap; its subtask scores cannot be tested and are reported as such.

The p-values of all scores the gate compares are judged together with Holm's procedure at a
family-wise level of 5% (one-sided): with per-sample scores on both sides, two runs of the same model
fail the gate at most 5% of the time, however many scores are compared. Every regression is printed
with its delta and the bootstrap 95% interval of the delta (paired when items pair); falls beyond the
tolerance that are not significant are printed as within noise, without that interval (with few items
the percentile bootstrap is narrower than the noise). With k changed items the smallest possible
p-value is 2^-k, so a score on a handful of items can only fail through the task's overall score.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from viubench import __version__
from viubench.config import validate_strict
from viubench.errors import UserError
from viubench.report.runs import RunView
from viubench.runner.results import RESAMPLES, mean_of_subtasks
from viubench.scoring.metrics import resampled_means

SCHEMA = "viubench-leaderboard"
VERSION = 2
READABLE_VERSIONS = (1, 2)
FAMILY_ALPHA = 0.05  # one-sided family-wise false-alarm rate of the gate
RANDOMISATIONS = 20_000  # random relabellings when exact enumeration is too large
EXACT_UP_TO = 16  # changed items up to which every sign assignment is enumerated
_CHUNK = 1_000_000  # values drawn per step of a randomisation (bounds memory)
_TIE = 1e-12  # a relabelled statistic this close to the observed one counts as "at or below"


class PerSample(BaseModel):
    """A run's per-item scores, columnar as in ``results.json`` (fractions; errors score 0)."""

    model_config = ConfigDict(extra="forbid")
    id: list[str]
    subtask: list[str]
    score: list[float]


class TaskScores(BaseModel):
    model_config = ConfigDict(extra="forbid")
    overall: float | None
    ci95: list[float] | None
    n: int
    errors: int
    parse_failures: int
    subtasks: dict[str, float | None]
    protocol: dict[str, Any]
    overall_rule: Literal["samples", "subtasks"] | None = None  # None in version 1 files
    dataset: dict[str, str] | None = None  # None in version 1 files
    per_sample: PerSample | None = None  # None in version 1 files

    def identity(self) -> dict[str, str]:
        """The data's identity (its SHA-256 fields); a version 1 file has the items hash in ``protocol``."""
        if self.dataset is not None:
            return self.dataset
        recorded = self.protocol.get("dataset")
        return {"dataset_items_sha256": recorded} if recorded else {}

    def table(self) -> dict[str, tuple[str, float]]:
        """id -> (subtask, score); empty without per-sample scores."""
        if self.per_sample is None:
            return {}
        columns = self.per_sample
        return dict(zip(columns.id, zip(columns.subtask, columns.score)))


class Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    model: str
    protocol: dict[str, Any]
    key: str
    runs: list[str]
    scores: dict[str, TaskScores]


class Leaderboard(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    schema_name: str = Field(SCHEMA, alias="schema")
    version: int = VERSION
    generator: str = f"viubench {__version__}"
    entries: list[Entry] = []

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


def entry_key(model: str, protocol: dict[str, Any]) -> str:
    return f"{model}|frames={protocol['frames']}|limit={protocol['limit']}"


def run_entry(run: RunView) -> Entry:
    protocol = {"frames": run.frames, "limit": run.manifest["config"].get("limit")}
    scores = {}
    for task, result in run.results.items():
        overall = result["overall"]
        details = run.protocol(task)
        table = run.scores(task)
        recorded = run.manifest["tasks"].get(task, {}).get("dataset") or {}
        scores[task] = TaskScores(
            overall=overall["score"],
            ci95=overall["ci95"],
            n=overall["n"],
            errors=overall["errors"],
            parse_failures=overall["parse_failures"],
            subtasks={name: block["score"] for name, block in result["subtasks"].items()},
            protocol={k: details[k] for k in ("video_spec", "prompt", "dataset")},
            overall_rule=result.get("overall_rule", "samples"),
            dataset={k: v for k, v in recorded.items() if k.endswith("sha256")},
            per_sample=PerSample(id=list(table), subtask=[s for s, _ in table.values()], score=[v for _, v in table.values()]),
        )
    return Entry(model=run.model, protocol=protocol, key=entry_key(run.model, protocol), runs=[run.run_id], scores=scores)


def load_leaderboard(path: Path) -> Leaderboard:
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise UserError(f"{path}: not a readable leaderboard ({error})") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA or data.get("version") not in READABLE_VERSIONS:
        raise UserError(f"{path}: not a {SCHEMA} file of version {' or '.join(map(str, READABLE_VERSIONS))}")
    return validate_strict(Leaderboard, data, str(path))


@dataclass
class Merged:
    board: Leaderboard
    warnings: list[str]  # one line per row that got runs from two inputs


def merge(inputs: list[Path]) -> Merged:
    """Run directories and leaderboard files into one leaderboard; a later input wins per task."""
    rows: dict[str, Entry] = {}
    warnings = []
    for path in inputs:
        found = load_leaderboard(path).entries if path.is_file() else [run_entry(RunView.load(path))]
        for entry in found:
            row = rows.get(entry.key)
            if row is None:
                rows[entry.key] = entry.model_copy(deep=True)
                continue
            new = [r for r in entry.runs if r not in row.runs]
            if new:
                replaced = sorted(set(row.scores) & set(entry.scores))
                outcome = f"the {', '.join(replaced)} scores of {path} replace the earlier ones" if replaced else "their tasks are combined"
                warnings.append(f"warning: runs {', '.join(row.runs)} and {', '.join(new)} share the leaderboard row {entry.key}: {outcome}")
            row.scores.update(entry.scores)
            row.runs += new
    board = Leaderboard(version=VERSION, entries=sorted(rows.values(), key=lambda e: e.key))
    return Merged(board, warnings)


# --- the gate ---------------------------------------------------------------------------------


@dataclass
class Finding:
    """One baseline score compared with the same score now."""

    key: str
    task: str
    score: str  # "overall" or a subtask
    baseline: float
    current: float | None  # None: missing now
    method: Literal["paired", "unpaired", "intervals", "untested", "missing"]
    delta: float | None = None  # points: now - baseline (paired: over the shared items)
    interval: tuple[float, float] | None = None  # 95% interval of the delta, points (bootstrap; or from the stored intervals)
    items: int = 0  # items compared (pairs, or both runs' items together)
    p: float | None = None  # one-sided p-value of a drop
    level: float | None = None  # Holm's level for this p-value
    significant: bool = False
    regression: bool = False

    @property
    def name(self) -> str:
        return f"{self.key} {self.task}/{self.score}"

    def describe(self) -> str:
        if self.current is None:
            return f"{self.name}: missing (baseline {self.baseline:.1f})"
        head = f"{self.name}: {self.current:.1f} vs baseline {self.baseline:.1f}, delta {self.delta:+.1f} points"
        if self.method == "untested":
            return f"{head} (not testable: no per-sample scores)"
        if self.method == "intervals":
            low, high = self.interval or (float("nan"), float("nan"))
            overlap = "do not overlap" if self.significant else "overlap"
            return f"{head}; the stored 95% intervals {overlap}: delta between {low:+.1f} and {high:+.1f} (no per-sample scores)"
        if not self.significant:
            # the bootstrap interval is left out: with few items it is narrower than the noise the test allows for
            return f"{head} ({self.method}, {self.items} items), p={self.p:.2g}: not significant after Holm's correction"
        low, high = self.interval or (float("nan"), float("nan"))
        return f"{head}, 95% interval [{low:+.1f}, {high:+.1f}] ({self.method}, {self.items} items), p={self.p:.2g} <= Holm level {self.level:.2g}"


@dataclass
class GateResult:
    tolerance: float
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # one line each: pairing fallbacks, untested scores

    @property
    def regressions(self) -> list[Finding]:
        return [f for f in self.findings if f.regression]

    @property
    def within_noise(self) -> list[Finding]:
        """Falls larger than the tolerance that are not significant (or not testable)."""
        return [f for f in self.findings if not f.regression and f.delta is not None and f.delta < -self.tolerance]

    def count(self, method: str) -> int:
        return sum(f.method == method for f in self.findings)


def check(current: Leaderboard, baseline: Leaderboard, tolerance: float, allow_dataset_change: bool = False) -> GateResult:
    """Every baseline score that is missing now, or fell by more than ``tolerance`` points significantly."""
    now = {e.key: e for e in current.entries}
    pairs = []
    for entry in baseline.entries:
        for task, before in entry.scores.items():
            after = now[entry.key].scores.get(task) if entry.key in now else None
            pairs.append((entry.key, task, before, after))
    changed = [(key, task, before, after) for key, task, before, after in pairs if after is not None and _other_data(before, after)]
    if changed and not allow_dataset_change:
        key, task, before, after = changed[0]
        more = f" (and {len(changed) - 1} more)" if len(changed) > 1 else ""
        raise UserError(
            f"{key} {task} was evaluated on other data than the baseline ({_describe_identity(after)} here, "
            f"{_describe_identity(before)} in the baseline){more}: "
            "gate against a baseline of the same data, or pass --allow-dataset-change"
        )
    result = GateResult(tolerance)
    for key, task, before, after in pairs:
        if after is None:
            if before.overall is not None:
                result.findings.append(Finding(key, task, "overall", before.overall, None, "missing", regression=True))
            continue
        if _other_data(before, after):
            result.notes.append(f"note: {key} {task}: other data than the baseline (--allow-dataset-change): compared unpaired")
        result.findings += _compare_task(key, task, before, after)
    tested = [f for f in result.findings if f.p is not None]
    for finding, (significant, level) in zip(tested, holm([f.p for f in tested], FAMILY_ALPHA)):
        finding.significant, finding.level = significant, level
    for finding in result.findings:
        if finding.method != "missing":
            finding.regression = finding.significant and finding.delta is not None and finding.delta < -tolerance
    untested = result.count("untested")
    if untested:
        result.notes.append(
            f"note: {untested} score(s) not tested: the baseline or the current leaderboard has no per-sample scores "
            f"(a version 1 file; rebuild it with this version of viubench)"
        )
    return result


def _other_data(before: TaskScores, after: TaskScores) -> bool:
    """Both sides identify their data and the identities differ."""
    ours, theirs = after.identity(), before.identity()
    shared = set(ours) & set(theirs)
    return any(ours[k] != theirs[k] for k in shared)


def _describe_identity(scores: TaskScores) -> str:
    return ", ".join(f"{k.removesuffix('_sha256').replace('_', ' ')} sha256 {v[:12]}" for k, v in sorted(scores.identity().items()))


def _compare_task(key: str, task: str, before: TaskScores, after: TaskScores) -> list[Finding]:
    theirs, ours = before.table(), after.table()
    stratified = (after.overall_rule or before.overall_rule) == "subtasks"
    same_data = not _other_data(before, after)
    findings = []
    names: list[tuple[str, float | None, float | None]] = [("overall", before.overall, after.overall)]
    names += [(name, value, after.subtasks.get(name)) for name, value in before.subtasks.items()]
    for name, then, now in names:
        if then is None:
            continue
        if now is None:
            findings.append(Finding(key, task, name, then, None, "missing", regression=True))
            continue
        finding = Finding(key, task, name, then, now, "untested", delta=now - then)
        wanted = None if name == "overall" else name
        if ours and theirs:
            _randomisation(finding, _select(theirs, wanted), _select(ours, wanted), stratified and wanted is None, same_data)
        elif name == "overall" and before.ci95 and after.ci95:
            finding.method = "intervals"
            finding.interval = (after.ci95[0] - before.ci95[1], after.ci95[1] - before.ci95[0])
            finding.significant = finding.interval[1] < 0
        findings.append(finding)
    return findings


def _select(table: dict[str, tuple[str, float]], subtask: str | None) -> dict[str, tuple[str, float]]:
    return {ident: row for ident, row in table.items() if subtask is None or row[0] == subtask}


def _randomisation(finding: Finding, theirs: dict[str, tuple[str, float]], ours: dict[str, tuple[str, float]], stratified: bool, same_data: bool) -> None:
    """Fill in the paired test (shared items of the same data) or else the unpaired one."""
    shared = sorted(set(theirs) & set(ours)) if same_data else []
    if shared:
        groups: dict[str, list[float]] = {}
        for ident in shared:
            groups.setdefault(ours[ident][0] if stratified else "all", []).append(ours[ident][1] - theirs[ident][1])
        differences = [np.asarray(g, dtype=float) for g in groups.values()]
        delta, (low, high) = mean_of_subtasks([g.tolist() for g in differences])
        finding.method, finding.items, finding.p = "paired", len(shared), sign_flip_p(differences)
    else:
        now, then = _strata(ours, stratified), _strata(theirs, stratified)
        common = sorted(set(now) & set(then))
        if not common:
            return
        current, base = [now[s] for s in common], [then[s] for s in common]
        delta = float(np.mean([c.mean() - b.mean() for c, b in zip(current, base)]))
        low, high = unpaired_interval(current, base)
        finding.method, finding.items, finding.p = "unpaired", sum(map(len, current)) + sum(map(len, base)), permutation_p(current, base)
    finding.delta, finding.interval = 100 * delta, (100 * low, 100 * high)


def _strata(table: dict[str, tuple[str, float]], stratified: bool) -> dict[str, np.ndarray]:
    groups: dict[str, list[float]] = {}
    for subtask, score in table.values():
        groups.setdefault(subtask if stratified else "all", []).append(score)
    return {name: np.asarray(values, dtype=float) for name, values in groups.items()}


# --- statistics of the gate -------------------------------------------------------------------


def sign_flip_p(differences: list[np.ndarray], randomisations: int = RANDOMISATIONS, seed: int = 0) -> float:
    """One-sided p-value of a drop in the mean of group means of paired differences (now - before).

    Under "no change" each difference is as likely positive as negative: the p-value is the share of
    sign assignments whose statistic is at or below the observed one. Exact (every assignment of the
    changed items) up to ``EXACT_UP_TO`` changed items, else ``randomisations`` random assignments
    ((hits + 1) / (randomisations + 1), never 0). 1.0 when nothing changed.
    """
    weights = np.concatenate([d / (len(d) * len(differences)) for d in differences if len(d)])
    weights = weights[weights != 0]
    size = len(weights)
    if size == 0:
        return 1.0
    observed = float(weights.sum()) + _TIE
    if size <= EXACT_UP_TO:
        signs = 1 - 2 * ((np.arange(2**size)[:, None] >> np.arange(size)) & 1)
        return float(np.mean(signs @ weights <= observed))
    rng = np.random.default_rng(seed)
    hits = 0
    rows_per_chunk = max(1, _CHUNK // size)
    for first in range(0, randomisations, rows_per_chunk):
        rows = min(rows_per_chunk, randomisations - first)
        signs = 1 - 2 * rng.integers(0, 2, size=(rows, size), dtype=np.int8)
        hits += int(np.count_nonzero(signs @ weights <= observed))
    return (hits + 1) / (randomisations + 1)


def permutation_p(current: list[np.ndarray], baseline: list[np.ndarray], randomisations: int = RANDOMISATIONS, seed: int = 0) -> float:
    """One-sided p-value of a drop in the mean over groups of (mean now - mean before), unpaired.

    Under "no change" the two runs' scores of a group are exchangeable: they are pooled and relabelled
    at random within each group, ``randomisations`` times; (hits + 1) / (randomisations + 1).
    """
    observed = float(np.mean([c.mean() - b.mean() for c, b in zip(current, baseline)])) + _TIE
    rng = np.random.default_rng(seed)
    hits = 0
    rows_per_chunk = max(1, _CHUNK // sum(len(c) + len(b) for c, b in zip(current, baseline)))
    for first in range(0, randomisations, rows_per_chunk):
        rows = min(rows_per_chunk, randomisations - first)
        statistic = np.zeros(rows)
        for now, then in zip(current, baseline):
            pooled = rng.permuted(np.tile(np.concatenate([now, then]), (rows, 1)), axis=1)
            statistic += pooled[:, : len(now)].mean(axis=1) - pooled[:, len(now) :].mean(axis=1)
        hits += int(np.count_nonzero(statistic / len(current) <= observed))
    return (hits + 1) / (randomisations + 1)


def unpaired_interval(current: list[np.ndarray], baseline: list[np.ndarray], seed: int = 0) -> tuple[float, float]:
    """Bootstrap 95% interval of the mean over groups of (mean now - mean before), each side resampled apart."""
    rng = np.random.default_rng(seed)
    draws = np.zeros(RESAMPLES)
    for now, then in zip(current, baseline):
        draws += resampled_means(now, RESAMPLES, rng) - resampled_means(then, RESAMPLES, rng)
    draws /= len(current)
    return float(np.percentile(draws, 2.5)), float(np.percentile(draws, 97.5))


def holm(p_values: list[float], alpha: float) -> list[tuple[bool, float]]:
    """Holm's step-down procedure: (rejected, level) per p-value; family-wise error at most ``alpha``.

    The i-th smallest p-value (from 0) is compared with alpha / (m - i); testing stops at the first
    that is not below its level, and every later one keeps its level but is not rejected.
    """
    order = sorted(range(len(p_values)), key=p_values.__getitem__)
    out = [(False, alpha)] * len(p_values)
    going = True
    for rank, index in enumerate(order):
        level = alpha / (len(p_values) - rank)
        going = going and p_values[index] <= level
        out[index] = (going, level)
    return out
