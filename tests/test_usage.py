"""What an API run spends, before and after: ``--dry-run``'s estimate against a real run's recorded usage
(the loopback server bills by a fixed token rule), the totals in results.json and on the console, and
``--max-cost`` / ``--max-total-tokens`` stopping a command cleanly and the same command continuing."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from cli import viubench_cli
from fake_openai import FakeOpenAI, metered_prompt_tokens

KEY = "VIUBENCH_TEST_KEY"
PRICE_IN, PRICE_OUT = 2.5, 10.0
MARGIN = 0.02  # the estimate is within 2% of the prompt tokens the server billed


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY, "sk-test-usage-key")


@pytest.fixture
def videomme(tmp_path: Path) -> Path:
    from viubench.task.registry import all_tasks

    return all_tasks()["videomme"].fixture(tmp_path / "data")


def models_file(tmp_path: Path, server: FakeOpenAI, priced: bool = True) -> Path:
    path = tmp_path / "models.yaml"
    entry = {"backend": "openai", "model": "test-model", "options": {"base_url": server.base_url, "api_key_env": KEY, "concurrency": 1}, "image_tokens": "openai-tiles"}
    if priced:
        entry |= {"price_in": PRICE_IN, "price_out": PRICE_OUT}
    path.write_text(json.dumps({"metered": entry}))
    return path


def evaluate(models: Path, task: str, data: Path, out: Path, limit: int, *extra: str):
    return viubench_cli("eval", "--model", "metered", "--models-file", str(models), "--tasks", task, "--data", f"{task}={data}", "--limit", str(limit), "--out", str(out), *extra)


def results(out: Path) -> dict:
    [path] = out.glob("*/results.json")
    return json.loads(path.read_text())


def journal(out: Path, task: str) -> list[dict]:
    [path] = out.glob(f"*/samples/{task}.jsonl")
    return [json.loads(line) for line in path.read_text().splitlines()]


def estimated_prompt_tokens(stdout: str) -> int:
    [total] = [line for line in stdout.splitlines() if line.startswith("total:")]
    return int(re.search(r"~([\d,]+) prompt tokens", total).group(1).replace(",", ""))


@pytest.mark.parametrize("task", ["videomme", "viubench"])
def test_the_dry_run_estimate_matches_the_usage_a_real_run_recorded(task: str, videomme: Path, small_viubench: Path, tmp_path: Path) -> None:
    data = videomme if task == "videomme" else small_viubench
    out = tmp_path / "runs"
    with FakeOpenAI(metered=True, answer="B") as server:
        models = models_file(tmp_path, server)
        dry = evaluate(models, task, data, out, 6, "--dry-run")
        assert dry.returncode == 0, dry.stderr
        assert not server.log and not out.exists()  # nothing sent, nothing written
        run = evaluate(models, task, data, out, 6)
        billed = sum(metered_prompt_tokens(entry["body"]) for entry in server.log)
        requests = len(server.log)
    assert run.returncode == 0, run.stderr
    assert "6 samples" in dry.stdout and "images per request" in dry.stdout and "estimated cost $" in dry.stdout
    estimate = estimated_prompt_tokens(dry.stdout)
    print(f"{task}: --dry-run estimated {estimate} prompt tokens, the server billed {billed}")  # shown with -s
    usage = results(out)["tasks"][task]["usage"]
    assert usage["prompt_tokens"] == billed and usage["requests"] == requests == 6
    assert abs(estimate - usage["prompt_tokens"]) <= MARGIN * usage["prompt_tokens"], (estimate, usage["prompt_tokens"])
    assert usage["completion_tokens"] == 6  # "B": one token per answer by the server's rule
    assert usage["cost_usd"] == pytest.approx((billed * PRICE_IN + 6 * PRICE_OUT) / 1e6)
    assert usage["retries"] == 0 and usage["errors"] == 0 and usage["latency_p95_s"] >= usage["latency_p50_s"] > 0
    assert f"{billed:,} prompt + 6 completion tokens, 6 requests (0 retries), 0 errors" in run.stderr


def test_retries_and_errors_are_counted_and_a_model_without_a_price_has_no_cost(videomme: Path, tmp_path: Path) -> None:
    plan = {"Question 0 about video 1": ["500", "ok"], "Question 1 about video 2": ["400:Image too large."]}
    with FakeOpenAI(plan, metered=True) as server:
        run = evaluate(models_file(tmp_path, server, priced=False), "videomme", videomme, tmp_path / "runs", 6)
        sent = len(server.log)
    usage = results(tmp_path / "runs")["tasks"]["videomme"]["usage"]
    assert sent == 7 and usage["requests"] == 7 and usage["retries"] == 1 and usage["errors"] == 1
    assert "cost_usd" not in usage and "cost unknown" in run.stderr
    [run_dir] = (tmp_path / "runs").iterdir()
    line = "7 requests (1 retries), 1 errors"
    assert viubench_cli("report", str(run_dir), "--md", str(tmp_path / "r.md"), "--html", str(tmp_path / "r.html")).returncode == 0
    assert line in (tmp_path / "r.md").read_text() and line in (tmp_path / "r.html").read_text()
    (run_dir / "results.json").unlink()
    assert viubench_cli("rescore", str(run_dir)).returncode == 0  # the totals follow from the journal alone
    assert results(tmp_path / "runs")["tasks"]["videomme"]["usage"] == usage


def test_a_run_without_token_usage_has_no_usage_block(tmp_path: Path, videomme: Path) -> None:
    run = viubench_cli("eval", "--model", "random", "--tasks", "videomme", "--data", f"videomme={videomme}", "--limit", "3", "--out", str(tmp_path / "runs"))
    assert run.returncode == 0, run.stderr
    assert "usage" not in results(tmp_path / "runs")["tasks"]["videomme"] and "usage:" not in run.stderr


@pytest.mark.parametrize("cap", ["--max-cost", "--max-total-tokens"])
def test_a_capped_command_stops_cleanly_and_the_same_command_continues_the_run(cap: str, videomme: Path, tmp_path: Path) -> None:
    out = tmp_path / "runs"
    with FakeOpenAI(metered=True) as server:
        models = models_file(tmp_path, server)
        first = evaluate(models, "videomme", videomme, out, 6, "--limit", "1")
        one_request = results(out)["tasks"]["videomme"]["usage"]
        for path in out.iterdir():  # measured what one request spends; start over
            shutil.rmtree(path)
        amount = f"{one_request['cost_usd'] * 1.5:.8f}" if cap == "--max-cost" else str(int((one_request["prompt_tokens"] + 1) * 1.5))
        codes, lines = [], []
        for _ in range(8):
            run = evaluate(models, "videomme", videomme, out, 6, cap, amount)
            codes.append(run.returncode)
            lines.append(len(journal(out, "videomme")))
            if run.returncode == 0:
                break
            assert run.returncode == 3, run.stderr
            last = run.stderr.strip().splitlines()[-1]
            assert last.startswith("stopped: ") and "cap reached" in last and "run the same command again" in last, last
            assert "viubench/runner" not in run.stderr  # no traceback of ours (the server may log a request cut off)
            manifest = json.loads(next(out.glob("*/manifest.json")).read_text())
            assert manifest["status"] == "stopped"
    assert first.returncode == 0
    assert codes[0] == 3 and codes[-1] == 0, codes
    assert lines == sorted(lines) and lines[0] < 6  # each command went on from where the last stopped
    assert len(list(out.iterdir())) == 1  # one run, continued
    assert sorted({r["id"] for r in journal(out, "videomme")}) == sorted(results(out)["tasks"]["videomme"]["per_sample"]["id"])
    assert results(out)["tasks"]["videomme"]["overall"]["n"] == 6


def test_max_cost_needs_a_price(videomme: Path, tmp_path: Path) -> None:
    with FakeOpenAI(metered=True) as server:
        run = evaluate(models_file(tmp_path, server, priced=False), "videomme", videomme, tmp_path / "runs", 2, "--max-cost", "1")
        assert not server.log
    assert run.returncode == 2 and "--max-cost needs the model's price" in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "runs").exists()


def test_the_image_token_rule_of_gpt_4o_class_models() -> None:
    from viubench.runner.estimate import image_tokens

    assert image_tokens(512, 512, "openai-tiles") == 85 + 170  # one tile
    assert image_tokens(1024, 1024, "openai-tiles") == 85 + 4 * 170  # shortest side to 768: 2 x 2 tiles
    assert image_tokens(2048, 4096, "openai-tiles") == 85 + 6 * 170  # fit 2048 (1024 x 2048), then 768 x 1536: 2 x 3
    assert image_tokens(768, 432, "openai-low") == 85 and image_tokens(768, 432, 258) == 258


def test_prices_and_image_rules_in_a_models_file_are_checked(tmp_path: Path) -> None:
    from viubench.errors import UserError
    from viubench.models import load_models

    assert load_models()["gpt-4o"].price_in is not None  # the built-in aliases pass the strict schema
    for bad in ({"price_in": -1}, {"image_tokens": "tiles"}, {"price": 2}):
        path = tmp_path / "models.yaml"
        path.write_text(json.dumps({"m": {"backend": "openai", "model": "x", **bad}}))
        with pytest.raises(UserError) as error:
            load_models(path)
        assert "\n" not in str(error.value) and "m" in str(error.value)
