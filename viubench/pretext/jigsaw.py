"""Temporal Jigsaw (docs/benchmark.md §3.3): cut the frames into n clips, show them shuffled, ask for the order."""

from __future__ import annotations

import numpy as np

from viubench.pretext.content import FrameFetcher, ItemContent, Provenance, SourceVideo
from viubench.pretext.prompts import jigsaw_question


def jigsaw_answer(shown_order: list[int]) -> str:
    """``shown_order[k]`` is the original clip shown at position k; digit j is where clip j is shown."""
    position_of = {clip: k + 1 for k, clip in enumerate(shown_order)}
    return "".join(str(position_of[clip]) for clip in range(len(shown_order)))


def generate_jigsaw(
    rng: np.random.Generator, clips: int, frames: int, source: SourceVideo, fetch: FrameFetcher
) -> ItemContent:
    per_clip = frames // clips
    shown_order = [int(c) for c in rng.permutation(clips)]
    indices = source.sampled(frames)
    pixels = fetch(source, indices, source.size)
    fps = source.fps(frames)
    videos, timestamps, provenance = [], [], []
    for shown_at, clip in enumerate(shown_order):
        positions = range(clip * per_clip, (clip + 1) * per_clip)
        videos.append([pixels[p] for p in positions])
        # Each clip is its own video and starts at 0 s: absolute times would give the order away.
        timestamps.append([j / fps for j in range(per_clip)])
        for j, p in enumerate(positions):
            provenance.append(
                Provenance(
                    video=shown_at,
                    position=j,
                    source="source",
                    source_frame=indices[p],
                    source_time=indices[p] / source.info.average_fps,
                    time=j / fps,
                )
            )
    lines = [f"Clip {k + 1}: <video>" for k in range(clips)]
    question = jigsaw_question(clips)
    return ItemContent(
        question=question,
        answer=jigsaw_answer(shown_order),
        prompt="\n".join(lines) + "\n" + question,
        videos=videos,
        timestamps=timestamps,
        provenance=provenance,
        params={"clips": clips, "shown_order": shown_order},
    )
