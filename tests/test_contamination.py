"""Scoring a checkpoint on footage it trained on warns, and the run manifest records what is shared.

A project folder as a user has it after ``viubench build`` and ``viubench train``: training data built
on the train side of a video split, a VIUBench on its eval side, one without a split (same footage), a
tiny random-weight Qwen2.5-VL as the starting model and a "checkpoint" of it whose ``viubench-train.json``
is written by the trainer's own writer while the user's paths were relative to the project (the GRPO
steps themselves are tests/test_train_trl.py's). Eval and report then run from other folders, through
the real transformers backend.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hf_required import require_hf

require_hf()

from tiny_models import build  # noqa: E402
from viubench.commands.train import next_steps  # noqa: E402
from viubench.dataset.build import build_dataset  # noqa: E402
from viubench.dataset.mix import Mix, viubench_mix  # noqa: E402
from viubench.dataset.split import VideoSplit  # noqa: E402
from viubench.runner.contamination import check_contamination, training_data  # noqa: E402
from viubench.train.checkpoint import base_model_fingerprint, train_meta, write_meta  # noqa: E402
from viubench.train.config import TrainConfig  # noqa: E402

pytestmark = pytest.mark.slow  # the quick tier (pytest -m 'not slow') leaves this file out

TESTS = Path(__file__).parent
# by content hash, 0.2 puts carphone_pristine on the eval side, bikes and bigbuckbunny on the train side
SHARE = 0.2
TRAIN_MIX = {"name": "toy-train", "purpose": "train", "components": [{"task": "jigsaw", "clips": 2, "count": 2}, {"task": "counting", "count": 2}]}
EVAL_MIX = {"name": "viubench", "purpose": "eval", "components": [{"task": "jigsaw", "clips": 2, "count": 2}, {"task": "counting", "count": 2}]}


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), str(TESTS.parent)]), "VIUBENCH_CACHE": str(cwd / ".cache")}
    return subprocess.run([sys.executable, "-m", "viubench.cli", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=900, check=False)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("project")
    data = root / "data"
    build_dataset(Mix.model_validate(TRAIN_MIX), data / "train", None, seed=0, workers=1, split=VideoSplit(side="train", eval_share=SHARE))
    build_dataset(Mix.model_validate(EVAL_MIX), data / "viubench-eval", None, seed=0, workers=1, split=VideoSplit(side="eval", eval_share=SHARE))
    build_dataset(viubench_mix(1), data / "viubench", None, seed=0, workers=1)
    base = build("qwen2_5_vl", root / "base")
    checkpoint = root / "ckpt" / "var"
    shutil.copytree(base, checkpoint)
    here = Path.cwd()
    os.chdir(root)  # the user typed relative paths: --model base --data data/train --out ckpt/var
    try:
        manifest = json.loads((Path("data/train") / "manifest.json").read_text())
        meta = train_meta(engine="trl", base_model="base", dataset=Path("data/train"), manifest_sha256=_sha(Path("data/train")),
                          config=TrainConfig(), steps_done=3, total_steps=3, items={"jigsaw": 2, "counting": 2},
                          base_fingerprint=base_model_fingerprint("base"), steps_with_signal=0)
        write_meta(Path("ckpt/var"), meta)
    finally:
        os.chdir(here)
    assert manifest["overlap_guard"]["video_split"]["side"] == "train"
    return root


def _sha(folder: Path) -> str:
    import hashlib

    return hashlib.sha256((folder / "manifest.json").read_bytes()).hexdigest()


def test_the_record_holds_resolved_paths_and_identities(project: Path) -> None:
    meta = json.loads((project / "ckpt" / "var" / "viubench-train.json").read_text())
    assert meta["base_model"] == str((project / "base").resolve())
    assert meta["data"]["path"] == str((project / "data" / "train").resolve()) and meta["data"]["path_as_given"] == "data/train"
    assert meta["data"]["path_from_checkpoint"] == "../../data/train" and meta["data"]["manifest_sha256"] == _sha(project / "data" / "train")
    assert len(meta["base_model_fingerprint"]) == 64 and meta["steps_with_signal"] == 0


def test_eval_and_report_from_other_folders_keep_the_check_and_the_base(project: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    rel = os.path.relpath(project, elsewhere)  # paths typed relative to where the user stands now
    shared = cli("eval", "--model", f"hf:{rel}/ckpt/var", "--model-option", "device=cpu", "--tasks", "viubench",
                 "--data", f"viubench={rel}/data/viubench", "--limit", "2", "--out", "runs-shared", cwd=elsewhere)
    assert shared.returncode == 0, shared.stderr[-3000:]
    training = str((project / "data" / "train").resolve())
    assert f"warning: viubench: the model's training data ({training}) shares" in shared.stderr and "2 source videos" in shared.stderr
    [shared_run] = (elsewhere / "runs-shared").iterdir()
    manifest = json.loads((shared_run / "manifest.json").read_text())
    contamination = manifest["tasks"]["viubench"]["contamination"]
    assert contamination["checked"] and contamination["shared_items"] == 0 and len(contamination["shared_videos"]) == 2
    assert contamination["training_data"] == training and contamination["training_manifest_sha256"] == _sha(project / "data" / "train")
    recorded = manifest["training"]
    assert recorded["base_model"]["model"] == str((project / "base").resolve()) and recorded["data"]["found_at"] == training

    clean = cli("eval", "--model", f"hf:{rel}/ckpt/var", "--model-option", "device=cpu", "--tasks", "viubench",
                "--data", f"viubench={rel}/data/viubench-eval", "--limit", "2", "--out", "runs-clean", cwd=elsewhere)
    assert clean.returncode == 0, clean.stderr[-3000:]
    assert "warning" not in clean.stderr
    [clean_run] = (elsewhere / "runs-clean").iterdir()
    found = json.loads((clean_run / "manifest.json").read_text())["tasks"]["viubench"]["contamination"]
    assert found["checked"] and not found["shared_videos"] and not found["shared_frames"]

    base = cli("eval", "--model", f"hf:{rel}/base", "--model-option", "device=cpu", "--tasks", "viubench",
               "--data", f"viubench={rel}/data/viubench", "--limit", "2", "--out", "runs-base", cwd=elsewhere)
    assert base.returncode == 0, base.stderr[-3000:]
    [base_run] = (elsewhere / "runs-base").iterdir()

    # the report, from yet another folder: the base pairing and the training facts come from the run folders
    third = tmp_path / "third"
    third.mkdir()
    runs = [os.path.relpath(path, third) for path in (base_run, shared_run, clean_run)]
    report = cli("report", *runs, "--md", "r.md", "--html", "r.html", cwd=third)
    assert report.returncode == 0, report.stderr
    text = (third / "r.md").read_text()
    assert "deltas against" in text
    assert f"the model's training data ({training}) shares 0 items, 2 source videos" in text
    assert text.count(f"on {training} (manifest SHA-256 {_sha(project / 'data' / 'train')[:12]}") == 2
    assert "contamination check: viubench: shares 0 items, 2 source videos" in text
    assert "contamination check: viubench: nothing shared" in text
    assert "3 step(s), 0 with a learning signal" in text
    page = (third / "r.html").read_text()
    assert '<section id="training"><h2>Trained models</h2>' in page and "contamination check: viubench: nothing shared" in page


def test_training_data_is_found_by_identity(project: Path, tmp_path: Path) -> None:
    moved = tmp_path / "moved"
    shutil.copytree(project / "ckpt", moved / "ckpt")
    shutil.copytree(project / "data" / "train", moved / "data" / "train")
    meta_file = moved / "ckpt" / "var" / "viubench-train.json"
    meta = json.loads(meta_file.read_text())
    meta["data"]["path"] = str(tmp_path / "gone")  # its recorded place is gone: found beside the checkpoint
    meta_file.write_text(json.dumps(meta))
    assert training_data(f"hf:{moved / 'ckpt' / 'var'}").data_dir == str((moved / "data" / "train").resolve())

    # a folder at the recorded path that holds other data is not the training data
    meta["data"]["path"], meta["data"]["path_from_checkpoint"] = str(project / "data" / "viubench"), "nowhere"
    meta_file.write_text(json.dumps(meta))
    trained_on = training_data(f"hf:{moved / 'ckpt' / 'var'}")
    assert trained_on is not None and trained_on.data_dir is None
    result = check_contamination(trained_on, project / "data" / "viubench-eval", "viubench")
    assert result["checked"] is False and result["training_data"] == str(project / "data" / "viubench")
    # the evaluation data is the training data itself (same manifest), though its folder moved
    same = check_contamination(trained_on, moved / "data" / "train", "viubench")
    assert same["checked"] and same["same_dataset"]


def test_after_training_the_next_command_scores_the_split_eval_set(project: Path) -> None:
    lines = next_steps(project / "data" / "train", Path("ckpt/var"))
    assert lines == [f"wrote ckpt/var: score it with 'viubench eval --model hf:ckpt/var --tasks viubench --data viubench={project / 'data' / 'viubench-eval'}'"]
    shutil.copytree(project / "data" / "train", project / "lonely" / "train")
    lines = next_steps(project / "lonely" / "train", Path("ckpt/var"))
    assert "'viubench build viubench --video-split eval --out " in lines[1]
    assert lines[2].endswith(f"--data viubench={project / 'lonely' / 'viubench-eval'}'")
