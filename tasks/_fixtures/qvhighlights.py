"""QVHighlights' fixture: three clips and their queries in the moment_detr release format."""

from __future__ import annotations

import json
from pathlib import Path

from viubench.builtin_tasks.qvhighlights import ANNOTATIONS
from viubench.video.synthetic import textured_video

FIXTURE_CLIPS = {"NUsG9BgSes0_210.0_360.0": 150, "j7rJstUseKg_360.0_510.0": 150, "bP5KfdFJzC4_660.0_786.0": 126}
FIXTURE_ROWS = [  # the published fields; the windows are relative to each clip
    {"qid": 2581, "query": "The mother laughs at the screen.", "duration": 150, "vid": "NUsG9BgSes0_210.0_360.0",
     "relevant_windows": [[4, 10], [60, 70], [120, 124]], "relevant_clip_ids": [2, 3, 4, 30, 31, 32, 33, 34, 60, 61],
     "saliency_scores": [[1, 1, 1]] * 10},
    {"qid": 2579, "query": "A girl and her mother cooked while talking with each other on facetime.", "duration": 150,
     "vid": "NUsG9BgSes0_210.0_360.0", "relevant_windows": [[82, 150]], "relevant_clip_ids": list(range(41, 75)),
     "saliency_scores": [[1, 1, 2]] * 34},
    {"qid": 9769, "query": "A man shows the inside of his car.", "duration": 150, "vid": "j7rJstUseKg_360.0_510.0",
     "relevant_windows": [[0, 24]], "relevant_clip_ids": list(range(12)), "saliency_scores": [[2, 2, 3]] * 12},
    {"qid": 7312, "query": "Waves crash against a rocky shore.", "duration": 126, "vid": "bP5KfdFJzC4_660.0_786.0",
     "relevant_windows": [[100, 126]], "relevant_clip_ids": list(range(50, 63)), "saliency_scores": [[3, 2, 2]] * 13},
    {"qid": 7313, "query": "A boat sails past the cliffs.", "duration": 126, "vid": "bP5KfdFJzC4_660.0_786.0",
     "relevant_windows": [[110, 130]], "relevant_clip_ids": list(range(55, 63)), "saliency_scores": [[1, 2, 2]] * 8},  # ends past the clip
    {"qid": 9770, "query": "The man opens the trunk.", "duration": 150, "vid": "j7rJstUseKg_360.0_510.0",
     "relevant_windows": [[40, 56]], "relevant_clip_ids": list(range(20, 28)), "saliency_scores": [[2, 3, 3]] * 8},
    {"qid": 2580, "query": "The girl stirs a pot on the stove.", "duration": 150, "vid": "NUsG9BgSes0_210.0_360.0",
     "relevant_windows": [[96, 110]], "relevant_clip_ids": list(range(48, 55)), "saliency_scores": [[2, 2, 2]] * 7},
]


def fixture(folder: Path) -> Path:
    """Three clips (one of 126 s) and seven queries in the published format, one with three windows
    and one whose window ends past its clip. (The several-window query comes last.)"""
    for k, (vid, seconds) in enumerate(FIXTURE_CLIPS.items()):
        textured_video(folder / "videos" / f"{vid}.mp4", count=seconds, width=96, height=64, seed=30 + k, fps=1)
    (folder / ANNOTATIONS).write_text("".join(json.dumps(row) + "\n" for row in FIXTURE_ROWS))
    return folder
