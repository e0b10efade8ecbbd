"""ActivityNet Captions' fixture: two videos (one stored without the v_ prefix) and three sentences,
one timestamp past the duration, as val_2.json or val_1.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

from viubench.video.synthetic import textured_video

# The fixture, in the published schema: (key, duration, timestamps, sentences, file name of the video).
# The second caption's end lies past the duration (clamped); the second video is stored without "v_".
FIXTURE_VIDEOS = [
    ("v_uqiMw7tQ1Cc", 5.0, [[0.28, 2.9], [1.6, 6.3]], ["A weight lifting tutorial is given.", "  The coach helps the guy in red with the lifting technique."], "v_uqiMw7tQ1Cc.mp4"),
    ("v_bXdq2zI1Ms0", 5.0, [[2.1, 4.4]], [" Three men are standing on a mat."], "bXdq2zI1Ms0.mp4"),
]


def fixture_annotations() -> dict[str, Any]:
    return {key: {"duration": duration, "timestamps": stamps, "sentences": sentences} for key, duration, stamps, sentences, _ in FIXTURE_VIDEOS}


def _fixture(split: str) -> Callable[[Path], Path]:
    def fixture(folder: Path) -> Path:
        """Two videos (one without the v_ prefix) and three sentences, one timestamp past the duration."""
        for seed, (_, _, _, _, file_name) in enumerate(FIXTURE_VIDEOS):
            textured_video(folder / "videos" / file_name, count=120, width=160, height=96, seed=30 + seed, fps=24)
        (folder / f"{split}.json").write_text(json.dumps(fixture_annotations()))
        return folder

    return fixture


fixture = _fixture("val_2")
fixture_val1 = _fixture("val_1")
