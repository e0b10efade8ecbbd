"""The training config (paper recipe defaults, strict keys), the reward adapter and the batch plan:
no torch needed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cli import viubench_cli
from viubench.errors import UserError
from viubench.rewards import compute_score, strict_score
from viubench.train.config import TrainConfig, load_train_config
from viubench.train.trl_engine import batch_plan, reward_functions


def test_defaults_are_the_paper_recipe() -> None:
    config = TrainConfig()
    assert (config.rollouts_per_prompt, config.learning_rate, config.prompts_per_step, config.kl_coef) == (8, 1e-6, 64, 1e-3)
    assert (config.entropy_coef, config.clip_ratio, config.temperature, config.max_response_tokens, config.epochs) == (0.0, 0.2, 1.0, 2048, 1)
    assert (config.max_frames, config.max_pixels, config.min_pixels, config.max_prompt_tokens) == (48, 256 * 256, 128 * 128, 8192)
    assert config.reward == "smooth"


def test_print_config_round_trips_and_unknown_keys_name_the_valid_ones(tmp_path: Path) -> None:
    printed = viubench_cli("train", "--print-config", "--max-steps", "7", "--reward", "strict")
    assert printed.returncode == 0, printed.stderr
    resolved = yaml.safe_load(printed.stdout)
    assert resolved["max_steps"] == 7 and resolved["reward"] == "strict" and resolved["rollouts_per_prompt"] == 8
    saved = tmp_path / "resolved.yaml"
    saved.write_text(printed.stdout)
    assert load_train_config(saved) == TrainConfig.model_validate(resolved)

    bad = tmp_path / "bad.yaml"
    bad.write_text("rollouts_per_prompt: 8\nlearning_rat: 1e-6\n")
    result = viubench_cli("train", "--config", str(bad), "--print-config")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "unknown key 'learning_rat'" in result.stderr and "learning_rate" in result.stderr
    nested = tmp_path / "nested.yaml"
    nested.write_text("trl: {per_device_bacth: 4}\n")
    with pytest.raises(UserError, match="per_device_batch"):
        load_train_config(nested)
    swapped = tmp_path / "swapped.yaml"
    swapped.write_text("min_pixels: 70000\n")
    with pytest.raises(UserError, match="min_pixels"):
        load_train_config(swapped)


def test_reward_adapter_scores_each_task_with_viubench_rewards() -> None:
    rows = {"data_source": ["grounding", "counting", "jigsaw", "jigsaw"], "ground_truth": ["2.0-4.0", "3,1,4", "213", "213"]}
    texts = ["2.0-3.0", "3, 1, 2", "231", "nonsense"]
    completions = [[{"role": "assistant", "content": text}] for text in texts]
    for kind, score in (("smooth", compute_score), ("strict", strict_score)):
        functions = reward_functions(kind)
        assert [f.__name__ for f in functions] == ["grounding", "counting", "jigsaw"]
        per_task = [f(prompts=[None] * 4, completions=completions, **rows) for f in functions]
        expected = [score(s, t, g) for s, t, g in zip(rows["data_source"], texts, rows["ground_truth"])]
        combined = [next(v for v in column if v is not None) for column in zip(*per_task)]
        assert combined == expected
        assert sum(v is not None for column in per_task for v in column) == 4  # one task scores each row
    assert reward_functions("smooth")[0](prompts=[None], completions=[[{"role": "assistant", "content": "2.0-3.0"}]], data_source=["grounding"], ground_truth=["2.0-4.0"]) == [0.5]


def test_batch_plan_makes_one_recipe_step() -> None:
    assert batch_plan(TrainConfig(), world=8) == (8, 8)  # 64 prompts x 8 rollouts = 512 = 8 GPUs x 8 x 8 accumulation
    assert batch_plan(TrainConfig(prompts_per_step=2, rollouts_per_prompt=4), world=1) == (8, 1)
    with pytest.raises(UserError, match="cannot be split"):
        batch_plan(TrainConfig.model_validate({"prompts_per_step": 3, "rollouts_per_prompt": 3, "trl": {"per_device_batch": 2}}), world=1)


def test_training_needs_model_and_data_and_a_built_dataset(tmp_path: Path) -> None:
    result = viubench_cli("train", "--model", "x")
    assert result.returncode == 2 and "--data" in result.stderr
    result = viubench_cli("train", "--model", "x", "--data", str(tmp_path))
    assert result.returncode == 2 and "not a dataset made by 'viubench build'" in result.stderr
    result = viubench_cli("train", "--model", "openai:gpt-4o", "--data", str(tmp_path))
    assert result.returncode == 2 and "API model" in result.stderr


def test_the_recipe_file_of_the_launch_examples_is_the_default() -> None:
    examples = Path(__file__).parent.parent / "scripts" / "train"
    assert load_train_config(examples / "videossr_recipe.yaml") == TrainConfig()
    for script in ("trl_one_node.sh", "verl_ray_cluster.sh"):
        text = (examples / script).read_text()
        assert "videossr_recipe.yaml" in text and "viubench" in text
