"""Anomaly Grounding (docs/benchmark.md §3.1): perturb a segment of 8..16 frames, ask for its time interval."""

from __future__ import annotations

import numpy as np

from viubench.pretext.content import FrameFetcher, ItemContent, Provenance, SourceVideo
from viubench.pretext.perturbations import DESCRIPTIONS, PIXEL_OPS, apply_pixel_op, draw_params, hold_offsets
from viubench.pretext.prompts import grounding_question
from viubench.video.sampling import warped_positions


def grounding_answer(start: int, length: int, fps: float) -> str:
    """``"{start/fps:.1f}-{(start+length)/fps:.1f}"``: the end is the first unperturbed frame's time."""
    return f"{start / fps:.1f}-{(start + length) / fps:.1f}"


def generate_grounding(
    rng: np.random.Generator,
    perturbation: str,
    segment_length: tuple[int, int],
    frames: int,
    source: SourceVideo,
    donor: SourceVideo | None,
    fetch: FrameFetcher,
) -> ItemContent:
    length = int(rng.integers(segment_length[0], segment_length[1] + 1))
    start = int(rng.integers(0, frames - length + 1))
    params = draw_params(perturbation, rng, length)
    segment = range(start, start + length)

    base = source.sampled(frames)
    indices = list(base)
    from_donor = [False] * frames
    if perturbation in ("Slow", "Fast"):
        speeds = [params["speed"] if p in segment else 1.0 for p in range(frames)]
        indices = warped_positions(source.info.num_frames, frames, speeds)
    elif perturbation == "Shuffle":
        for offset, moved in enumerate(params["permutation"]):
            indices[start + offset] = base[start + moved]
    elif perturbation == "StutterHold":
        for offset, held in enumerate(hold_offsets(length, params["hold_count"])):
            indices[start + offset] = base[start + held]
    elif perturbation == "Swap":
        if donor is None:
            raise ValueError("Swap needs a donor video")
        donor_base = donor.sampled(frames)
        for p in segment:
            indices[p] = donor_base[p]
            from_donor[p] = True

    own = [p for p in range(frames) if not from_donor[p]]
    shown: list[np.ndarray] = [np.empty(0)] * frames
    for p, frame in zip(own, fetch(source, [indices[p] for p in own], source.size)):
        shown[p] = frame
    borrowed = [p for p in range(frames) if from_donor[p]]
    if borrowed:
        assert donor is not None
        for p, frame in zip(borrowed, fetch(donor, [indices[p] for p in borrowed], source.size)):
            shown[p] = frame
    if perturbation in PIXEL_OPS:
        for p in segment:
            shown[p] = apply_pixel_op(perturbation, shown[p], params, p)

    fps = source.fps(frames)
    provenance = []
    for p in range(frames):
        video = donor if from_donor[p] else source
        assert video is not None
        provenance.append(
            Provenance(
                video=0,
                position=p,
                source="donor" if from_donor[p] else "source",
                source_frame=indices[p],
                source_time=indices[p] / video.info.average_fps,
                time=p / fps,
                perturbation=perturbation if p in segment else None,
            )
        )
    question = grounding_question(DESCRIPTIONS[perturbation])
    params = {"perturbation": perturbation, "segment_start": start, "segment_length": length, **params}
    if donor is not None and perturbation == "Swap":
        params["donor"] = donor.relpath
        params["donor_sha256"] = donor.key
    return ItemContent(
        question=question,
        answer=grounding_answer(start, length, fps),
        prompt=f"<video>\n{question}",
        videos=[shown],
        timestamps=[[p / fps for p in range(frames)]],
        provenance=provenance,
        params=params,
    )
