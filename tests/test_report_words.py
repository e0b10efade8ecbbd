"""What the report and the leaderboard say in words: no Python ``None`` where a protocol value is the
default, and a warning box titled by the kinds of warning it holds."""

from __future__ import annotations

from pathlib import Path

from viubench.report.build import warning_lists
from viubench.report.leaderboard import entry_key, key_in_words
from viubench.report.runs import RunView


def view(label: str, frames: int | None, limit: int | None) -> RunView:
    manifest = {"run_id": label, "config": {"model": label, "frames": frames, "limit": limit}, "tasks": {"viubench": {"video": {"max_frames": frames}}}}
    results = {"viubench": {"overall": {"score": 10.0, "n": 5, "errors": 0, "parse_failures": 0}}}
    return RunView(Path(label), manifest, results, label)


def test_protocol_warnings_name_defaults_in_words() -> None:
    found = warning_lists([view("random", None, None), view("other", 32, 100)], ["viubench"])
    text = " ".join(found["warnings"])
    assert "random: task default" in text and "random: no limit" in text and "other: 32" in text and "other: 100" in text
    assert "None" not in text
    assert found["warning_kinds"] == ["protocol differences"]  # no "training-data overlap" where there is none


def test_no_warnings_no_kinds() -> None:
    assert warning_lists([view("a", 16, None), view("b", 16, None)], ["viubench"]) == {"warnings": [], "warning_kinds": []}


def test_leaderboard_rows_are_named_in_words() -> None:
    assert key_in_words(entry_key("random", {"frames": None, "limit": None})) == "random (frames: task default, limit: none)"
    assert key_in_words(entry_key("a|b", {"frames": 32, "limit": 100})) == "a|b (frames: 32, limit: 100)"
    wider = entry_key("a", {"frames": 32, "limit": None, "max_pixels": 200704, "max_new_tokens": 512})
    assert wider == "a|frames=32|limit=None|max_pixels=200704|max_new_tokens=512"
    assert key_in_words(wider) == "a (frames: 32, limit: none, max pixels: 200704, max new tokens: 512)"
