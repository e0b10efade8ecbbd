"""What an API run spent: tokens, requests, retries, latency and money, from its journal; and the cap
(``--max-cost``, ``--max-total-tokens``) that stops a command once it has spent enough.

Every journal line counts, a retried error's line too (its requests were sent and paid for). A line
reached the model when it carries ``usage`` or model time; its requests are ``usage["attempts"]``
(written by the API backend when a request took more than one attempt), else 1. Cost needs the
model's price (``price_in`` / ``price_out``, USD per million tokens, in its alias or the models file).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from viubench.errors import UserError
from viubench.rundir.record import SampleRecord

PER_MILLION = 1_000_000


class Price(BaseModel):
    """USD per million prompt (``price_in``) and completion (``price_out``) tokens."""

    price_in: float
    price_out: float

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (prompt_tokens * self.price_in + completion_tokens * self.price_out) / PER_MILLION


def model_price(model: str, backend: str | None = None, models_file: str | None = None) -> Price | None:
    """The price of ``model`` from its alias (built in or the models file), or None where none is known."""
    from viubench.models import model_entry

    try:
        entry = model_entry(model, backend, Path(models_file) if models_file else None)
    except UserError:  # a baseline or a plugin's model: no alias, no price
        return None
    if entry.price_in is None or entry.price_out is None:
        return None
    return Price(price_in=entry.price_in, price_out=entry.price_out)


def _run_price(run_dir: Path) -> Price | None:
    from viubench.rundir.manifest import read_manifest

    try:
        config = read_manifest(run_dir).get("config") or {}
    except (OSError, ValueError, UserError):
        return None
    return model_price(str(config.get("model", "")), config.get("backend"), config.get("models_file"))


def record_tokens(record: SampleRecord) -> tuple[int, int]:
    """``(prompt, completion)`` tokens of one journal line (0 where the server said nothing)."""
    usage = record.usage or {}
    return int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)


def _requests(record: SampleRecord) -> int:
    usage = record.usage or {}
    if usage.get("attempts"):
        return int(usage["attempts"])
    return 1 if usage or record.timings.model_s else 0


def percentile(values: list[float], fraction: float) -> float | None:
    """The nearest-rank percentile of ``values`` (None for none)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def usage_summary(run_dir: Path, records: list[SampleRecord]) -> dict[str, Any] | None:
    """The ``usage`` block of a task's results: tokens, requests, retries, latency p50/p95 (seconds of
    model time per request), errors and, where the model's price is known, cost in USD. None when no
    line of the journal (``records``: every line, retried ones too, since each was a request) carries
    token usage (a local model: nothing was metered)."""
    if not any(record.usage for record in records):
        return None
    prompt = completion = reasoning = requests = errors = 0
    latencies: list[float] = []
    for record in records:
        tokens = record_tokens(record)
        prompt, completion = prompt + tokens[0], completion + tokens[1]
        reasoning += int((record.usage or {}).get("reasoning_tokens") or 0)
        sent = _requests(record)
        requests += sent
        errors += record.failed
        if sent:
            latencies.append(float(record.timings.model_s))
    block: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "reasoning_tokens": reasoning,
        "requests": requests,
        "retries": requests - sum(1 for record in records if _requests(record)),
        "errors": errors,
        "latency_p50_s": percentile(latencies, 0.5),
        "latency_p95_s": percentile(latencies, 0.95),
    }
    price = _run_price(run_dir)
    if price is not None:
        block["cost_usd"] = round(price.cost(prompt, completion), 6)
        block["price"] = price.model_dump()
    return block


def usage_entry(run_dir: Path, records: list[SampleRecord]) -> dict[str, Any]:
    """``{"usage": block}`` for a task's results, or nothing where nothing was metered."""
    block = usage_summary(run_dir, records)
    return {} if block is None else {"usage": block}


def judge_usage(usage: list[dict[str, Any]], model: str) -> dict[str, Any] | None:
    """What a task's judge (``model``) spent: the tokens its provider metered over every journaled attempt
    (``usage``: retried and unparsable ones too), its requests and, where the judge model's price is known,
    the cost in USD. None where nothing was metered."""
    if not usage:
        return None
    prompt = sum(int(entry.get("prompt_tokens") or 0) for entry in usage)
    completion = sum(int(entry.get("completion_tokens") or 0) for entry in usage)
    block: dict[str, Any] = {"prompt_tokens": prompt, "completion_tokens": completion, "requests": sum(int(entry.get("attempts") or 1) for entry in usage)}
    price = model_price(model)
    if price is not None:
        block["cost_usd"] = round(price.cost(prompt, completion), 6)
        block["price"] = price.model_dump()
    return block


def run_usage(results: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """The ``usage`` blocks of every task of a run added up (latencies: the slowest task's), and what its
    judge spent (``judge``), or None for a run that metered nothing."""
    blocks = [result["usage"] for result in results.values() if result.get("usage")]
    judged = [usage for result in results.values() if (usage := ((result.get("overall") or {}).get("judge") or {}).get("usage"))]
    if not blocks and not judged:
        return None
    total: dict[str, Any] = {key: sum(block[key] for block in blocks) for key in ("prompt_tokens", "completion_tokens", "requests", "retries", "errors")}
    for key in ("latency_p50_s", "latency_p95_s"):
        found = [block[key] for block in blocks if block.get(key) is not None]
        total[key] = max(found) if found else None
    if blocks and all("cost_usd" in block for block in blocks):
        total["cost_usd"] = round(sum(block["cost_usd"] for block in blocks), 6)
    if judged:
        total["judge"] = {key: sum(block[key] for block in judged) for key in ("prompt_tokens", "completion_tokens", "requests")}
        if all("cost_usd" in block for block in judged):
            total["judge"]["cost_usd"] = round(sum(block["cost_usd"] for block in judged), 6)
    return total


def usage_line(usage: dict[str, Any]) -> str:
    """One line for the console and the report: the model's spending, then its judge's where it had one."""
    latency = "" if usage.get("latency_p50_s") is None else f", latency p50 {usage['latency_p50_s']:.2f} s / p95 {usage['latency_p95_s']:.2f} s"
    cost = f", cost ${usage['cost_usd']:.4f}" if "cost_usd" in usage else ", cost unknown (no price_in/price_out for this model)"
    line = (
        f"{usage['prompt_tokens']:,} prompt + {usage['completion_tokens']:,} completion tokens, {usage['requests']:,} requests "
        f"({usage['retries']:,} retries), {usage['errors']:,} errors{latency}{cost}"
    ) if usage["requests"] or "judge" not in usage else "the model metered nothing"
    judge = usage.get("judge")
    if judge:
        spent = f"cost ${judge['cost_usd']:.4f}" if "cost_usd" in judge else "cost unknown (no price for the judge model)"
        line += f"; judge: {judge['prompt_tokens']:,} prompt + {judge['completion_tokens']:,} completion tokens, {judge['requests']:,} requests, {spent}"
    return line


def run_usage_line(results: dict[str, dict[str, Any]]) -> str | None:
    """The one line of what a run spent (reports), or None for a run that metered nothing."""
    usage = run_usage(results)
    return None if usage is None else usage_line(usage)


class UsageCap:
    """Stops a command once what it spent (this command's requests, not the run's earlier ones) reaches
    ``max_cost`` USD or ``max_tokens`` prompt plus completion tokens."""

    def __init__(self, max_cost: float | None, max_tokens: int | None, price: Price | None) -> None:
        if max_cost is not None and price is None:
            raise UserError("--max-cost needs the model's price: give its alias price_in and price_out (USD per million tokens) in a models file (--models-file), or cap tokens with --max-total-tokens")
        self.max_cost, self.max_tokens, self.price = max_cost, max_tokens, price
        self.prompt_tokens = self.completion_tokens = 0

    @property
    def spent_usd(self) -> float:
        return self.price.cost(self.prompt_tokens, self.completion_tokens) if self.price is not None else 0.0

    def observe(self, record: SampleRecord) -> str | None:
        """Adds ``record``'s tokens; what was reached (a sentence), or None while under the cap."""
        prompt, completion = record_tokens(record)
        self.prompt_tokens += prompt
        self.completion_tokens += completion
        if self.max_cost is not None and self.spent_usd >= self.max_cost:
            return f"cost cap reached: ${self.spent_usd:.4f} spent by this command (--max-cost {self.max_cost:g})"
        if self.max_tokens is not None and self.prompt_tokens + self.completion_tokens >= self.max_tokens:
            return f"token cap reached: {self.prompt_tokens + self.completion_tokens:,} tokens spent by this command (--max-total-tokens {self.max_tokens})"
        return None
