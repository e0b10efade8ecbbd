"""How fast viubench samples frames from long videos, beside decord2's get_batch and the floor.

Builds 1280x720 30 fps H.264 test videos (a keyframe every 250 frames, and one every 60; closed GOPs
with B-frames), then prints in one table, for 32 and 64 frames sampled evenly over the whole video:

- viubench: ``decode_video`` with PyAV (exact frames; seeks to the keyframes it needs), frames
  resized to the default VideoSpec's pixel budget, the demux pass that lists the frames included;
- decord2: ``VideoReader(...).get_batch`` (not exact: it may give a neighbouring frame; "decord2 off"
  counts its frames that differ from the exact ones by more than colour conversion does);
- floor: decode only the GOP spans needed (seek to each needed keyframe, decode up to the last wanted
  frame of that GOP), converting nothing;
- 15 questions: ``load_video`` for 15 questions on the same video and VideoSpec in one media process
  (the frame cache decodes once), against one question.

The videos repeat a 50-second stretch of encoded GOPs (each GOP is closed, so a copy decodes like the
original): building a 30-minute video takes seconds. They are kept in ``--videos`` for the next run.

    python scripts/bench_long_video.py            # 10- and 30-minute videos (a few minutes)
    python scripts/bench_long_video.py --quick    # 2- and 6-minute videos
"""

from __future__ import annotations

import argparse
import bisect
import math
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image

from viubench.video import load as media
from viubench.video.load import FrameCache, load_video, sample_indices
from viubench.video.ref import VideoRef
from viubench.video.spec import VideoSpec
from viubench.video import seek
from viubench.video.decode import decode_video, resize
from viubench.video.sampling import fit_size

WIDTH, HEIGHT, FPS = 1280, 720, 30
STRETCH_SECONDS = 50
QUESTIONS = 15


def _texture() -> np.ndarray:
    rng = np.random.default_rng(0)
    small = rng.integers(0, 255, (180, 320, 3), dtype=np.uint8)
    return np.asarray(Image.fromarray(small).resize((WIDTH * 2, HEIGHT), Image.Resampling.BILINEAR))


def _stretch(path: Path, keyint: int) -> Path:
    """A 50-second clip whose GOPs are all closed and ``keyint`` frames long."""
    frames = STRETCH_SECONDS * FPS // keyint * keyint
    texture = _texture()
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.options = {"preset": "ultrafast", "bf": "2", "g": str(keyint), "keyint_min": str(keyint), "sc_threshold": "0", "crf": "23"}
        for index in range(frames):
            x = (index * 5) % WIDTH
            picture = np.ascontiguousarray(texture[:, x : x + WIDTH])
            picture[40:120, 40 : 40 + (index % 1000)] = 255  # a bar that grows: every frame differs
            for packet in stream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def long_video(folder: Path, minutes: int, keyint: int) -> Path:
    """A ``minutes``-long video made by repeating the stretch's packets with shifted timestamps."""
    path = folder / f"long_{minutes}min_k{keyint}.mp4"
    if path.is_file():
        return path
    stretch = folder / f"stretch_k{keyint}.mp4"
    if not stretch.is_file():
        _stretch(stretch, keyint)
    with av.open(str(stretch)) as reader:
        source = reader.streams.video[0]
        packets = [packet for packet in reader.demux(source) if packet.size]
        span = int(Fraction(STRETCH_SECONDS * FPS // keyint * keyint, FPS) / source.time_base)
        partial = path.with_suffix(".partial.mp4")
        with av.open(str(partial), "w") as writer:
            target = writer.add_stream_from_template(source)
            for copy in range(math.ceil(minutes * 60 / STRETCH_SECONDS)):
                for packet in packets:
                    clone = av.Packet(bytes(packet))
                    clone.pts, clone.dts = packet.pts + copy * span, packet.dts + copy * span
                    clone.time_base, clone.is_keyframe, clone.stream = source.time_base, packet.is_keyframe, target
                    writer.mux(clone)
    partial.rename(path)
    return path


def _timed(action, repeat: int) -> float:  # noqa: ANN001
    """The best of ``repeat`` runs (the machine may be busy with other work)."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best


def floor(path: Path, indices: list[int]) -> None:
    """Decode only the GOP spans the frames need (the frame list is known in advance: not timed)."""
    table = seek.frame_table(path)
    ends: dict[int, int] = {}
    for index in indices:
        pts = table.pts[index]
        key = table.keyframes[bisect.bisect_right(table.keyframes, pts) - 1]
        ends[key] = max(ends.get(key, pts), pts)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for key, last in ends.items():
            container.seek(key, stream=stream, backward=True, any_frame=False)
            done = False
            for packet in container.demux(stream):
                for frame in packet.decode():
                    done = done or frame.pts >= last
                if done:
                    break


def decord_batch(path: Path, indices: list[int], into: list[np.ndarray]) -> None:
    import decord

    into[:] = decord.VideoReader(str(path)).get_batch(indices).asnumpy()


def viubench_decode(path: Path, indices: list[int], size: tuple[int, int], into: list[np.ndarray]) -> None:
    seek._TABLES.clear()  # the demux pass is part of the cost
    into[:] = decode_video(path, indices, size).frames


def neighbours(exact: list[np.ndarray], other: list[np.ndarray], size: tuple[int, int]) -> int:
    """Frames of ``other`` that are not the exact frame (beyond colour-conversion differences)."""
    differ = 0
    for ours, theirs in zip(exact, other):
        diff = np.abs(ours.astype(np.int16) - resize(theirs, size).astype(np.int16)).mean()
        differ += int(diff > 3.0)
    return differ


def questions(path: Path, spec: VideoSpec, count: int) -> None:
    seek._TABLES.clear()
    media.FRAME_CACHE = FrameCache(media.FRAME_CACHE_BYTES)
    for _ in range(count):
        load_video(VideoRef(path=str(path)), spec)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="about 2- and 6-minute videos instead of 10 and 30")
    parser.add_argument("--videos", type=Path, default=Path(tempfile.gettempdir()) / "viubench-bench-long-video", help="where the test videos are built and kept")
    parser.add_argument("--repeat", type=int, default=3, help="time each row this many times and keep the best (default 3)")
    args = parser.parse_args()
    args.videos.mkdir(parents=True, exist_ok=True)
    short, long = (2, 6) if args.quick else (10, 30)
    videos = [(short, 250), (long, 250), (short, 60)]
    print(f"building {', '.join(f'about {m} min (keyframe every {k})' for m, k in videos)} in {args.videos}", flush=True)
    header = f"{'video':<16}{'frames':>7}{'viubench':>10}{'decord2':>9}{'floor':>8}{'vb/floor':>10}  decord2 off  mode"
    print(header)
    print("-" * len(header))
    for minutes, keyint in videos:
        path = long_video(args.videos, minutes, keyint)
        table = seek.frame_table(path)
        for frames in (32, 64):
            spec = VideoSpec(max_frames=frames)
            indices = sample_indices(table.count, table.average_fps, spec, None, None)
            size = fit_size(table.width, table.height, spec.max_pixels, spec.min_pixels)
            exact: list[np.ndarray] = []
            other: list[np.ndarray] = []
            ours = _timed(lambda: viubench_decode(path, indices, size, exact), args.repeat)
            mode = decode_video(path, indices[:1], size).mode
            theirs = _timed(lambda: decord_batch(path, indices, other), args.repeat)
            least = _timed(lambda: floor(path, indices), args.repeat)
            wrong = neighbours(exact, other, size)
            print(f"{f'{table.count / table.average_fps / 60:.1f} min k{keyint}':<16}{frames:>7}{ours:>9.2f}s{theirs:>8.2f}s{least:>7.2f}s{ours / least:>9.2f}x{wrong:>6}/{frames:<3}  {mode}", flush=True)
    minutes, keyint = videos[0]
    path = long_video(args.videos, minutes, keyint)
    spec = VideoSpec(max_frames=32)
    one = _timed(lambda: questions(path, spec, 1), args.repeat)
    many = _timed(lambda: questions(path, spec, QUESTIONS), args.repeat)
    print(f"\n{QUESTIONS} questions on the first video (32 frames, one media process): {many:.2f}s, one question {one:.2f}s ({many / one:.2f}x)")


if __name__ == "__main__":
    main()
