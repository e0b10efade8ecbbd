"""``viubench train --engine trl`` for real: tiny random-weight Qwen2.5-VL / Qwen3-VL built here, GRPO
steps on a mix built from the sample clips, the checkpoint loaded with ``from_pretrained`` and scored
by ``viubench eval``; resume after ``kill -9``; the loss sees the video; a seeded run that learns."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from hf_required import require_train

require_train()

from cli import viubench_cli  # noqa: E402
from tiny_models import build  # noqa: E402
from toy_training import TOY_CONFIG, toy_mix, warm_start  # noqa: E402

pytestmark = pytest.mark.slow  # the quick tier (pytest -m 'not slow') leaves this file out

STEP_FIELDS = {"step", "reward", "reward_by_task", "reward_std", "zero_variance_share", "kl", "entropy", "response_length", "loss", "learning_rate", "step_seconds", "seconds"}


@pytest.fixture(scope="module")
def toy(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A tiny Qwen2.5-VL warm-started on the toy mix (answers ``12`` and ``21`` about equally)."""
    folder = tmp_path_factory.mktemp("toy_training")
    model = build("qwen2_5_vl", folder / "tiny")
    data = toy_mix(folder / "toy")
    warm = warm_start(model, data, ["12", "21"], folder / "warm", steps=96)
    return {"model": warm, "data": data, "folder": folder}


def config_file(folder: Path, **settings: object) -> Path:
    merged = {**TOY_CONFIG, "rollouts_per_prompt": 8, "prompts_per_step": 2, "learning_rate": 1e-3, **settings}
    merged["trl"] = {**TOY_CONFIG["trl"], "per_device_batch": 16, **settings.get("trl", {})}  # type: ignore[dict-item]
    path = folder / "train.yaml"
    path.write_text(yaml.safe_dump(merged))
    return path


def weights(model_dir: Path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    return load_file(str(model_dir / "model.safetensors"))


def read_steps(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "steps.jsonl").read_text().splitlines()]


def test_train_writes_a_checkpoint_that_eval_scores(toy: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "ckpt"
    result = viubench_cli("train", "--model", str(toy["model"]), "--data", str(toy["data"]),
                          "--config", str(config_file(tmp_path, trl={"report_to": ["tensorboard"]})), "--out", str(out), "--max-steps", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "step 2/2" in result.stderr and "eta" in result.stderr
    assert re.search(r"step 1/2  reward [0-9.]+ \(jigsaw [0-9.]+\)", result.stderr)  # task names in full
    assert "value of None" not in result.stderr  # tasks absent from a step are not handed to tensorboard

    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    [events] = list((out / "runs").iterdir())  # report_to reaches transformers
    accumulator = EventAccumulator(str(events))
    accumulator.Reload()
    assert {"train/reward", "train/rewards/jigsaw/mean", "train/kl"} <= set(accumulator.Tags()["scalars"])

    before, after = weights(toy["model"]), weights(out)
    assert before.keys() == after.keys()
    assert any(not np.array_equal(before[k], after[k]) for k in before), "GRPO steps left every weight unchanged"

    steps = read_steps(out)
    assert [s["step"] for s in steps] == [1, 2]
    for record in steps:
        assert STEP_FIELDS <= record.keys()
        assert record["reward_by_task"]["jigsaw"] is not None and record["reward_by_task"]["grounding"] is None
        assert 0 <= record["zero_variance_share"] <= 1 and record["response_length"] > 0
        assert set(record["seconds"]) == {"decode", "generate", "rollout_other", "loss"}
    assert steps[0]["kl"] == 0.0  # step 1: the policy is the reference, on the same video

    meta = json.loads((out / "viubench-train.json").read_text())
    assert meta["engine"] == "trl" and meta["steps_done"] == 2 and meta["reward"] == {"name": "compute_score", "version": "1"}
    assert meta["config"]["rollouts_per_prompt"] == 8 and meta["config"]["kl_coef"] == 1e-3 and meta["config"]["max_steps"] == 2
    assert len(meta["data"]["manifest_sha256"]) == 64 and {"torch", "transformers", "trl"} <= meta["packages"].keys()
    assert (out / "checkpoint-2" / "viubench-train.json").is_file()
    signal = sum(1 for s in steps if s["zero_variance_share"] < 1)
    assert meta["steps_with_signal"] == signal and f"{signal} of 2 step(s) had a learning signal" in result.stderr
    assert meta["base_model"] == str(toy["model"].resolve()) and meta["data"]["path"] == str(toy["data"].resolve())
    assert len(meta["base_model_fingerprint"]) == 64

    from transformers import AutoModelForImageTextToText, AutoProcessor

    assert type(AutoModelForImageTextToText.from_pretrained(out)).__name__ == "Qwen2_5_VLForConditionalGeneration"
    AutoProcessor.from_pretrained(out)

    evaluated = viubench_cli("eval", "--model", f"hf:{out}", "--model-option", "device=cpu", "--tasks", "viubench", "--limit", "8",
                             "--out", str(tmp_path / "runs"), cache=tmp_path / "cache")
    assert evaluated.returncode == 0, evaluated.stderr[-3000:]
    run_dir = next((tmp_path / "runs").iterdir())
    assert json.loads((run_dir / "manifest.json").read_text())["status"] == "finished"
    records = [json.loads(line) for line in (run_dir / "samples" / "viubench.jsonl").read_text().splitlines()]
    assert len(records) == 8 and all(r["error"] is None for r in records)

    # the starting model's run beside the trained one: the report shows the gain as "(+x)" deltas
    base = viubench_cli("eval", "--model", f"hf:{toy['model']}", "--model-option", "device=cpu", "--tasks", "viubench", "--limit", "8",
                        "--out", str(tmp_path / "base_runs"), cache=tmp_path / "cache")
    assert base.returncode == 0, base.stderr[-3000:]
    base_dir = next((tmp_path / "base_runs").iterdir())
    report = viubench_cli("report", str(base_dir), str(run_dir), "--md", str(tmp_path / "gain.md"))
    assert report.returncode == 0, report.stderr[-3000:]
    text = (tmp_path / "gain.md").read_text()
    assert "deltas against" in text and re.search(r"\([+-][0-9]+\.[0-9]", text)


def test_a_mix_too_small_for_one_step_fails_in_one_line(toy: dict[str, Path], tmp_path: Path) -> None:
    items = json.loads((toy["data"] / "manifest.json").read_text())["num_items"]
    started = time.monotonic()
    result = viubench_cli("train", "--model", str(toy["model"]), "--data", str(toy["data"]), "--config", str(config_file(tmp_path, prompts_per_step=64)),
                          "--out", str(tmp_path / "ckpt"))
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert result.stderr.strip().splitlines()[-1] == (
        f"viubench: error: the mix has {items} items, fewer than prompts_per_step=64: training would run no step; "
        "lower prompts_per_step (--config) or build a bigger mix")
    assert not (tmp_path / "ckpt").exists() and time.monotonic() - started < 60


def test_a_run_without_learning_signal_says_so(toy: dict[str, Path], tmp_path: Path) -> None:
    """The tiny model before its warm start never writes a 2-clip order: every rollout earns 0."""
    untrained = toy["folder"] / "tiny"
    out = tmp_path / "ckpt"
    result = viubench_cli("train", "--model", str(untrained), "--data", str(toy["data"]), "--config", str(config_file(tmp_path)),
                          "--out", str(out), "--max-steps", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    assert all(s["zero_variance_share"] == 1 and s["reward"] == 0 for s in read_steps(out))
    assert "warning: no step had a learning signal: on all 2 step(s) every prompt's 8 rollouts got the same reward" in result.stderr
    assert json.loads((out / "viubench-train.json").read_text())["steps_with_signal"] == 0
    before, after = weights(untrained), weights(out)
    assert all(np.array_equal(before[k], after[k]) for k in before)  # what the warning is about


def test_a_killed_run_resumes_from_its_last_saved_step(toy: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "ckpt"
    command = [sys.executable, "-m", "viubench.cli", "train", "--model", str(toy["model"]), "--data", str(toy["data"]),
               "--config", str(config_file(tmp_path, trl={"save_steps": 1})), "--out", str(out), "--max-steps", "4"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while not (out / "checkpoint-2" / "viubench-train.json").is_file():
        assert process.poll() is None and time.monotonic() < deadline, "training ended before its second checkpoint"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not (out / "viubench-train.json").is_file()

    again = viubench_cli(*command[3:])
    assert again.returncode == 2 and "--resume" in again.stderr  # never silently starts over

    resumed = viubench_cli(*command[3:], "--resume")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    done = max(int(p.name.split("-")[1]) for p in out.glob("checkpoint-*"))
    assert "resuming from" in resumed.stderr
    assert [s["step"] for s in read_steps(out)] == [1, 2, 3, 4]  # each step logged once
    state = json.loads((out / f"checkpoint-{done}" / "trainer_state.json").read_text())
    assert state["global_step"] == 4
    assert json.loads((out / "viubench-train.json").read_text())["steps_done"] == 4


def test_two_processes_through_accelerate_make_one_step_log(toy: dict[str, Path], tmp_path: Path) -> None:
    """``accelerate launch -m viubench.cli train``: the step's completions are split between processes,
    and only the main one writes the log and the checkpoint metadata."""
    out = tmp_path / "ckpt"
    result = subprocess.run(
        [sys.executable, "-m", "accelerate.commands.launch", "--cpu", "--num_processes", "2", "--num_machines", "1", "--mixed_precision", "no",
         "--dynamo_backend", "no", "-m", "viubench.cli", "train", "--model", str(toy["model"]), "--data", str(toy["data"]),
         "--config", str(config_file(tmp_path, trl={"per_device_batch": 8})), "--out", str(out), "--max-steps", "2"],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert [s["step"] for s in read_steps(out)] == [1, 2]
    state = json.loads((out / "checkpoint-2" / "trainer_state.json").read_text())
    assert state["global_step"] == 2 and state["train_batch_size"] == 8
    assert json.loads((out / "viubench-train.json").read_text())["steps_done"] == 2


def test_the_loss_sees_the_frames_the_rollouts_saw(toy: dict[str, Path], tmp_path: Path) -> None:
    """Same prompt ids, other frames: the loss's log-probabilities change (TRL alone would drop the video)."""
    import shutil

    import torch
    from PIL import Image, ImageOps

    from viubench.train.config import TrainConfig
    from viubench.train.data import load_training_data
    from viubench.train.trl_engine import make_trainer
    from viubench.train.visual import prompt_inputs

    config = TrainConfig.model_validate({**TOY_CONFIG, "rollouts_per_prompt": 4, "prompts_per_step": 1, "trl": {**TOY_CONFIG["trl"], "per_device_batch": 4}})
    data = load_training_data(toy["data"], config)
    trainer = make_trainer(str(toy["model"]), data, tmp_path / "out", config)
    row = data.rows()[0]
    torch.manual_seed(0)
    inputs = trainer._generate_and_score_completions([row] * 4)
    inputs["advantages"] = torch.zeros_like(inputs["advantages"])  # the loss is then beta * KL(policy || reference)

    inverted = tmp_path / "inverted"
    shutil.copytree(toy["data"], inverted)
    shown = [Path(name) for ref in data.samples[row["sample_id"]].videos() for name in ref.frames or []]
    assert shown
    for name in shown:  # the item's own frames (stored once under media/, shared with other items)
        frame = inverted / (name.relative_to(toy["data"]) if name.is_absolute() else name)
        ImageOps.invert(Image.open(frame).convert("RGB")).save(frame, quality=90)
    other = prompt_inputs(trainer.processing_class, load_training_data(inverted, config).samples[row["sample_id"]], data.spec)
    assert other.input_ids == prompt_inputs(trainer.processing_class, data.samples[row["sample_id"]], data.spec).input_ids

    with torch.no_grad():
        same = trainer.compute_loss(trainer.model, inputs)
        changed = trainer.compute_loss(trainer.model, {**inputs, "video_inputs": [other.video] * 4})
    assert float(same) == pytest.approx(0.0, abs=1e-7)  # reference log-probs were taken on the same video
    assert float(changed) > 1e-6  # other frames, other log-probabilities


def test_a_broken_frame_stops_with_one_line_naming_the_item(toy: dict[str, Path], tmp_path: Path) -> None:
    import shutil

    data = tmp_path / "broken"
    shutil.copytree(toy["data"], data)
    frame = sorted((data / "media").rglob("*.jpg"))[0]
    frame.write_bytes(b"not a jpeg")
    result = viubench_cli("train", "--model", str(toy["model"]), "--data", str(data), "--config", str(config_file(tmp_path)),
                          "--out", str(tmp_path / "ckpt"), "--max-steps", "2")
    assert result.returncode == 2, result.stderr[-2000:]
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("viubench: error: item ") and frame.name in last and "--resume" in last
    assert "Traceback" not in result.stderr


def test_grpo_learns_on_the_toy_mix(toy: dict[str, Path], tmp_path: Path) -> None:
    """Seeded: 10 steps of 4 prompts x 8 rollouts, lr 1e-3; the mean reward rises well above step 0's."""
    out = tmp_path / "ckpt"
    result = viubench_cli("train", "--model", str(toy["model"]), "--data", str(toy["data"]),
                          "--config", str(config_file(tmp_path, prompts_per_step=4, trl={"per_device_batch": 32, "save_steps": 100})),
                          "--out", str(out), "--max-steps", "10")
    assert result.returncode == 0, result.stderr[-3000:]
    steps = read_steps(out)
    rewards = [s["reward"] for s in steps]
    assert len(rewards) == 10
    assert steps[0]["zero_variance_share"] < 1  # the warm start samples both answers: GRPO has a signal
    assert sum(rewards[-3:]) / 3 > rewards[0] + 0.2, rewards


def test_qwen3_vl_trains_and_saves(tmp_path: Path, toy: dict[str, Path]) -> None:
    model = build("qwen3_vl", tmp_path / "tiny3")
    out = tmp_path / "ckpt"
    result = viubench_cli("train", "--model", str(model), "--data", str(toy["data"]), "--config", str(config_file(tmp_path, rollouts_per_prompt=2)),
                          "--out", str(out), "--max-steps", "1")
    assert result.returncode == 0, result.stderr[-3000:]
    assert [s["step"] for s in read_steps(out)] == [1]
    assert "cap_pixels_per_frame" not in result.stderr
    from transformers import AutoModelForImageTextToText

    assert type(AutoModelForImageTextToText.from_pretrained(out)).__name__ == "Qwen3VLForConditionalGeneration"
