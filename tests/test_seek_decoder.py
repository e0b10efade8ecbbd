"""The PyAV decoder seeks to the keyframes it needs and still gives exactly the frames of a full
sequential decode, at their real presentation times (cases: tests/data/seek_cases.yaml)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
import yaml

from viubench.video.decode import decode_frames, decode_video, probe

CASES = yaml.safe_load((Path(__file__).parent / "data" / "seek_cases.yaml").read_text())
WIDTH, HEIGHT, FPS = 160, 96, 24
VFR_BASE = Fraction(1, 1000)


def _picture(index: int) -> np.ndarray:
    """A moving texture with the frame number drawn into it: every frame differs from its neighbours."""
    rng = np.random.default_rng(7)
    texture = rng.integers(0, 255, (HEIGHT, WIDTH, 3), dtype=np.uint8)
    frame = np.roll(texture, 3 * index, axis=1).copy()
    frame[:16, : 2 * (index % 64) + 2] = 255
    return frame


def vfr_millis(count: int) -> list[int]:
    """Presentation times (ms) of a variable-frame-rate clip: 80 ms, then 20 ms frames, every 10 frames."""
    times, now = [], 0
    for index in range(count):
        times.append(now)
        now += 20 if (index // 10) % 2 else 80
    return times


def encode(path: Path, case: dict[str, Any]) -> Path:
    times = vfr_millis(case["frames"]) if case.get("vfr") else None
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        options = {"g": str(case["gop"]), "keyint_min": str(case["gop"]), "bf": str(case["bframes"]), "sc_threshold": "0", "preset": "veryfast", "crf": "20"}
        if case.get("open_gop"):
            options["x264-params"] = "open-gop=1"
        stream.options = options
        base = VFR_BASE if times else Fraction(1, FPS)
        stream.codec_context.time_base = base
        for index in range(case["frames"]):
            frame = av.VideoFrame.from_ndarray(_picture(index), format="rgb24")
            frame.pts, frame.time_base = (times[index] if times else index), base
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def cut_by_stream_copy(source: Path, target: Path, seconds: float) -> Path:
    """What ``ffmpeg -ss SECONDS -i source -c copy target`` does: packets from the keyframe before the
    cut on, shifted so that the cut is at 0 s (the frames before it get negative times, hidden)."""
    with av.open(str(source)) as reader, av.open(str(target), "w") as writer:
        inp = reader.streams.video[0]
        out = writer.add_stream_from_template(inp)
        shift = int(seconds / inp.time_base)
        reader.seek(shift, stream=inp, backward=True, any_frame=False)
        for packet in reader.demux(inp):
            if packet.dts is None:
                continue
            packet.pts -= shift
            packet.dts -= shift
            packet.stream = out
            writer.mux(packet)
    return target


def full_decode(path: Path) -> tuple[list[np.ndarray], list[float]]:
    """Every frame a plain sequential decode yields, and its time from the first frame."""
    with av.open(str(path)) as container:
        frames = list(container.decode(video=0))
    first = frames[0].pts
    return [f.to_ndarray(format="rgb24") for f in frames], [float((f.pts - first) * f.time_base) for f in frames]


@pytest.fixture(scope="module", params=CASES, ids=[case["name"] for case in CASES])
def case_video(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    case = request.param
    folder = tmp_path_factory.mktemp(case["name"])
    path = encode(folder / case["file"], case)
    if case.get("cut"):
        path = cut_by_stream_copy(path, folder / f"cut{path.suffix}", case["cut"])
    return case, path


def spread(count: int, gop: int) -> list[int]:
    """Indices that hit both sides of keyframes, the ends, and a few in between, in no order, one twice."""
    picks = {0, 1, count - 1, count - 2, count // 2, count // 3}
    for key in range(gop, count, gop):
        picks.update({key - 1, key, key + 1})
    ordered = sorted(i for i in picks if 0 <= i < count)
    return ordered[::-1] + ordered[:1]


def test_frames_equal_a_full_sequential_decode(case_video: tuple[dict[str, Any], Path]) -> None:
    case, path = case_video
    reference, times = full_decode(path)
    info = probe(path)
    assert info.num_frames == len(reference)  # frames an edit list hides are not counted
    indices = spread(len(reference), case["gop"])
    decoded = decode_video(path, indices, (info.width, info.height))
    assert decoded.mode == case["mode"]
    for index, frame in zip(indices, decoded.frames):
        assert np.array_equal(frame, reference[index]), f"frame {index} differs"
    assert decoded.timestamps == pytest.approx([times[i] for i in indices], abs=1e-9)
    every = decode_frames(path, list(range(len(reference))), (info.width, info.height))  # the whole video
    assert all(np.array_equal(a, b) for a, b in zip(every, reference))


def test_variable_frame_rate_frames_carry_their_real_times(tmp_path: Path) -> None:
    case = next(c for c in CASES if c.get("vfr"))
    path = encode(tmp_path / "vfr.mp4", case)
    info = probe(path)
    indices = [0, 9, 10, 19, 20, 55, info.num_frames - 1]
    decoded = decode_video(path, indices, (info.width, info.height))
    real = vfr_millis(case["frames"])
    assert decoded.timestamps == pytest.approx([real[i] / 1000 for i in indices], abs=1e-6)
    naive = [i / info.average_fps for i in indices]
    assert max(abs(a - b) for a, b in zip(naive, decoded.timestamps)) > 0.2  # index / fps would be wrong


def test_a_cut_clip_counts_only_the_frames_it_shows(tmp_path: Path) -> None:
    case = next(c for c in CASES if c.get("cut"))
    source = encode(tmp_path / "source.mp4", case)
    path = cut_by_stream_copy(source, tmp_path / "cut.mp4", case["cut"])
    with av.open(str(path)) as container:
        hidden = sum(1 for packet in container.demux(video=0) if packet.size and packet.is_discard)
    assert hidden > 0  # the file keeps frames before the cut
    info = probe(path)
    last = decode_frames(path, [info.num_frames - 1], (info.width, info.height))  # once: "the stream ended"
    assert np.array_equal(last[0], full_decode(path)[0][-1])
    assert np.array_equal(decode_frames(path, [0], (info.width, info.height))[0], _first_shown(source, case["cut"]))


def _first_shown(source: Path, seconds: float) -> np.ndarray:
    with av.open(str(source)) as container:
        for frame in container.decode(video=0):
            if frame.time is not None and frame.time >= seconds - 1e-9:
                return frame.to_ndarray(format="rgb24")
    raise AssertionError("no frame after the cut")


def test_the_journal_says_how_each_sample_was_decoded(tmp_path: Path) -> None:
    """A run's journal records the decoder's path for every sample (seek for MP4 files)."""
    import json

    from cli import viubench_cli
    from viubench.task.registry import all_tasks

    data = all_tasks()["videomme"].fixture(tmp_path / "videomme")
    result = viubench_cli("eval", "--model", "instant", "--tasks", "videomme", "--data", f"videomme={data}", "--out", str(tmp_path / "runs"))
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in next((tmp_path / "runs").glob("*/samples/videomme.jsonl")).read_text().splitlines()]
    assert records and all(record["decode_mode"] == ["seek"] for record in records)
