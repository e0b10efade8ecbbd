"""The regression gate of CI: a leaderboard compared with a stored baseline.

``check`` compares a leaderboard with a stored baseline. Every overall and subtask score of
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

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from viubench.errors import UserError
from viubench.report.leaderboard import Leaderboard, TaskScores, key_in_words
from viubench.runner.results import mean_of_subtasks
from viubench.scoring.significance import holm, permutation_p, sign_flip_p, unpaired_interval

FAMILY_ALPHA = 0.05  # one-sided family-wise false-alarm rate of the gate

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
        return f"{self.task}/{self.score} of {key_in_words(self.key)}"

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
            f"{task} of {key_in_words(key)} was evaluated on other data than the baseline ({_describe_identity(after)} here, "
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
            result.notes.append(f"note: {task} of {key_in_words(key)}: other data than the baseline (--allow-dataset-change): compared unpaired")
        if before.protocol.get("judge") != after.protocol.get("judge"):  # judged by another judge, or one side not at all
            result.notes.append(
                f"note: {task} of {key_in_words(key)}: judged by {after.protocol.get('judge') or 'no judge'} here, "
                f"{before.protocol.get('judge') or 'no judge'} in the baseline: not compared (judged scores depend on the judge)"
            )
            continue
        for side, scores in (("here", after), ("in the baseline", before)):
            if scores.errors_exceed_share is not None:
                result.notes.append(
                    f"note: {task} of {key_in_words(key)}: errors in {100 * scores.errors / max(1, scores.n):.0f}% of the samples {side} "
                    f"(more than {100 * scores.errors_exceed_share:g}%): that score is not the model's ability"
                )
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
