"""Splitting source videos between evaluation and training builds.

Items of different datasets never coincide (each dataset seeds its own item stream), but a benchmark
built from the same videos as a training mix still shows the model footage it trained on: it then
measures memorisation as much as understanding. ``--video-split eval`` and ``--video-split train`` give
each build one side of a fixed split of the videos by content: a video is on the eval side when its
SHA-256 falls in the first ``eval_share`` of the hash range. The split depends on the file's bytes
only (not its name or folder), so the same video lands on the same side in every build and every
folder, and the two sides never share a video.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from viubench.config import StrictModel

SIDES = ("eval", "train")


class VideoSplit(StrictModel):
    side: Literal["eval", "train"]
    eval_share: float = Field(0.2, gt=0, lt=1, description="share of videos (by content hash) on the eval side")

    def keeps(self, sha256: str) -> bool:
        """Whether the video with content hash ``sha256`` belongs to this side."""
        on_eval_side = int(sha256[:16], 16) / 16**16 < self.eval_share
        return on_eval_side == (self.side == "eval")

    def reason(self) -> str:
        other = "train" if self.side == "eval" else "eval"
        return f"video split: on the {other} side (eval share {self.eval_share:g})"
