"""Charades-STA's fixture: two videos and four queries in the published format."""

from __future__ import annotations

from pathlib import Path

from viubench.builtin_tasks.charades_sta import ANNOTATIONS
from viubench.video.synthetic import textured_video


def fixture(folder: Path) -> Path:
    """Two videos and four queries in the published format."""
    lines = []
    for k, video_id in enumerate(["3MSZA", "AO8RW"]):
        textured_video(folder / "Charades_v1_480" / f"{video_id}.mp4", count=120, width=160, height=96, seed=10 + k, fps=24)
        lines.append(f"{video_id} {0.5 + k:.1f} {2.5 + k:.1f}##person turn a light on.")
        lines.append(f"{video_id} 1.0 4.2##a person is putting a book on a shelf.")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ANNOTATIONS).write_text("\n".join(lines) + "\n")
    return folder
