"""No answer leaks through how a built dataset's frames are encoded and written.

A frame may tell the answer only through its pixels. So on a dataset built from the real sample clips:
- every encoding setting (quantisation and Huffman tables, subsampling, baseline/progressive, restart
  interval, JFIF/EXIF/comment segments) and every piece of metadata is the same for every frame, and
  the dimensions are the same within a shown video except where the perturbation itself changes the
  shape (Rotate90/270);
- every frame file has one modification time, whatever the answer or whichever item showed it first;
- a file's name and bytes are functions of its pixels alone: re-encoding a frame rebuilt from the source
  clip with the project's encoder gives the exact stored bytes, and its content key gives the file name,
  wherever the frame is shown; two shown frames share a file exactly when their pixels are equal.
A non-neural leak solver that reads only the settings and metadata features must score at the level
of a guess that ignores the files. File size is a content feature (a noisy frame compresses worse, a
zoomed-out one better, neighbouring clips have similar sizes), like the pixels a model sees anyway: it
is deliberately not hidden, and no solver here reads it.
"""

from __future__ import annotations

import hashlib
import itertools
import zlib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pyarrow.parquet as pq
import pytest
from PIL import Image

from viubench.dataset.build import build_dataset
from viubench.dataset.mix import Mix, viubench_mix
from viubench.dataset.store import encode_frame, frame_key
from viubench.pretext.perturbations import PIXEL_OPS, apply_pixel_op
from viubench.video.decode import decode_frames
from viubench.video.files import sample_clips_dir

pytestmark = pytest.mark.slow  # the quick tier (pytest -m 'not slow') leaves this file out

PER_SUBTYPE = 12
SOF_MARKERS = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
SOS, DQT, DRI, COM, APP0, APP1 = 0xDA, 0xDB, 0xDD, 0xFE, 0xE0, 0xE1
RESHAPING = {"Rotate90", "Rotate270"}


@dataclass(frozen=True)
class JpegHeader:
    """What a JPEG file says besides its compressed pixels."""

    segments: tuple[tuple[int, bytes], ...]  # (marker, payload) up to and including the first scan header
    width: int
    height: int
    scan_markers: tuple[int, ...]  # markers inside the compressed data (restart markers, further scans)
    trailer: bytes  # anything after the end-of-image marker

    def setting(self) -> tuple[object, ...]:
        """Everything but the dimensions: two frames with equal settings were encoded alike."""
        segments = tuple((m, p[:1] + p[5:] if m in SOF_MARKERS else p) for m, p in self.segments)
        return segments, self.scan_markers, self.trailer

    def markers(self) -> set[int]:
        return {marker for marker, _ in self.segments} | set(self.scan_markers)

    def features(self) -> list[float]:
        """Numbers a solver can compare across frames: the setting's fingerprint, table sums, shape."""
        fingerprint = zlib.crc32(repr(self.setting()).encode())
        tables = sum(sum(p) for m, p in self.segments if m == DQT)
        header = sum(len(p) + 4 for _, p in self.segments)
        return [float(fingerprint), float(tables), float(header), float(self.width), float(self.height)]


def jpeg_header(data: bytes) -> JpegHeader:
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    segments, position = [], 2
    while True:
        assert data[position] == 0xFF, f"no marker at byte {position}"
        marker = data[position + 1]
        length = int.from_bytes(data[position + 2 : position + 4], "big")
        segments.append((marker, data[position + 4 : position + 2 + length]))
        position += 2 + length
        if marker == SOS:
            break
    end = data.rindex(b"\xff\xd9")
    scan = data[position:end]
    inside = tuple(scan[i + 1] for i in range(len(scan) - 1) if scan[i] == 0xFF and scan[i + 1] not in (0x00, 0xFF))
    sof = next(p for m, p in segments if m in SOF_MARKERS)
    return JpegHeader(tuple(segments), int.from_bytes(sof[3:5], "big"), int.from_bytes(sof[1:3], "big"), inside, data[end + 2 :])


def _iou(a: tuple[int, int], b: tuple[int, int]) -> float:
    inter = max(0, min(a[1], b[1]) - max(a[0], b[0]))
    return inter / (a[1] - a[0] + b[1] - b[0] - inter)


def windows(frames: int) -> list[tuple[int, int]]:
    return [(start, start + length) for length in range(8, 17) for start in range(0, frames - length + 1)]


BLIND_GUESS = (18, 30)  # what the solver answers when the features single out nothing


def window_solver(features: np.ndarray) -> tuple[int, int]:
    """The window of 8..16 frames whose features stand out most from the other frames'."""
    best, answer = 0.0, BLIND_GUESS
    for start, end in windows(len(features)):
        inside = np.zeros(len(features), dtype=bool)
        inside[start:end] = True
        spread = features[~inside].std(axis=0) + 1e-9
        score = float((np.abs(features[inside].mean(axis=0) - features[~inside].mean(axis=0)) / spread).sum())
        if score > best:
            best, answer = score, (start, end)
    return answer


def order_solver(clip_features: Sequence[np.ndarray], descending: bool) -> str:
    """A jigsaw answer from clips sorted by their mean features (ties keep the shown order)."""
    keys = [tuple(np.asarray(f).mean(axis=0)) for f in clip_features]
    order = sorted(range(len(keys)), key=lambda k: keys[k], reverse=descending)
    position_of = {clip: shown for clip, shown in enumerate(order)}
    return "".join(str(position_of[clip] + 1) for clip in range(len(order)))


def best_blind_miou(answers: list[tuple[int, int]], frames: int = 48) -> float:
    """The best score of one fixed interval, given to every item: no feature can be worth less."""
    return max(100 * float(np.mean([_iou(w, a) for a in answers])) for w in windows(frames))


@dataclass
class SolverScores:
    grounding: dict[str, float]  # subtype: solver mIoU
    blind: dict[str, float]  # subtype: best fixed-interval mIoU on the same items
    jigsaw_hits: int
    jigsaw_items: int


def solve(items: list[tuple[dict, list[list[np.ndarray]]]]) -> SolverScores:
    """Score the leak solvers on ``(row, per-video per-frame features)`` pairs."""
    mious: dict[str, list[float]] = defaultdict(list)
    answers: dict[str, list[tuple[int, int]]] = defaultdict(list)
    hits = {False: 0, True: 0}
    jigsaw = 0
    for row, videos in items:
        if row["task"] == "grounding":
            start, length = row["params"]["segment_start"], row["params"]["segment_length"]
            truth = (start, start + length)
            mious[row["subtype"]].append(100 * _iou(window_solver(np.array(videos[0])), truth))
            answers[row["subtype"]].append(truth)
        elif row["task"] == "jigsaw":
            jigsaw += 1
            for descending in hits:
                hits[descending] += order_solver([np.array(v) for v in videos], descending) == row["answer"]
    return SolverScores(
        {s: float(np.mean(v)) for s, v in mious.items()}, {s: best_blind_miou(a) for s, a in answers.items()}, max(hits.values()), jigsaw
    )


def leak_mix(per_subtype: int) -> Mix:
    """VIUBench's nine subtypes, plus Noise (the largest files) and Rotate90 (a frame changes shape)."""
    data = viubench_mix(per_subtype).model_dump(mode="json")
    data["components"] += [{"task": "grounding", "perturbation": p, "count": per_subtype} for p in ("Noise", "Rotate90")]
    return Mix.model_validate(data)


@pytest.fixture(scope="module")
def sample_viubench(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("viubench") / "ds"
    summary = build_dataset(leak_mix(PER_SUBTYPE), out, None, seed=2, workers=2)  # no --videos: the sample clips
    assert {s.relpath for s in summary.sources} == {"bikes.mp4", "bigbuckbunny.mp4", "carphone_pristine.mp4"}
    return out


def _rows(dataset: Path) -> list[dict]:
    return pq.read_table(dataset / "items.parquet").to_pylist()


def _files(dataset: Path, row: dict) -> list[Path]:
    return [dataset / name for video in row["videos"] for name in video["frames"]]


def test_every_frame_is_encoded_alike(sample_viubench: Path) -> None:
    settings, infos = set(), set()
    for row in _rows(sample_viubench):
        perturbed = [p["perturbation"] for p in row["provenance"]]
        frames = iter(perturbed)
        for video in row["videos"]:
            shapes = set()
            for name in video["frames"]:
                data = (sample_viubench / name).read_bytes()
                header = jpeg_header(data)
                settings.add(header.setting())
                with Image.open(sample_viubench / name) as image:
                    infos.add(repr(sorted(image.info.items())))
                    assert image.format == "JPEG" and image.size == (header.width, header.height)
                shape = (header.width, header.height)
                shapes.add(shape[::-1] if next(frames) in RESHAPING else shape)
            assert len(shapes) == 1, f"{row['id']}: frames of one video differ in size"
            assert shapes == {(video["width"], video["height"])} or row["subtype"] == "grounding_rotate90"
    assert len(settings) == 1, "frames differ in their encoding settings"
    assert len(infos) == 1, "frames differ in their metadata"
    [(segments, scan_markers, trailer)] = settings
    markers = {marker for marker, _ in segments}
    assert 0xC0 in markers and 0xC2 not in markers, "baseline, not progressive"
    assert not markers & {DRI, COM, APP1}, "no restart interval, comment or EXIF segment"
    assert not scan_markers and trailer == b"", "one scan, no restart markers, nothing after the image"
    sof = next(p for m, p in segments if m in SOF_MARKERS)  # precision, components, (id, sampling, table) each
    assert [sof[3 + 3 * k] for k in range(sof[1])] == [0x11, 0x11, 0x11], "4:4:4 for every frame"


def test_settings_and_metadata_solver_scores_like_a_blind_guess(sample_viubench: Path) -> None:
    items = []
    for row in _rows(sample_viubench):
        videos = []
        for video in row["videos"]:
            features = []
            for name in video["frames"]:
                path = sample_viubench / name
                stat = path.stat()
                features.append(jpeg_header(path.read_bytes()).features() + [float(stat.st_mode)])
            videos.append(features)
        items.append((row, videos))
    scores = solve(items)
    assert set(scores.grounding) == {f"grounding_{p}" for p in ("channelswap", "rotate180", "zoomout", "mirror", "shuffle", "noise", "rotate90")}
    for subtype, miou in scores.grounding.items():
        if subtype != "grounding_rotate90":  # its frames change shape: the pixels' own feature
            assert miou <= scores.blind[subtype], (subtype, miou, scores.blind[subtype])
    assert scores.jigsaw_items == 2 * PER_SUBTYPE and scores.jigsaw_hits <= 1


def test_file_bytes_are_a_function_of_the_pixels_alone(sample_viubench: Path) -> None:
    """Frames rebuilt from the source clips and encoded alone give the stored bytes, in any item or position."""
    folder = sample_clips_dir()
    rows = [r for r in _rows(sample_viubench) if r["task"] in ("grounding", "jigsaw")]
    wanted: dict[tuple[str, tuple[int, int]], set[int]] = defaultdict(set)
    shown = []
    for row in rows:
        plain = next(p for p in row["provenance"] if p["perturbation"] is None)
        size = (row["videos"][plain["video"]]["width"], row["videos"][plain["video"]]["height"])
        if row["subtype"] == "grounding_rotate90" and row["provenance"][0]["perturbation"]:
            size = size[::-1]
        for frame, name in zip(row["provenance"], (n for v in row["videos"] for n in v["frames"])):
            clip = row["params"]["donor"] if frame["source"] == "donor" else row["source"]["path"]
            wanted[(clip, size)].add(frame["source_frame"])
            shown.append((row, frame, name, clip, size))
    decoded = {}
    for (clip, size), indices in wanted.items():
        order = sorted(indices)
        decoded.update({(clip, size, i): f for i, f in zip(order, decode_frames(folder / clip, order, size))})
    quality = leak_mix(PER_SUBTYPE).frames.jpeg_quality
    checked = defaultdict(int)
    for row, frame, name, clip, size in shown:
        pixels = decoded[(clip, size, frame["source_frame"])]
        if frame["perturbation"] in PIXEL_OPS:
            pixels = apply_pixel_op(frame["perturbation"], pixels, row["params"], frame["position"])
        assert encode_frame(pixels, quality) == (sample_viubench / name).read_bytes(), (row["id"], frame["position"])
        assert Path(name).stem == frame_key(pixels, quality), (row["id"], frame["position"])
        checked[frame["perturbation"] or row["task"]] += 1
    assert {"jigsaw", "ChannelSwap", "Rotate180", "ZoomOut", "Mirror", "Shuffle", "Noise", "Rotate90"} <= set(checked)


def test_frame_files_carry_no_write_order(sample_viubench: Path) -> None:
    """Frames are stored once each; no file time says which item (or worker) wrote a frame first."""
    jigsaw_hits = jigsaw_total = 0
    frame_files = [p for p in (sample_viubench / "media").rglob("*") if p.is_file()]
    assert len({p.stat().st_mtime_ns for p in frame_files}) == 1, "frame files differ in their modification times"
    for row in _rows(sample_viubench):
        for video in row["videos"]:
            # the only per-frame metadata in the items table is the content key and the frame's time
            assert video["timestamps"] == pytest.approx([k / video["sample_fps"] for k in range(len(video["frames"]))])
        if row["task"] == "jigsaw":
            # a solver that orders clips by their file names guesses no better than by chance
            keys = [min(Path(name).stem for name in video["frames"]) for video in row["videos"]]
            order = sorted(range(len(keys)), key=lambda k: keys[k])
            jigsaw_hits += row["answer"] == "".join(str(clip + 1) for clip in order)
            jigsaw_total += 1
    assert jigsaw_total == 2 * PER_SUBTYPE and jigsaw_hits <= 1


def test_a_shared_file_means_equal_pixels_and_nothing_else(sample_viubench: Path) -> None:
    """Two shown frames have one file exactly when their pixels are equal: which frames of an item other
    items also show is told by the name no more than by the decoded pixels."""
    names = {name for row in _rows(sample_viubench) for video in row["videos"] for name in video["frames"]}
    decoded: dict[bytes, str] = {}
    for name in sorted(names):
        pixels = np.asarray(Image.open(sample_viubench / name).convert("RGB"))
        digest = hashlib.sha256(repr(pixels.shape).encode() + pixels.tobytes()).digest()
        assert digest not in decoded, f"{name} and {decoded.get(digest)} show the same pixels"
        decoded[digest] = name
    assert len(names) == len([p for p in (sample_viubench / "media").rglob("*.jpg")]), "every stored frame is shown, none twice"


def test_item_ids_are_unique_and_stable(sample_viubench: Path) -> None:
    rows = _rows(sample_viubench)
    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids)) == 11 * PER_SUBTYPE
    for subtype, group in itertools.groupby(rows, key=lambda r: r["subtype"]):
        assert [r["index"] for r in group] == list(range(PER_SUBTYPE))
    assert all(row["data_source"] in ("grounding", "counting", "jigsaw") for row in rows)
