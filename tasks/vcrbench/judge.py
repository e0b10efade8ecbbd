"""VCR-Bench's judged metrics (docs/judge.md): accuracy and the reasoning-step score.

Accuracy follows the benchmark's official evaluation: the judge reads the final answer out of the
response (``extract``); a time span is then right when its IoU with the reference span is above 0.7, a
region when its IoU with the reference box is above 0.5, an option letter when it is the reference
letter; anything else (free text, or a span or box the judge could not read as one) goes to the judge
for a right/wrong verdict (``match``). Our choice: an option letter is compared directly rather than
by a second judge call (the comparison of two letters needs no judgement).

The step score compares the response's reasoning with the reference steps: the judge splits the
response into steps, types each (describing the video, inferring, or recalling background
knowledge) and marks it as matching a reference step, wrong, or redundant (``precision``: matched
over the description and inference steps; a response with none scores 0); and it marks each
reference step as found in the response or not (``recall``). ``step_f1`` is the harmonic mean of the
mean precision and the mean recall, as the official code computes it; the paper's "Step" column is
most likely this F1 (the paper does not say which).

The prompts are our own wording; ``version`` changes with any prompt or parsing change, and judge
verdicts of another version are never reused.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from viubench.judge.protocol import DATA_NOTE, JudgeCall, JudgeParseError, JudgeProtocol, json_object, quoted
from viubench.scoring.extract import extract_box, extract_number_list
from viubench.scoring.metrics import box_iou, interval_iou
from viubench.task.kinds import target_box, target_windows

if TYPE_CHECKING:
    from viubench.rundir.record import SampleRecord

INTERVAL_PASS = 0.7  # official eval.py: a time span is right when its IoU is strictly above 0.7
BOX_PASS = 0.5  # ... a box when its IoU is strictly above 0.5
STEP_TYPES = ("description", "inference", "background")
RESPONSE_TOKENS = 4096  # of a model's reply, forwarded into a judge prompt (a reasoning reply fits; a flood does not)
PRECISION_TYPES = ("description", "inference")

FORMATS = {
    "choice": 'the letter of the option the model chose, e.g. "B" ("Z" when it chose none)',
    "interval": 'the time span it gives, as "[start, end]" in seconds',
    "box": 'the region it gives, as "[x1, y1, x2, y2]"',
    "text": "its final answer in a few words (\"none\" when it gives none)",
}

EXTRACT = DATA_NOTE + """\n\nYou are grading a model's answer to a question about a video. Your only job now is to find the final answer the model gave.

Question:
{question}

The model's answer, quoted:
{response}

Report {format}. Do not judge whether it is right. Reply with a JSON object: {{"answer": "..."}}"""

MATCH = DATA_NOTE + """\n\nYou are grading a model's answer to a question about a video against the reference answer.

Question:
{question}

Reference answer: {reference}
The model's final answer, quoted:
{extracted}

Does the model's final answer mean the same as the reference answer? Wording may differ; the substance must agree. Reply with a JSON object: {{"correct": 1}} or {{"correct": 0}}"""

PRECISION = DATA_NOTE + """\n\nYou are grading the reasoning in a model's answer to a question about a video. The reference reasoning steps are:
{reference}

The model's answer, quoted:
{response}

Split the model's answer into its reasoning steps. For each step give its type: "description" (it states what the video shows), "inference" (it draws a conclusion) or "background" (it recalls knowledge from outside the video); and your judgement: "matched" (a reference step says the same), "wrong" (it contradicts the video or the reference steps) or "redundant" (neither). Reply with a JSON object: {{"steps": [{{"step": "...", "type": "...", "judgement": "..."}}]}} (an empty list when the answer has no reasoning)"""

RECALL = DATA_NOTE + """\n\nYou are grading the reasoning in a model's answer to a question about a video. The model's answer, quoted:
{response}

For each of these {count} reference steps, say whether the model's answer contains it (the same observation or conclusion, in any wording): "matched" or "unmatched".
{reference}

Reply with a JSON object with one entry per reference step, in order: {{"steps": [{{"step": 1, "judgement": "..."}}]}}"""


class VCRBenchJudge(JudgeProtocol):
    name = "vcr-bench"
    version = "vcr-bench-judge/2"  # 2: untrusted text quoted in blocks it cannot close, the data note
    metrics = {
        "accuracy": "share of answers right (judge-extracted; spans by IoU > 0.7, boxes by IoU > 0.5, the rest by the judge)",
        "step_precision": "reasoning steps of the response that match a reference step, over its description and inference steps",
        "step_recall": "reference reasoning steps found in the response",
        "step_f1": "harmonic mean of the mean step precision and the mean step recall",
    }

    def calls(self, record: SampleRecord, verdicts: dict[str, Any]) -> list[JudgeCall]:
        context = record.judge_context or {}
        response = quoted("ANSWER", str(record.response or ""), RESPONSE_TOKENS)
        question = str(context.get("question", record.question or ""))
        steps = [str(step) for step in context.get("reasoning") or []]
        calls = [JudgeCall("extract", EXTRACT.format(question=question, response=response, format=FORMATS.get(context.get("kind"), FORMATS["text"])), 64)]
        if "extract" in verdicts and self._rule_verdict(record, verdicts["extract"]) is None:
            extracted = quoted("EXTRACTED", str(verdicts["extract"]), 64)  # what the extract call may return, no more
            calls.append(JudgeCall("match", MATCH.format(question=question, reference=context.get("answer", record.target), extracted=extracted), 16))
        if steps:
            reference = "\n".join(f"{i}. {_unnumbered(step)}" for i, step in enumerate(steps, start=1))
            calls.append(JudgeCall("precision", PRECISION.format(reference=reference, response=response), 1024))
            calls.append(JudgeCall("recall", RECALL.format(reference=reference, response=response, count=len(steps)), 512, expected=len(steps)))
        return calls

    def parse(self, call: JudgeCall, output: str) -> Any:
        value = json_object(output)
        if call.name == "extract":
            answer = value.get("answer")
            if not isinstance(answer, (str, int, float)) or isinstance(answer, bool):
                raise JudgeParseError('no "answer" string')
            return str(answer).strip()
        if call.name == "match":
            correct = value.get("correct")
            if isinstance(correct, bool) or correct in (0, 1, "0", "1"):
                return int(correct)
            raise JudgeParseError('"correct" is not 0 or 1')
        steps = value.get("steps")
        if not isinstance(steps, list) or not all(isinstance(step, dict) for step in steps):
            raise JudgeParseError('no "steps" list')
        if call.name == "precision":
            for step in steps:
                if step.get("type") not in STEP_TYPES or step.get("judgement") not in ("matched", "wrong", "redundant"):
                    raise JudgeParseError("a step without a valid type and judgement")
            return [{"type": step["type"], "judgement": step["judgement"]} for step in steps]
        if not all(step.get("judgement") in ("matched", "unmatched") for step in steps):
            raise JudgeParseError("a reference step without a valid judgement")
        if call.expected is not None and len(steps) != call.expected:
            raise JudgeParseError(f"{len(steps)} reference steps judged, {call.expected} asked")
        return [step["judgement"] for step in steps]

    def scores(self, record: SampleRecord, verdicts: dict[str, Any]) -> dict[str, float | None]:
        context = record.judge_context or {}
        rule = self._rule_verdict(record, verdicts["extract"])
        values: dict[str, float | None] = {"accuracy": float(rule if rule is not None else verdicts["match"])}
        steps = context.get("reasoning") or []
        if steps and "precision" in verdicts and "recall" in verdicts:
            counted = [step for step in verdicts["precision"] if step["type"] in PRECISION_TYPES]
            values["step_precision"] = sum(step["judgement"] == "matched" for step in counted) / len(counted) if counted else 0.0
            values["step_recall"] = sum(judgement == "matched" for judgement in verdicts["recall"]) / len(steps)
        return values

    def summarize(self, values: dict[str, list[float]]) -> dict[str, float | None]:
        means = super().summarize({name: values.get(name, []) for name in ("accuracy", "step_precision", "step_recall")})
        precision, recall = means["step_precision"], means["step_recall"]
        if precision is None or recall is None:
            means["step_f1"] = None
        else:
            means["step_f1"] = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return means

    @staticmethod
    def _rule_verdict(record: SampleRecord, extracted: str) -> int | None:
        """Right (1) or wrong (0) by rule, or None when the judge must decide. The reference is the
        journaled target, as the loader normalised it (a reversed span or box turned round)."""
        kind, target = (record.judge_context or {}).get("kind"), str(record.target or "")
        if kind == "choice":
            letter = extracted.strip().strip("().").upper()
            return int(letter == target.strip().upper()) if len(letter) == 1 and letter.isalpha() else 0
        if kind == "interval":
            span = extract_number_list(extracted, 2)
            return None if span is None else int(interval_iou((min(span), max(span)), target_windows(target)[0]) > INTERVAL_PASS)
        if kind == "box":
            box = extract_box(extracted)
            return None if box is None else int(box_iou(box, target_box(target)) > BOX_PASS)
        return None


def _unnumbered(step: str) -> str:
    """A published reference step without its own number (``"1. 0:08-0:30, ..."`` -> ``"0:08-0:30, ..."``)."""
    return re.sub(r"^\s*\d+[.)]\s*", "", step)
