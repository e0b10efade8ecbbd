"""The times a grounding model is told are the real source times of the sampled frames: on a file
video with a gap in its timeline, a sampled frame's timestamp finds that very frame when the file is
decoded again on its own, and differs from its index over the average frame rate."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from videos import mean_abs_diff
from viubench.video.load import load_video
from viubench.video.ref import VideoRef
from viubench.video.spec import VideoSpec
from viubench.video.decode import resize
from viubench.video.synthetic import textured_frames

GAP_AT, GAP_MS, STEP_MS = 30, 1500, 100  # frames every 0.1 s, and 1.5 s missing before frame 30
SAME = 3.0  # near-lossless H.264 against the same frame decoded again
DIFFERENT = 10.0  # the texture drifts 4 px a frame: a neighbouring frame is far off


def gapped_video(path: Path, count: int = 60) -> Path:
    """An H.264 mp4 whose frames are 0.1 s apart except for one 1.6 s step (a variable frame rate)."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 96, 64, "yuv444p"
        stream.options = {"crf": "4", "preset": "ultrafast"}
        stream.time_base = stream.codec_context.time_base = Fraction(1, 1000)
        for index, pixels in enumerate(textured_frames(count, 96, 64, seed=3)):
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts, frame.time_base = index * STEP_MS + (GAP_MS if index >= GAP_AT else 0), Fraction(1, 1000)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def frames_by_time(path: Path) -> dict[float, np.ndarray]:
    """Every frame of the file, decoded from the start without viubench, by its time from the first frame."""
    with av.open(str(path)) as container:
        frames = [(frame.time, frame.to_ndarray(format="rgb24")) for frame in container.decode(video=0)]
    first = frames[0][0]
    return {round(time - first, 6): pixels for time, pixels in frames}


def test_a_sampled_frame_is_the_frame_decoded_at_its_timestamp(tmp_path: Path) -> None:
    path = gapped_video(tmp_path / "gapped.mp4")
    decoded = load_video(VideoRef(path=str(path)), VideoSpec(fps=2.0, max_frames=48))
    independent = frames_by_time(path)
    times = sorted(independent)
    after_gap = [k for k, index in enumerate(decoded.indices) if index >= GAP_AT]
    assert after_gap, decoded.indices
    k = after_gap[0]
    stamp, index = decoded.timestamps[k], decoded.indices[k]
    assert abs(stamp - index / decoded.source_fps) > 0.5  # not index / average fps: the gap is in it
    assert round(stamp, 6) in independent, (stamp, times[:5])
    height, width = decoded.frames.shape[1:3]
    same = resize(independent[round(stamp, 6)], (width, height))
    assert mean_abs_diff(decoded.frames[k], same) < SAME
    neighbour = resize(independent[times[times.index(round(stamp, 6)) + 1]], (width, height))
    assert mean_abs_diff(decoded.frames[k], neighbour) > DIFFERENT
    assert all(round(t, 6) in independent for t in decoded.timestamps)  # every sampled time is a real frame time
