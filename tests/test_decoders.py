"""SPEC 2 sampling and the two decoders (PyAV default, decord2 optional) on the real sample clips."""

from __future__ import annotations

import pytest

from videos import mean_abs_diff
from viubench.video.decode import decode_frames, probe
from viubench.video.files import SAMPLE_CLIPS, sample_clips_dir
from viubench.video.sampling import fit_size, sample_fps, sample_window, warped_positions


def test_sampling_follows_spec_2() -> None:
    assert sample_window(250) == (12, 237)
    indices = warped_positions(250, 48)
    assert len(indices) == 48 and indices[0] == 12 and indices[-1] < 237
    assert all(b > a for a, b in zip(indices, indices[1:]))
    steps = {b - a for a, b in zip(indices, indices[1:])}
    assert steps <= {4, 5}  # evenly spaced: 225 frames / 48
    assert sample_fps(250, 25.0, 48) == pytest.approx(4.8)  # 48 / 10 s
    assert warped_positions(250, 48, [1.0] * 48) == indices


def test_frames_fit_the_pixel_budget() -> None:
    assert fit_size(1280, 720, 512 * 512, 128 * 128) == (672, 384)
    assert fit_size(640, 272, 512 * 512, 128 * 128) == (640, 272)
    width, height = fit_size(1920, 1080, 256 * 256, 128 * 128)
    assert width * height <= 256 * 256 and width % 16 == 0 and height % 16 == 0
    width, height = fit_size(96, 64, 256 * 256, 128 * 128)
    assert width * height >= 128 * 128


@pytest.mark.parametrize("name", SAMPLE_CLIPS)
def test_decord2_agrees_with_pyav(name: str) -> None:
    path = sample_clips_dir() / name
    pyav, decord = probe(path, "pyav"), probe(path, "decord2")
    assert pyav.num_frames == decord.num_frames and (pyav.width, pyav.height) == (decord.width, decord.height)
    indices = warped_positions(pyav.num_frames, 48)
    size = fit_size(pyav.width, pyav.height, 512 * 512, 128 * 128)
    a, b = decode_frames(path, indices, size, "pyav"), decode_frames(path, indices, size, "decord2")
    assert a.shape == b.shape == (48, size[1], size[0], 3)
    assert max(mean_abs_diff(x, y) for x, y in zip(a, b)) < 3.0  # same frames; colour conversion may differ slightly
