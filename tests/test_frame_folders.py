"""A folder of numbered images is a video like a file: the task's VideoSpec samples it (fps cap,
max_frames, clip bounds, pixel budget), each frame's timestamp is its source time (image n shows
n / folder_fps), and a missing, unreadable or escaping image is that sample's error, never a crash."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pydantic import ValidationError

from videos import write_video

from viubench.backends.base import ErrorInfo
from viubench.runner.prefetch import decode_sample
from viubench.video.load import load_video
from viubench.task.sample import AnswerFormat, Part, Sample, user_turn
from viubench.video.ref import VideoRef
from viubench.video.spec import VideoSpec
from viubench.video.decoded import DecodedVideo

SPEC = VideoSpec(fps=2.0, max_frames=48, max_pixels=64 * 64, min_pixels=16 * 16)


def coded_frame(number: int, width: int = 64, height: int = 48) -> np.ndarray:
    """A flat frame whose red channel is its number (so a decoded frame says which image it was)."""
    frame = np.zeros((height, width, 3), dtype=np.uint8)
    frame[..., 0], frame[..., 1] = number, 255 - number
    return frame


def frame_folder(folder: Path, numbers: range, suffix: str = ".png") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for number in numbers:
        Image.fromarray(coded_frame(number)).save(folder / f"{number:05d}{suffix}")
    return folder


def decoded(ref: VideoRef, spec: VideoSpec = SPEC) -> DecodedVideo | ErrorInfo:
    """What the media workers hand a backend for a one-video sample."""
    sample = Sample(
        id="s", task="t", subtask="x", messages=user_turn(None, [Part(type="video", video=ref)]), target="A", answer_format=AnswerFormat(kind="choice", letters="AB")
    )
    result = decode_sample(sample, spec)
    return result if isinstance(result, ErrorInfo) else result[0]


def numbers_shown(video: DecodedVideo) -> list[int]:
    return [int(frame[..., 0].mean().round()) for frame in video.frames]


def test_a_bounded_frame_folder_shows_only_frames_inside_the_clip_at_their_source_times(tmp_path: Path) -> None:
    folder = frame_folder(tmp_path / "clip", range(1, 31))  # 10 s at 3 fps, numbered from 1
    video = decoded(VideoRef(folder=str(folder), folder_fps=3.0, first_index=1, start=2.5, end=7.0))
    assert isinstance(video, DecodedVideo)
    assert video.timestamps and all(2.5 <= t <= 7.0 for t in video.timestamps)
    assert video.timestamps == sorted(video.timestamps)
    assert len(video.frames) == 9  # images 8..21: 4.67 s at 2 fps
    assert video.indices == numbers_shown(video)  # each frame is the image its index names ...
    assert video.timestamps == pytest.approx([n / 3.0 for n in video.indices])  # ... shown at n / fps
    assert video.source_fps == 3.0 and video.source_frames == 31  # the timeline 0 .. 30 of image numbers


def test_an_unbounded_frame_folder_is_sampled_over_its_images_only(tmp_path: Path) -> None:
    folder = frame_folder(tmp_path / "clip", range(1, 31))
    video = decoded(VideoRef(folder=str(folder), folder_fps=3.0))
    assert isinstance(video, DecodedVideo)
    assert min(video.indices) >= 1 and max(video.indices) <= 30
    assert len(video.frames) == 20  # 30 images = 10 s at 3 fps, at 2 fps
    assert video.indices == numbers_shown(video)


def test_a_frame_folder_is_sampled_exactly_like_the_video_file_of_the_same_frames(tmp_path: Path) -> None:
    frames = [coded_frame(n) for n in range(40)]
    path = write_video(tmp_path / "clip.mp4", frames, fps=8)
    folder = frame_folder(tmp_path / "clip", range(40))
    for start, end in [(None, None), (1.3, 3.9), (0.0, 0.5)]:
        from_file = load_video(VideoRef(path=str(path), start=start, end=end), SPEC)
        from_folder = load_video(VideoRef(folder=str(folder), folder_fps=8.0, first_index=0, start=start, end=end), SPEC)
        assert from_folder.indices == from_file.indices
        assert from_folder.timestamps == pytest.approx(from_file.timestamps)
        assert from_folder.frames.shape == from_file.frames.shape
        assert (from_folder.source_fps, from_folder.source_frames) == (from_file.source_fps, from_file.source_frames)


def test_the_frame_budget_applies_to_frame_folders(tmp_path: Path) -> None:
    folder = tmp_path / "big"
    folder.mkdir()
    for number in range(1, 121):
        Image.fromarray(np.full((240, 320, 3), number, dtype=np.uint8)).save(folder / f"{number}.jpg")  # unpadded names
    video = decoded(VideoRef(folder=str(folder), folder_fps=10.0), VideoSpec(fps=2.0, max_frames=8, max_pixels=128 * 128, min_pixels=32 * 32))
    assert isinstance(video, DecodedVideo)
    assert len(video.frames) == 8
    assert video.frames.shape[1] * video.frames.shape[2] <= 128 * 128
    assert len({frame.shape for frame in video.frames}) == 1


def test_file_clip_bounds_keep_only_frames_inside_them(tmp_path: Path) -> None:
    path = write_video(tmp_path / "clip.mp4", [coded_frame(n) for n in range(96)], fps=24)
    video = load_video(VideoRef(path=str(path), start=1.01, end=2.2), SPEC)
    assert video.timestamps and all(1.01 <= t <= 2.2 for t in video.timestamps)
    past_the_end = load_video(VideoRef(path=str(path), start=3.0, end=99.0), SPEC)  # cut to the video
    assert all(3.0 <= t < 4.0 for t in past_the_end.timestamps)
    between_two_frames = load_video(VideoRef(path=str(path), start=1.01, end=1.02), SPEC)
    assert between_two_frames.indices == [24]  # the frame nearest to a clip shorter than the frame spacing


@pytest.mark.parametrize(
    "bounds, reason",
    [((5.0, 9.0), "clip-outside"), ((-3.0, -1.0), "clip-outside"), ((2.0, 1.0), "bad-clip")],
    ids=["after the end", "before the start", "reversed"],
)
def test_a_clip_that_shows_nothing_is_the_samples_error(tmp_path: Path, bounds: tuple[float, float], reason: str) -> None:
    folder = frame_folder(tmp_path / "clip", range(1, 13))  # 4 s at 3 fps
    path = write_video(tmp_path / "clip.mp4", [coded_frame(n) for n in range(48)], fps=12)
    for ref in (VideoRef(folder=str(folder), folder_fps=3.0, start=bounds[0], end=bounds[1]), VideoRef(path=str(path), start=bounds[0], end=bounds[1])):
        error = decoded(ref)
        assert isinstance(error, ErrorInfo) and error.kind == "media" and error.message.startswith(reason)


def test_missing_unreadable_or_escaping_images_are_the_samples_error(tmp_path: Path) -> None:
    gap = frame_folder(tmp_path / "gap", range(1, 31))
    (gap / "00015.png").unlink()
    broken = frame_folder(tmp_path / "broken", range(1, 31))
    (broken / "00015.png").write_bytes(b"not an image")
    (tmp_path / "empty").mkdir()
    escaping = frame_folder(tmp_path / "escaping", range(1, 31))
    (escaping / "00015.png").unlink()
    (escaping / "00015.png").symlink_to(frame_folder(tmp_path / "elsewhere", range(15, 16)) / "00015.png")
    cases = {
        "missing": VideoRef(folder=str(gap), folder_fps=3.0),
        "corrupt": VideoRef(folder=str(broken), folder_fps=3.0),
        "escapes": VideoRef(folder=str(escaping), folder_fps=3.0),
        "missing folder": VideoRef(folder=str(tmp_path / "nowhere"), folder_fps=3.0),
        "no images": VideoRef(folder=str(tmp_path / "empty"), folder_fps=3.0),
    }
    for case, ref in cases.items():
        error = decoded(ref)
        assert isinstance(error, ErrorInfo) and error.kind == "media", case
        assert str(tmp_path) not in error.message  # images are named by name only
    assert decoded(cases["missing"]).message.startswith("missing: frame 15 ")  # type: ignore[union-attr]


def test_a_frame_folder_needs_its_frame_rate() -> None:
    with pytest.raises(ValidationError, match="folder_fps"):
        VideoRef(folder="frames")
