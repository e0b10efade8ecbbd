"""Tiny random-weight Qwen2.5-VL and Qwen3-VL, built locally (tokenizer trained here, processor,
config, ``save_pretrained``), so the transformers and vLLM paths run for real with no download.

    python tests/tiny_models.py qwen2_5_vl OUT_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>", "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>"]
CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}{% else %}{% for part in message['content'] %}"
    "{% if part['type'] == 'video' %}<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif part['type'] == 'image' %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}{% endfor %}{% endif %}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
CORPUS = [
    "Based on this video, provide the answer directly.",
    "In a segment of this video, the colors in the video are inverted. Your task is to identify the precise time interval of this change.",
    "Count the number of circles, squares, and triangles that appear in this video. Provide the answer as three comma-separated numbers.",
    "This video is presented as 6 separate clips, which are in a shuffled order. Clip 1: Clip 2: seconds",
    "Answer with the option letter directly. A B C D 0 1 2 3 4 5 6 7 8 9 . - , : ( ) ' ?",
    "Please find the visual event described by a sentence in the video, determining its starting and ending times.",
]


def build_tokenizer(out: Path):  # noqa: ANN201
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE(unk_token=None))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=SPECIAL, initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tokenizer.train_from_iterator(CORPUS * 20, trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, eos_token="<|im_end|>", pad_token="<|endoftext|>", additional_special_tokens=SPECIAL[1:], chat_template=CHAT_TEMPLATE
    )
    return fast


def build(kind: str, out: Path, size: dict | None = None) -> Path:
    """Write a tiny ``kind`` (``qwen2_5_vl`` or ``qwen3_vl``) model directory to ``out``.

    ``size`` ({"text": {...}, "vision": {...}}) replaces the tiny dimensions, e.g. with a real model's
    (scripts/bench_train.py --size); the tokenizer stays the tiny one and the weights random."""
    import torch

    out.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer(out)
    ids = {token: tokenizer.convert_tokens_to_ids(token) for token in SPECIAL}
    tokens = {
        "image_token_id": ids["<|image_pad|>"],
        "video_token_id": ids["<|video_pad|>"],
        "vision_start_token_id": ids["<|vision_start|>"],
        "vision_end_token_id": ids["<|vision_end|>"],
    }
    text = {
        "vocab_size": len(tokenizer), "hidden_size": 128, "intermediate_size": 128, "num_hidden_layers": 2,
        "num_attention_heads": 2, "num_key_value_heads": 1, "max_position_embeddings": 32768,
        "eos_token_id": ids["<|im_end|>"], "pad_token_id": ids["<|endoftext|>"], "bos_token_id": None, "tie_word_embeddings": False,
    }
    size = size or {}
    torch.manual_seed(0)
    if kind == "qwen2_5_vl":
        from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration, Qwen2_5_VLProcessor, Qwen2VLImageProcessor, Qwen2VLVideoProcessor

        text["rope_parameters"] = {"rope_type": "default", "mrope_section": [8, 12, 12], "rope_theta": 1000000.0}
        text.update(size.get("text", {}))
        vision = {"depth": 2, "hidden_size": 64, "intermediate_size": 128, "num_heads": 4, "out_hidden_size": 128, "fullatt_block_indexes": [1], "window_size": 56, **size.get("vision", {})}
        config = Qwen2_5_VLConfig(text_config=text, vision_config=vision, **tokens)
        model = _construct(Qwen2_5_VLForConditionalGeneration, config, big=bool(size))
        processor = Qwen2_5_VLProcessor(image_processor=Qwen2VLImageProcessor(), video_processor=Qwen2VLVideoProcessor(), tokenizer=tokenizer, chat_template=CHAT_TEMPLATE)
    elif kind == "qwen3_vl":
        from transformers import Qwen3VLConfig, Qwen3VLForConditionalGeneration, Qwen3VLProcessor
        from transformers.models.qwen2_vl.image_processing_qwen2_vl import Qwen2VLImageProcessor
        from transformers.models.qwen3_vl.video_processing_qwen3_vl import Qwen3VLVideoProcessor

        text["rope_parameters"] = {"rope_type": "default", "mrope_section": [8, 12, 12], "mrope_interleaved": True, "rope_theta": 5000000.0}
        text["head_dim"] = 64  # vLLM's CPU attention needs head_dim >= 32
        text.update(size.get("text", {}))
        vision = {"depth": 2, "hidden_size": 64, "intermediate_size": 128, "num_heads": 4, "out_hidden_size": 128, "deepstack_visual_indexes": [0], "num_position_embeddings": 256, **size.get("vision", {})}
        config = Qwen3VLConfig(text_config=text, vision_config=vision, **tokens)
        model = _construct(Qwen3VLForConditionalGeneration, config, big=bool(size))
        processor = Qwen3VLProcessor(image_processor=Qwen2VLImageProcessor(patch_size=16), video_processor=Qwen3VLVideoProcessor(), tokenizer=tokenizer, chat_template=CHAT_TEMPLATE)
    else:
        raise ValueError(kind)
    model.generation_config.eos_token_id = ids["<|im_end|>"]
    model.generation_config.pad_token_id = ids["<|endoftext|>"]
    model.save_pretrained(out)
    processor.save_pretrained(out)
    return out


def _construct(cls, config, big: bool):  # noqa: ANN001, ANN202
    """The model with random weights; a real-size one directly in bfloat16 (half the host memory)."""
    import torch

    if not big:
        return cls(config)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.bfloat16)
    try:
        return cls(config)
    finally:
        torch.set_default_dtype(previous)


if __name__ == "__main__":
    build(sys.argv[1], Path(sys.argv[2]))
