"""TACoS' fixture: the 2D-TAN annotations (frames) and the moment_detr form (seconds)."""

from __future__ import annotations

import json
from pathlib import Path

from viubench.builtin_tasks.tacos import FRAMES_FILE
from viubench.video.synthetic import textured_video

FIXTURE_FPS = 29.4
FIXTURE_ANNOTATIONS = {
    "s30-d52.avi": {"num_frames": 294, "fps": FIXTURE_FPS, "timestamps": [[30, 120], [150, 280], [200, 320]],
                    "sentences": ["He took out a cutting board.", "The person washes the carrot.", "She peels the carrot."]},
}  # the third sentence ends past the video (frame 320 of 294): clamped


def fixture(folder: Path) -> Path:
    """One 10 s video and three sentences in the 2D-TAN format (timestamps in frames at 29.4 fps)."""
    textured_video(folder / "videos" / "s30-d52-cam-002.avi", count=100, width=96, height=64, seed=40, fps=10)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / FRAMES_FILE).write_text(json.dumps(FIXTURE_ANNOTATIONS))
    return folder
