"""Checks run inside the verl environment by tests/test_train_verl.py: verl's own code, fed the
overrides that ``viubench train --engine verl --dry-run`` printed, on what it wrote.

    python tests/verl_checks.py SPEC.json FACTS.json    (writes the facts the test asserts on)

SPEC: {"runs": {NAME: [override, ...]}, "processors": {NAME: model dir}, "cases": [{data_source,
ground_truth, response}, ...]}. For each run: verl's Hydra composes ``ppo_trainer`` with its
overrides, verl's ``validate_config`` checks it, and verl's reward worker (the one ``main_ppo``
builds from ``reward.*``) scores the cases. For each processor: verl's ``RLHFDataset`` loads the
first run's ``data.train_files`` and each item goes through the rollout's video path
(``process_multi_modal_info`` then the processor).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import io
import json
import re
import sys
from pathlib import Path
from typing import Any


def compose(overrides: list[str]) -> Any:
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    config_dir = Path(next(iter(importlib.util.find_spec("verl").submodule_search_locations))) / "trainer" / "config"
    with initialize_config_dir(config_dir=str(config_dir), version_base=None):
        return hydra_compose(config_name="ppo_trainer", overrides=overrides)


def config_facts(config: Any, overrides: list[str]) -> dict[str, Any]:
    from verl.trainer.ppo.utils import need_critic, need_reference_policy
    from verl.utils.config import validate_config

    with contextlib.redirect_stdout(io.StringIO()) as printed:
        validate_config(config, use_reference_policy=need_reference_policy(config), use_critic=need_critic(config))
    try:
        compose([*overrides, "actor_rollout_ref.actor.no_such_key=1"])
        wrong_key = "accepted"
    except Exception as error:  # noqa: BLE001 - Hydra's composition error is the point
        wrong_key = str(error).splitlines()[0]
    roll, actor, trainer = config.actor_rollout_ref.rollout, config.actor_rollout_ref.actor, config.trainer
    return {
        "validated": "All configuration checks passed" in printed.getvalue(),
        "wrong_key": wrong_key,
        "reference_policy": need_reference_policy(config),
        "adv_estimator": config.algorithm.adv_estimator,
        "rollout": {"name": roll.name, "n": roll.n, "temperature": roll.temperature, "prompt_length": roll.prompt_length,
                    "response_length": roll.response_length},
        "actor": {"lr": actor.optim.lr, "use_kl_loss": actor.use_kl_loss, "kl_loss_coef": actor.kl_loss_coef,
                  "kl_loss_type": actor.kl_loss_type, "entropy_coeff": actor.entropy_coeff, "clip_ratio_low": actor.clip_ratio_low,
                  "clip_ratio_high": actor.clip_ratio_high, "ppo_mini_batch_size": actor.ppo_mini_batch_size},
        "trainer": {key: trainer[key] for key in ("nnodes", "n_gpus_per_node", "total_epochs", "default_local_dir", "val_before_train")},
        "data": {key: config.data[key] for key in ("train_files", "val_files", "train_batch_size", "max_prompt_length")},
        "reward_function": dict(config.reward.custom_reward_function),
    }


def score_cases(config: Any, cases: list[dict[str, str]]) -> list[float]:
    """verl's RewardLoopWorker (as main_ppo's reward loop builds it, without Ray) on one response each."""
    import numpy as np
    import torch
    from omegaconf import OmegaConf
    from verl import DataProto
    from verl.experimental.reward_loop import RewardLoopWorker

    OmegaConf.resolve(config)
    worker = RewardLoopWorker(config)
    tokenizer = worker.input_tokenizer
    prompt = torch.tensor([[tokenizer.pad_token_id, tokenizer.pad_token_id]])
    scores = []
    for case in cases:
        response = torch.tensor([tokenizer.encode(case["response"], add_special_tokens=False) + [tokenizer.eos_token_id]])
        data = DataProto.from_dict(
            tensors={"prompts": prompt, "responses": response, "attention_mask": torch.ones(1, prompt.shape[1] + response.shape[1], dtype=torch.long)},
            non_tensors={
                "data_source": np.array([case["data_source"]], dtype=object),
                "reward_model": np.array([{"style": "rule", "ground_truth": case["ground_truth"]}], dtype=object),
                "extra_info": np.array([{"index": 0}], dtype=object),
            },
        )
        [result] = worker.loop.run_until_complete(worker.compute_score_batch(data))
        scores.append(float(result["reward_score"]))
    return scores


def dataset_facts(config: Any, processor_dir: str) -> list[dict[str, Any]]:
    """verl's RLHFDataset on data.train_files; each item's videos through the rollout's path."""
    from verl.utils import hf_processor, hf_tokenizer
    from verl.utils.dataset.rl_dataset import RLHFDataset
    from verl.utils.tokenizer import build_multimodal_processor_inputs

    tokenizer, processor = hf_tokenizer(processor_dir), hf_processor(processor_dir)
    dataset = RLHFDataset(data_files=config.data.train_files, tokenizer=tokenizer, config=config.data, processor=processor)
    patch = processor.image_processor.patch_size
    merge = processor.image_processor.merge_size
    video_token = processor.tokenizer.convert_tokens_to_ids("<|video_pad|>")
    facts = []
    for position in range(len(dataset)):
        item = dataset[position]
        messages = item["raw_prompt"]
        _, videos, _ = asyncio.run(dataset.process_multi_modal_info(messages, image_patch_size=patch, config=config.data))
        text = processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        inputs = build_multimodal_processor_inputs(processor, text=[text], videos=videos)
        grids = inputs["video_grid_thw"].tolist()
        decoded = processor.tokenizer.decode(inputs["input_ids"][0])
        facts.append({
            "id": item["extra_info"]["id"],
            "roles": [message["role"] for message in messages],
            "frames": [int(video.shape[0]) for video, _ in videos],
            "grid_t": [grid[0] for grid in grids],
            "video_tokens": int((inputs["input_ids"][0] == video_token).sum()),
            "grid_tokens": sum(t * h * w for t, h, w in grids) // (merge * merge),
            "pixels": [int(video.shape[2] * video.shape[3]) for video, _ in videos],
            "second_per_grid_ts": [float(x) for x in inputs["second_per_grid_ts"]] if "second_per_grid_ts" in inputs else None,
            "timestamps": [float(x) for x in re.findall(r"<([0-9.]+) seconds>", decoded)],
        })
    return facts


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text())
    configs = {name: compose(overrides) for name, overrides in spec["runs"].items()}
    first = next(iter(configs.values()))
    facts = {
        "configs": {name: config_facts(configs[name], overrides) for name, overrides in spec["runs"].items()},
        "datasets": {name: dataset_facts(first, path) for name, path in spec["processors"].items()},
        "scores": {name: score_cases(config, spec["cases"]) for name, config in configs.items()},
    }
    Path(sys.argv[2]).write_text(json.dumps(facts))


if __name__ == "__main__":
    main()
