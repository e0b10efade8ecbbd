"""Questions on one video under one VideoSpec decode it once: the media workers route every question on
a video to one process, whose frame cache keeps its decoded frames (bounded in bytes)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from videos import textured_video
from viubench.backends.base import Backend, Request, Response
from viubench.runner import prefetch as prefetching
from viubench.video import load as media
from viubench.runner.prefetch import media_route, prefetch
from viubench.video.load import FrameCache, frame_decodes
from viubench.task.sample import AnswerFormat, Part, Sample, user_turn
from viubench.video.ref import VideoRef
from viubench.video.spec import VideoSpec
from viubench.execution.workers import worker_pool

SPEC = VideoSpec(fps=2.0, max_frames=8, max_pixels=64 * 64, min_pixels=16 * 16)
QUESTIONS = 15


class MediaOnly(Backend):
    name = "media-only"

    def generate(self, requests: list[Request]) -> list[Response]:
        return [Response(text="A") for _ in requests]


def question(ident: str, video: Path, start: float | None = None) -> Sample:
    parts = [Part(type="video", video=VideoRef(path=str(video), start=start)), Part(type="text", text=f"question {ident}?")]
    return Sample(id=ident, task="shared", subtask="all", messages=user_turn(None, parts), target="A", answer_format=AnswerFormat(kind="choice", letters="AB"))


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return textured_video(tmp_path_factory.mktemp("shared") / "one.mp4", count=96, fps=24)


def questions(video: Path) -> list[Sample]:
    return [question(f"q{i:02d}", video) for i in range(QUESTIONS)]


def test_inline_fifteen_questions_on_one_video_decode_it_once(video: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(media, "FRAME_CACHE", FrameCache(64 * 1024 * 1024))
    batches = list(prefetch(iter(questions(video)), SPEC, MediaOnly(), 0))
    assert [fetched.sample.id for batch in batches for fetched in batch] == [f"q{i:02d}" for i in range(QUESTIONS)]
    assert frame_decodes() == 1
    first = batches[0][0].media[0]
    assert all(np.array_equal(batch[0].media[0].frames, first.frames) for batch in batches)
    first.frames[:] = 0  # a backend writing into its frames does not change the next question's
    assert list(prefetch(iter([question("again", video)]), SPEC, MediaOnly(), 0))[0][0].media[0].frames.any()
    assert frame_decodes() == 1
    list(prefetch(iter([question("later", video, start=1.0)]), SPEC, MediaOnly(), 0))  # other frames: decoded
    assert frame_decodes() == 2


def test_media_workers_decode_a_video_once_for_all_its_questions(video: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pools = []

    def recorded_pool(workers: int):  # noqa: ANN202
        pools.append(worker_pool(workers))
        return pools[-1]

    monkeypatch.setattr(prefetching, "worker_pool", recorded_pool)
    samples = questions(video)
    assert len({media_route(sample, 2) for sample in samples}) == 1
    stream = prefetch(iter(samples), SPEC, MediaOnly(), 2)
    seen = [next(stream) for _ in range(QUESTIONS)]  # the pools live until the stream ends
    assert [batch[0].sample.id for batch in seen] == [sample.id for sample in samples]
    assert all(isinstance(batch[0].media, list) and batch[0].media[0].frames.shape[0] == 8 for batch in seen)
    assert len(pools) == 2 and sum(pool.submit(frame_decodes).result() for pool in pools) == 1
    assert list(stream) == []


def test_the_cache_is_bounded_in_bytes(tmp_path: Path) -> None:
    first = textured_video(tmp_path / "a.mp4", count=48, fps=24)
    second = textured_video(tmp_path / "b.mp4", count=48, fps=24, seed=1)
    size = (64, 48)
    one = FrameCache(10**9).get(first, [0, 1, 2], size, "pyav").frames.nbytes
    cache = FrameCache(one)  # room for one entry
    for path in (first, first, second, first):
        cache.get(path, [0, 1, 2], size, "pyav")
    assert cache.decodes == 3
