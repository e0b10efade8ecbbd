"""The verl engine up to the launch, with verl's own code: verl 0.9.1 lives in its own environment
(it pins transformers < 5.11; ``.ci/run`` builds it and sets ``VIUBENCH_VERL_PYTHON``). Its rollouts
need a GPU, so here: ``viubench train --engine verl --dry-run`` writes the parquet files and the
config; verl's Hydra composes ``ppo_trainer`` with the printed overrides and its ``validate_config``
passes (a key verl does not have fails); verl's ``RLHFDataset`` loads the parquet and the rollout's
video path turns each item into the frames and time base we wrote (tiny Qwen2.5-VL and Qwen3-VL
processors); verl's reward worker scores responses with ``viubench.rewards`` (``--reward strict``:
``strict_score``). The first tests need no verl."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import yaml

from viubench.errors import UserError
from viubench.rewards import compute_score, strict_score
from viubench.train import verl_engine
from viubench.train.config import TrainConfig
from viubench.train.verl_engine import (
    VerlPlan,
    hydra_value,
    launch_verl,
    verl_overrides,
)

pytestmark = pytest.mark.slow  # the quick tier (pytest -m 'not slow') leaves this file out

TESTS = Path(__file__).parent
PYTHON = os.environ.get("VIUBENCH_VERL_PYTHON")
if not PYTHON and os.environ.get("VIUBENCH_REQUIRE_VERL") == "1":
    raise RuntimeError("VIUBENCH_REQUIRE_VERL=1 but VIUBENCH_VERL_PYTHON is not set")
needs_verl = pytest.mark.skipif(not PYTHON, reason="needs a verl environment: set VIUBENCH_VERL_PYTHON (.ci/run builds one)")
SMALL = {"prompts_per_step": 4}  # the 6-item test mix holds one step


def overrides_of(settings: dict[str, Any], **changes: Any) -> dict[str, str]:
    config = TrainConfig.model_validate({**SMALL, **changes})
    found = verl_overrides(config, "/models/qwen", Path("/o/train.parquet"), Path("/o/val.parquet"), Path("/o/ckpt"))
    return dict(override.split("=", 1) for override in found)


def test_recipe_maps_onto_verl_settings() -> None:
    found = overrides_of({})
    assert found["algorithm.adv_estimator"] == "grpo" and found["actor_rollout_ref.rollout.n"] == "8"
    assert found["actor_rollout_ref.actor.optim.lr"] == "1e-06" and found["actor_rollout_ref.actor.kl_loss_coef"] == "0.001"
    assert found["actor_rollout_ref.actor.kl_loss_type"] == "low_var_kl" and found["actor_rollout_ref.actor.use_kl_loss"] == "true"
    assert found["data.max_prompt_length"] == "8192" and found["data.max_response_length"] == "2048"
    assert found["reward.custom_reward_function.name"] == "compute_score"
    assert Path(found["reward.custom_reward_function.path"]).name == "rewards.py"
    assert overrides_of({}, reward="strict")["reward.custom_reward_function.name"] == "strict_score"
    assert overrides_of({}, kl_coef=0)["actor_rollout_ref.actor.use_kl_loss"] == "false"  # no reference model
    scaled = overrides_of({}, verl={"nnodes": 4, "gpus_per_node": 2, "overrides": ["trainer.save_freq=7"]})
    assert (scaled["trainer.nnodes"], scaled["trainer.n_gpus_per_node"], scaled["trainer.save_freq"]) == ("4", "2", "7")


@pytest.mark.parametrize(("value", "written"), [
    ("/data/run 1/train.parquet", "'/data/run 1/train.parquet'"), ("Qwen/Qwen3-VL-8B-Instruct", "Qwen/Qwen3-VL-8B-Instruct"),
    ("null", "'null'"), ("it's,odd", "'it\\'s,odd'"), (None, "null"), (True, "true"), (1e-6, "1e-06"), (["console", "wandb"], "[console,wandb]"),
])
def test_hydra_values_are_quoted_when_needed(value: Any, written: str) -> None:
    assert hydra_value(value) == written


def test_launch_without_verl_is_a_one_line_error(tmp_path: Path) -> None:
    if importlib.util.find_spec("verl") is not None:
        pytest.skip("this environment has verl: the check needs one without it")
    plan = VerlPlan(model="m", dataset=tmp_path, folder=tmp_path, train_file=tmp_path / "t", val_file=tmp_path / "v", config_file=tmp_path / "c",
                    checkpoints=tmp_path / "ck", overrides=[], hydra_overrides=[], items={}, val_items=0, skipped=[], total_steps=1, nodes=1,
                    gpus_per_node=1, verl_version="x")
    with pytest.raises(UserError, match="the verl engine needs verl: pip install"):
        launch_verl(plan, sys.executable)
    result = subprocess.run([sys.executable, "-m", "viubench.cli", "train", "--model", "m", "--data", str(tmp_path), "--engine", "verl",
                             "--out", str(tmp_path / "out"), "--dry-run"], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 2 and "the verl engine needs verl" in result.stderr, result.stderr
    assert not (tmp_path / "out").exists()


def test_an_existing_run_needs_resume(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(verl_engine, "require_verl", lambda: None)
    (tmp_path / "out" / "verl" / "checkpoints" / "global_step_5").mkdir(parents=True)
    with pytest.raises(UserError, match="already holds a verl run.*pass --resume"):
        verl_engine.prepare_verl(tmp_path, "m", tmp_path / "out", TrainConfig())


# ---------------------------------------------------------------- in the verl environment


def env(tmp: Path) -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp / "hf"), "VIUBENCH_CACHE": str(tmp / "cache"),
            "RAY_USAGE_STATS_ENABLED": "0", "TOKENIZERS_PARALLELISM": "false"}


def finished(process: subprocess.Popen, what: str, code: int = 0) -> tuple[str, str]:
    out, err = process.communicate(timeout=600)
    assert process.returncode == code, f"{what}: exit {process.returncode}\n{err[-3000:]}"
    return out, err


def dry_run(tmp: Path, name: str, config: dict[str, Any], *flags: str) -> subprocess.Popen:
    (tmp / f"{name}.yaml").write_text(yaml.safe_dump(config))
    command = [PYTHON, "-m", "viubench.cli", "train", "--model", str(tmp / "qwen2_5_vl"), "--data", str(tmp / "mix"), "--engine", "verl",
               "--config", str(tmp / f"{name}.yaml"), "--out", str(tmp / name), "--dry-run", *flags]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env(tmp))


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The test mix and tiny models, three dry runs (smooth on 2x4 GPUs, strict, a wrong key), and
    verl_checks.py's facts about the first two."""
    tmp = tmp_path_factory.mktemp("verl")
    build = subprocess.Popen([sys.executable, "-m", "viubench.cli", "build", "videossr-30k", "--per-subtype", "1", "--out", str(tmp / "mix")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env(tmp))
    models = [subprocess.Popen([PYTHON, str(TESTS / "tiny_models.py"), kind, str(tmp / kind)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=env(tmp)) for kind in ("qwen2_5_vl", "qwen3_vl")]
    finished(build, "viubench build")
    runs = {
        "smooth": dry_run(tmp, "smooth", SMALL, "--nnodes", "2", "--gpus-per-node", "4"),
        "strict": dry_run(tmp, "strict", SMALL, "--reward", "strict"),
        "wrong": dry_run(tmp, "wrong", {**SMALL, "verl": {"overrides": ["actor_rollout_ref.actor.no_such_key=1"]}}),
    }
    printed = {name: finished(runs[name], f"dry run {name}") for name in ("smooth", "strict")}
    printed["wrong"] = finished(runs["wrong"], "dry run with a wrong key", code=2)
    for process in models:
        finished(process, "tiny model")
    commands = {name: shlex.split(printed[name][0].strip().splitlines()[-1]) for name in ("smooth", "strict")}
    rows = pq.read_table(tmp / "smooth" / "verl" / "train.parquet").to_pylist()
    cases = [case for row in rows for case in reward_cases(row["data_source"], row["reward_model"]["ground_truth"])]
    spec = {"runs": {name: [arg for arg in command[3:] if not arg.startswith("hydra.")] for name, command in commands.items()},
            "processors": {kind: str(tmp / kind) for kind in ("qwen2_5_vl", "qwen3_vl")}, "cases": cases}
    (tmp / "spec.json").write_text(json.dumps(spec))
    checks = subprocess.run([PYTHON, str(TESTS / "verl_checks.py"), str(tmp / "spec.json"), str(tmp / "facts.json")],
                            capture_output=True, text=True, env=env(tmp), timeout=600, check=False)
    assert checks.returncode == 0, checks.stderr[-4000:]
    return {"tmp": tmp, "printed": printed, "commands": commands, "rows": rows, "cases": cases,
            "facts": json.loads((tmp / "facts.json").read_text())}


def reward_cases(source: str, truth: str) -> list[dict[str, str]]:
    """The right answer, a near miss, and prose."""
    if source == "grounding":
        start, end = truth.split("-")
        near = f"{start}-{float(end) + 0.5:.1f}"
    elif source == "counting":
        counts = truth.split(",")
        near = ",".join([str(int(counts[0]) + 1), *counts[1:]])
    else:
        near = truth[1] + truth[0] + truth[2:]
    return [{"data_source": source, "ground_truth": truth, "response": response} for response in (truth, near, "I am not sure.")]


@needs_verl
def test_dry_run_writes_the_files_and_prints_the_command(run: dict[str, Any]) -> None:
    tmp, command = run["tmp"], run["commands"]["smooth"]
    assert command[:3] == ["python", "-m", "verl.trainer.main_ppo"]
    assert "trainer.nnodes=2" in command and "trainer.n_gpus_per_node=4" in command
    assert "not launched (--dry-run)" in run["printed"]["smooth"][1]
    folder = tmp / "smooth" / "verl"
    assert {p.name for p in folder.iterdir()} == {"train.parquet", "val.parquet", "viubench_grpo.yaml", "viubench-train.json"}
    written = yaml.safe_load((folder / "viubench_grpo.yaml").read_text())
    assert written["algorithm"]["adv_estimator"] == "grpo" and written["trainer"]["n_gpus_per_node"] == 4
    assert written["reward"]["custom_reward_function"]["name"] == "compute_score"
    items = {item["id"]: item for item in pq.read_table(tmp / "mix" / "items.parquet").to_pylist()}
    assert len(run["rows"]) == len(items) == 6
    for row in run["rows"]:
        item = items[row["extra_info"]["id"]]
        assert row["data_source"] == item["data_source"] and row["ability"] == "video"
        assert row["reward_model"] == {"style": "rule", "ground_truth": item["answer"]}
        assert row["extra_info"] == {"index": item["index"], "id": item["id"], "subtype": item["subtype"], "split": "train"}
        assert row["prompt"] == [{"role": "system", "content": item["system"]}, {"role": "user", "content": item["prompt"]}]
        assert row["prompt"][1]["content"].count("<video>") == len(row["videos"]) == len(item["videos"])
        for video, stored in zip(row["videos"], item["videos"]):
            assert video["video"] == [str((tmp / "mix" / frame).resolve()) for frame in stored["frames"]]
            assert video["sample_fps"] == stored["sample_fps"] and (video["max_pixels"], video["min_pixels"]) == (256 * 256, 128 * 128)
    val = pq.read_table(folder / "val.parquet").to_pylist()
    assert val and all(row["extra_info"]["split"] == "val" for row in val)
    assert not (folder / "checkpoints").exists()  # nothing launched
    strict_folder = tmp / "strict" / "verl"
    assert "reward.custom_reward_function.name=strict_score" in run["commands"]["strict"]
    assert yaml.safe_load((strict_folder / "viubench_grpo.yaml").read_text())["reward"]["custom_reward_function"]["name"] == "strict_score"


@needs_verl
def test_config_composes_with_verls_schema_and_a_wrong_key_fails(run: dict[str, Any]) -> None:
    facts = run["facts"]["configs"]["smooth"]
    assert facts["validated"] and facts["reference_policy"]  # verl's validate_config; KL loss needs the reference model
    assert facts["adv_estimator"] == "grpo"
    assert facts["rollout"] == {"name": "vllm", "n": 8, "temperature": 1.0, "prompt_length": 8192, "response_length": 2048}
    assert facts["actor"] == {"lr": 1e-6, "use_kl_loss": True, "kl_loss_coef": 1e-3, "kl_loss_type": "low_var_kl", "entropy_coeff": 0.0,
                              "clip_ratio_low": 0.2, "clip_ratio_high": 0.2, "ppo_mini_batch_size": 4}
    folder = (run["tmp"] / "smooth" / "verl").resolve()
    assert facts["trainer"] == {"nnodes": 2, "n_gpus_per_node": 4, "total_epochs": 1, "default_local_dir": str(folder / "checkpoints"),
                                "val_before_train": False}
    assert facts["data"] == {"train_files": str(folder / "train.parquet"), "val_files": str(folder / "val.parquet"), "train_batch_size": 4,
                             "max_prompt_length": 8192}
    assert facts["wrong_key"].startswith("Could not override 'actor_rollout_ref.actor.no_such_key'")
    assert run["facts"]["configs"]["strict"]["reward_function"]["name"] == "strict_score"
    err = run["printed"]["wrong"][1]
    assert "verl rejects the config: Could not override 'actor_rollout_ref.actor.no_such_key'" in err
    assert not (run["tmp"] / "wrong" / "verl").exists()


@needs_verl
@pytest.mark.parametrize("kind", ["qwen2_5_vl", "qwen3_vl"])
def test_verls_dataset_loads_the_videos_on_our_time_base(run: dict[str, Any], kind: str) -> None:
    rows = {row["extra_info"]["id"]: row for row in run["rows"]}
    facts = run["facts"]["datasets"][kind]
    assert sorted(fact["id"] for fact in facts) == sorted(rows)
    for fact in facts:
        videos = rows[fact["id"]]["videos"]
        frames = [len(video["video"]) for video in videos]
        assert fact["roles"] == ["system", "user"] and fact["frames"] == frames  # 48, or 6 jigsaw clips of 8
        assert fact["grid_t"] == [count // 2 for count in frames]  # temporal patches of 2 frames: 48 -> 24
        assert fact["video_tokens"] == fact["grid_tokens"] > 0
        assert all(128 * 128 <= pixels <= 256 * 256 for pixels in fact["pixels"])
        fps = [video["sample_fps"] for video in videos]
        if kind == "qwen2_5_vl":  # seconds per temporal patch: 2 frames at the item's sample_fps
            assert fact["second_per_grid_ts"] == pytest.approx([2 / rate for rate in fps], rel=1e-5)
        else:  # Qwen3-VL writes each patch's time (mean of its 2 frames, index / sample_fps) into the prompt
            expected = [round((2 * k + 0.5) / rate, 1) for rate, count in zip(fps, frames) for k in range(count // 2)]
            assert fact["timestamps"] == pytest.approx(expected, abs=0.051)


@needs_verl
def test_verls_reward_worker_scores_with_viubench_rewards(run: dict[str, Any]) -> None:
    cases, scores = run["cases"], run["facts"]["scores"]
    for name, score in (("smooth", compute_score), ("strict", strict_score)):
        assert scores[name] == pytest.approx([score(c["data_source"], c["response"], c["ground_truth"]) for c in cases]), name
    smooth, strict = scores["smooth"], scores["strict"]
    assert smooth[0::3] == [1.0] * 6 and strict[0::3] == [1.0] * 6  # the right answer
    assert all(0 < value < 1 for value in smooth[1::3]) and strict[1::3] == [0.0] * 6  # a near miss: partial / nothing
    assert smooth[2::3] == [0.0] * 6


@needs_verl
def test_a_launch_without_the_gpus_it_asks_for_fails_in_one_line(run: dict[str, Any]) -> None:
    """verl's trainer needs GPUs (its FSDP actor and vLLM rollouts); without them it would wait for
    them with no message. The check before the launch asks Ray, as verl would, and stops."""
    tmp = run["tmp"]
    (tmp / "launch.yaml").write_text(yaml.safe_dump(SMALL))
    gpus = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, check=False).stdout.count("GPU ") if shutil.which("nvidia-smi") else 0
    nodes = "1" if gpus == 0 else "2"  # a machine with GPUs: ask for a second node, which no test cluster has
    command = [PYTHON, "-m", "viubench.cli", "train", "--model", str(tmp / "qwen2_5_vl"), "--data", str(tmp / "mix"), "--engine", "verl",
               "--config", str(tmp / "launch.yaml"), "--out", str(tmp / "launch"), "--nnodes", nodes, "--gpus-per-node", "1"]
    result = subprocess.run(command, capture_output=True, text=True, env=env(tmp), timeout=600, check=False)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr[-3000:]
    last = result.stderr.strip().splitlines()[-1]
    assert re.fullmatch(rf"viubench: error: verl asks for {nodes} node\(s\) x 1 GPU\(s\) \(trainer.nnodes x trainer.n_gpus_per_node\), "
                        rf"but Ray sees 1 node\(s\) with {gpus} GPU\(s\); .*lower --nnodes/--gpus-per-node", last), last
    assert "launching verl" not in result.stderr and not (tmp / "launch" / "verl" / "checkpoints").exists()


@needs_verl
def test_a_module_that_is_found_but_does_not_import_fails_in_one_line(run: dict[str, Any], tmp_path: Path) -> None:
    """qwen_vl_utils without torchvision is found, yet fails to import: the check imports for real."""
    shadow = tmp_path / "shadow" / "qwen_vl_utils"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ModuleNotFoundError(\"No module named 'torchvision'\")\n")
    tmp = run["tmp"]
    (tmp / "shadowed.yaml").write_text(yaml.safe_dump(SMALL))
    command = [PYTHON, "-m", "viubench.cli", "train", "--model", str(tmp / "qwen2_5_vl"), "--data", str(tmp / "mix"), "--engine", "verl",
               "--config", str(tmp / "shadowed.yaml"), "--out", str(tmp_path / "out"), "--dry-run"]
    result = subprocess.run(command, capture_output=True, text=True, env={**env(tmp), "PYTHONPATH": str(tmp_path / "shadow")}, timeout=600, check=False)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.stderr.strip().splitlines()[-1] == (
        "viubench: error: the verl environment is incomplete: qwen_vl_utils does not import (ModuleNotFoundError: No module named "
        "'torchvision'); the verl engine needs verl: pip install 'viubench[verl]' (in its own environment; vllm too on the GPU nodes)")
    assert not (tmp_path / "out").exists()
