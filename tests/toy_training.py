"""A toy training setting that learns within CI time, for the GRPO tests.

``toy_mix``: jigsaw items with 2 clips, kept where the right order is ``21`` (so the lesson is one a
tiny random model can learn in a few steps). ``warm_start``: a few supervised steps that give a tiny random model a spread of well-formed answers, so GRPO on it
has reward variance to learn from (a random 400-token model almost never writes ``12`` or ``21``).

Each item is trained on every answer in ``answers`` equally: afterwards the model samples them in
about equal shares, whichever one is right.
"""

from __future__ import annotations

from pathlib import Path

TOY_MIX = """
name: toy-jigsaw2
frames: {frames: 48, max_pixels: 65536, min_pixels: 16384}
components:
- {task: jigsaw, count: 8, clips: 2}
"""
# small frames keep the tiny model fast on 2 cores
TOY_CONFIG = {"max_pixels": 12544, "min_pixels": 3136, "max_response_tokens": 4, "trl": {"gradient_checkpointing": False}}


def toy_mix(out: Path) -> Path:
    """The 2-clip jigsaw mix, built from the sample clips, keeping the items whose answer is ``21``."""
    import hashlib
    import json

    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from viubench.dataset.build import build_dataset
    from viubench.dataset.mix import resolve_mix
    from viubench.dataset.store import write_items
    from viubench.jsonfile import write_json_atomic

    mix_file = out.parent / "toy_mix.yaml"
    mix_file.write_text(TOY_MIX)
    build_dataset(resolve_mix(str(mix_file)), out, None, seed=0, workers=2)
    table = pq.read_table(out / "items.parquet")
    kept = table.filter(pc.equal(table["answer"], "21")).to_pylist()
    # a subset is a dataset of its own: its manifest must vouch for the new items (eval checks it)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["items_sha256"] = write_items(kept, out / "items.parquet")
    manifest["media_sha256"] = hashlib.sha256("".join(row["media_sha256"] for row in kept).encode()).hexdigest()
    manifest["num_items"] = len(kept)
    write_json_atomic(out / "manifest.json", manifest)
    return out


def warm_start(model_dir: Path, dataset: Path, answers: list[str], out: Path, steps: int = 40, lr: float = 3e-3) -> Path:
    import torch
    from transformers import AutoModelForImageTextToText, AutoProcessor

    from viubench.train.config import TrainConfig
    from viubench.train.data import load_training_data
    from viubench.train.visual import prompt_inputs

    torch.manual_seed(0)
    processor = AutoProcessor.from_pretrained(model_dir)
    model = AutoModelForImageTextToText.from_pretrained(model_dir, dtype=torch.float32)
    config = TrainConfig.model_validate(TOY_CONFIG)
    data = load_training_data(dataset, config)
    video_token = model.config.video_token_id
    eos = processor.tokenizer.eos_token_id
    examples = []
    for sample in data.samples.values():
        built = prompt_inputs(processor, sample, data.spec)
        for answer in answers:
            target = processor.tokenizer(answer).input_ids + [eos]
            ids = torch.tensor([built.input_ids + target])
            labels = ids.clone()
            labels[0, : len(built.input_ids)] = -100
            examples.append((ids, labels, built.video))
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for step in range(steps):
        ids, labels, video = examples[step % len(examples)]
        loss = model(input_ids=ids, labels=labels, mm_token_type_ids=(ids == video_token).int() * 2, **video).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    model.save_pretrained(out)
    processor.save_pretrained(out)
    return out
