"""The published figures of the VideoSSR paper (arXiv 2511.06281): Table 1 (VIUBench) and the downstream
results at 48 frames, shown as published rows, not runs."""

from __future__ import annotations

VIUBENCH_COLUMNS = [
    "counting_easy", "counting_hard", "grounding_channelswap", "grounding_rotate180", "grounding_zoomout",
    "grounding_mirror", "grounding_shuffle", "jigsaw_easy", "jigsaw_hard",
]
VIUBENCH_TABLE1 = {
    "Random guess": [11.1, 6.3, 25.9, 25.4, 25.4, 25.2, 25.2, 0.1, 0.0, 16.1],
    "GPT-5": [88.4, 70.3, 82.6, 81.8, 56.5, 48.9, 34.1, 39.0, 27.0, 58.7],
    "Gemini-2.5-Pro": [80.8, 61.3, 84.6, 82.3, 51.0, 55.7, 52.1, 25.3, 17.7, 56.7],
    "Gemini-2.5-Flash": [35.7, 22.4, 75.8, 73.7, 28.5, 30.2, 28.6, 8.3, 4.0, 34.1],
    "Seed1.5-VL": [72.3, 52.0, 79.0, 70.7, 19.4, 31.4, 24.1, 20.7, 9.3, 42.2],
    "Qwen2.5-VL-7B": [11.3, 5.3, 6.4, 13.7, 8.1, 5.2, 7.0, 0.7, 0.0, 6.4],
    "Qwen3-VL-8B": [13.8, 7.7, 50.1, 53.4, 21.4, 13.6, 14.1, 1.3, 0.0, 19.5],
    "Qwen3-VL-32B": [20.1, 13.0, 66.1, 63.0, 17.6, 29.4, 18.9, 1.3, 0.0, 25.5],
    "InternVL-3.5-8B": [15.2, 9.6, 25.9, 42.4, 6.1, 9.8, 3.1, 0.0, 0.0, 12.5],
    "VideoSSR-8B": [29.0, 24.6, 88.7, 89.0, 94.4, 67.8, 41.0, 24.3, 8.0, 51.9],
}

# The paper's downstream results, Qwen3-VL-8B-Instruct -> VideoSSR-8B at 48 frames, by viubench task name, with the domain.
DOWNSTREAM = {
    "mvbench": ("General video QA", "MVBench", 67.6, 68.8),
    "tempcompass": ("General video QA", "TempCompass", 74.8, 75.8),
    "aotbench": ("General video QA", "AoTBench", 60.2, 61.7),
    "vinoground": ("General video QA", "VinoGround", 45.0, 55.6),
    "videomme": ("Long video QA", "Video-MME", 66.0, 66.7),
    "lvbench": ("Long video QA", "LVBench", 41.5, 42.9),
    "longvideobench": ("Long video QA", "LongVideoBench", 60.0, 61.1),
    "cgbench": ("Long video QA", "CG-Bench", 41.7, 42.5),
    "qvhighlights": ("Temporal grounding", "QVHighlights", 46.4, 61.1),
    "activitynet": ("Temporal grounding", "ActivityNet Captions", 38.4, 43.0),
    "charades-sta": ("Temporal grounding", "Charades-STA", 50.0, 51.1),
    "tacos": ("Temporal grounding", "TACoS", 25.9, 27.7),
    "videommmu": ("Complex reasoning", "VideoMMMU", 58.5, 60.0),
    "video-tt": ("Complex reasoning", "Video-TT", 43.0, 44.9),
    "vcr-bench": ("Complex reasoning", "VCR-Bench", 7.4, 15.3),
    "cvbench": ("Complex reasoning", "CVBench", 61.5, 63.8),
    "viubench": ("Intrinsic", "VIUBench", 19.5, 51.9),
}
# The paper's appendix breakdowns of the grounding benchmarks (R@0.3, R@0.5, R@0.7 at 48 frames), by task
# and model, where a public copy of the tables could be checked. None are filled in yet: a value goes in
# only once read from the paper itself, and the report shows "-" for the others.
GROUNDING_RECALLS: dict[str, dict[str, tuple[float, float, float]]] = {}
PAPER_MODELS = {2: "Qwen3-VL-8B", 3: "VideoSSR-8B"}  # the DOWNSTREAM entry index of each model's figure
DOMAIN_ORDER = ["Intrinsic", "General video QA", "Long video QA", "Temporal grounding", "Complex reasoning"]


def grounding_paper_rows(task: str) -> list[dict]:
    """The paper's breakdown rows of a grounding task: label and [mIoU, R@0.3, R@0.5, R@0.7] (None where
    not known); no rows for a task the paper does not report."""
    entry = DOWNSTREAM.get(task)
    if entry is None or entry[0] != "Temporal grounding":
        return []
    rows = []
    for index, model in PAPER_MODELS.items():
        recalls = GROUNDING_RECALLS.get(task, {}).get(model, (None, None, None))
        rows.append({"label": f"{model} (paper)", "values": [entry[index], *recalls]})
    return rows


def paper_rows() -> list[dict]:
    """Published rows: Table 1 for VIUBench (all models) and the 48-frame downstream figures."""
    rows = []
    for model, values in VIUBENCH_TABLE1.items():
        scores = {"viubench": {"overall": values[-1], "subtasks": dict(zip(VIUBENCH_COLUMNS, values[:-1]))}}
        if model in PAPER_MODELS.values():
            index = next(i for i, name in PAPER_MODELS.items() if name == model)
            for task, entry in DOWNSTREAM.items():
                if task != "viubench":
                    scores[task] = {"overall": entry[index], "subtasks": {}}
        rows.append({"label": f"{model} (paper)", "published": True, "scores": scores})
    return rows
