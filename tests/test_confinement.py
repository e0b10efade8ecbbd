"""What a user shares stays inside its dataset: `viubench preview` refuses a frame path that escapes the
dataset folder (exit 2, one line), and `viubench report` embeds only frames from the run's own dataset
(named by its journal or by that dataset's items file), showing "preview unavailable" for the others
while the rest of the report renders."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from PIL import Image

from cli import viubench_cli as cli
from report_page import page_items
from test_report import browser  # noqa: F401  (the headless Chromium fixture)

from viubench.dataset.store import ITEMS_FILE, ITEM_SCHEMA, write_items
from viubench.report.samples import UNAVAILABLE


@pytest.fixture(scope="module")
def sandbox(small_viubench: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A private copy of a built dataset, a secret image beside it, and a symlink inside it to the secret."""
    root = tmp_path_factory.mktemp("confinement")
    secret = root / "secret.png"
    Image.new("RGB", (64, 64), (255, 0, 255)).save(secret)
    dataset = root / "ds"
    shutil.copytree(small_viubench, dataset)
    (dataset / "media" / "evil.jpg").symlink_to(secret)
    return {"root": root, "secret": secret, "dataset": dataset}


def escaping_paths(sandbox: dict[str, Path]) -> dict[str, str]:
    """Frame paths that name the secret from a dataset row or journal: each must be refused."""
    dataset = sandbox["dataset"]
    return {
        "absolute": str(sandbox["secret"]),
        "system file": "/etc/passwd",
        "dot-dot": "../secret.png",
        "dot-dot inside": "media/../../secret.png",
        "absolute dot-dot": f"{dataset}/media/../../secret.png",
        "symlink out": "media/evil.jpg",
    }


# --- viubench preview -------------------------------------------------------------------------------


def one_item_dataset(sandbox: dict[str, Path], folder: Path, frame: str | None) -> str:
    """A dataset in ``folder`` holding the first item, its first frame renamed to ``frame`` (None: as built)."""
    source = sandbox["dataset"]
    row = pq.read_table(source / ITEMS_FILE, schema=ITEM_SCHEMA).slice(0, 1).to_pylist()[0]
    dataset = folder / "ds"
    for name in {name for video in row["videos"] for name in video["frames"]}:
        (dataset / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / name, dataset / name)
    (dataset / "media" / "evil.jpg").symlink_to(sandbox["secret"])
    shutil.copy(sandbox["secret"], folder / "secret.png")  # what "../secret.png" names
    if frame is not None:
        row["videos"][0]["frames"][0] = frame
    write_items([row], dataset / ITEMS_FILE)
    return row["id"]


@pytest.mark.parametrize("case", ["absolute", "system file", "dot-dot", "dot-dot inside", "symlink out"])
def test_preview_refuses_a_frame_outside_the_dataset(sandbox: dict[str, Path], tmp_path: Path, case: str) -> None:
    frame = escaping_paths(sandbox)[case]
    item = one_item_dataset(sandbox, tmp_path, frame)
    out = tmp_path / "sheet.png"
    result = cli("preview", str(tmp_path / "ds"), item, "--out", str(out))
    assert result.returncode == 2, result.stderr
    message = result.stderr.strip()
    assert "\n" not in message and "Traceback" not in message
    assert "escapes the dataset folder" in message and repr(frame) in message
    assert not out.exists()


def test_preview_draws_an_item_whose_frames_stay_inside(sandbox: dict[str, Path], tmp_path: Path) -> None:
    item = one_item_dataset(sandbox, tmp_path, None)
    out = tmp_path / "sheet.png"
    result = cli("preview", str(tmp_path / "ds"), item, "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert Image.open(out).width > 1000


# --- viubench report --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def run(sandbox: dict[str, Path]) -> Path:
    out = sandbox["root"] / "runs"
    result = cli("eval", "--model", "random", "--tasks", "viubench", "--data", f"viubench={sandbox['dataset']}", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return next(out.iterdir())


def tampered(run: Path, folder: Path, previews: list[str] | None = None, manifest_edit=None) -> Path:  # noqa: ANN001
    """A copy of ``run`` whose first journal record names ``previews`` and whose manifest ``manifest_edit`` changed."""
    copy = folder / run.name
    shutil.copytree(run, copy)
    journal = copy / "samples" / "viubench.jsonl"
    records = [json.loads(line) for line in journal.read_text().splitlines()]
    if previews is not None:
        records[0]["previews"] = previews
    journal.write_text("".join(json.dumps(record) + "\n" for record in records))
    if manifest_edit is not None:
        manifest = json.loads((copy / "manifest.json").read_text())
        manifest_edit(manifest)
        (copy / "manifest.json").write_text(json.dumps(manifest))
    return copy


def report(run_dir: Path, html: Path) -> list[dict]:
    result = cli("report", str(run_dir), "--html", str(html), "--md", str(html.with_suffix(".md")))
    assert result.returncode == 0, result.stderr
    assert 'id="viubench"' in html.read_text() and "| random |" in html.with_suffix(".md").read_text()
    return page_items(html)


def test_report_embeds_only_frames_of_the_runs_dataset(sandbox: dict[str, Path], run: Path, browser, tmp_path: Path) -> None:  # noqa: ANN001, F811
    hostile = list(escaping_paths(sandbox).values())
    html = tmp_path / "report.html"
    items = report(tampered(run, tmp_path, hostile), html)
    assert items[0]["strip"] is None and items[0]["hint"] == UNAVAILABLE
    assert all(item["strip"] is not None for item in items[1:])
    assert html.read_text().count(";base64,/9j/") == len(items) - 1  # one JPEG per strip, no image elsewhere

    items = report(tampered(run, tmp_path / "rest", hostile[4:]), html)
    assert items[0]["strip"] is None and items[0]["hint"] == UNAVAILABLE

    page = browser.new_page()
    page.goto(html.as_uri())
    page.wait_for_selector("#samples[data-ready='1']")
    first = page.locator("#samples article.item").first
    assert "preview unavailable" in first.inner_text() and first.locator(".frame").count() == 0
    assert page.locator("#samples article.item").nth(1).locator(".frame").count() > 0
    page.close()


def test_report_refuses_frames_an_items_file_names_outside_its_dataset(sandbox: dict[str, Path], run: Path, tmp_path: Path) -> None:
    """The strip's frames come from the dataset's items file: a row naming a frame outside the dataset
    (rewritten after the run, with the run's record of the file's hash updated to match) lends no strip."""
    dataset = tmp_path / "ds"
    shutil.copytree(sandbox["dataset"], dataset, symlinks=True)
    rows = pq.read_table(dataset / ITEMS_FILE, schema=ITEM_SCHEMA).to_pylist()
    for k, name in enumerate(escaping_paths(sandbox).values()):
        rows[k]["videos"][0]["frames"][0] = name
    write_items(rows, dataset / ITEMS_FILE)
    digest = hashlib.sha256((dataset / ITEMS_FILE).read_bytes()).hexdigest()

    def moved(manifest: dict) -> None:
        manifest["config"]["data"]["viubench"] = str(dataset)
        manifest["tasks"]["viubench"]["dataset"].update(dataset_dir=str(dataset), dataset_items_sha256=digest)

    copy = tampered(run, tmp_path / "run", None, moved)
    journal = copy / "samples" / "viubench.jsonl"
    journal.write_text(journal.read_text().replace(str(sandbox["dataset"]), str(dataset)))
    items = {item["id"]: item for item in report(copy, tmp_path / "report.html")}
    ids = [row["id"] for row in rows]
    escaping = len(escaping_paths(sandbox))
    assert all(items[ident]["strip"] is None and items[ident]["hint"] == UNAVAILABLE for ident in ids[:escaping])
    assert all(items[ident]["strip"] is not None for ident in ids[escaping:])


def _default_dataset(manifest: dict) -> None:
    del manifest["config"]["data"]["viubench"]  # the task then records the folder it used as dataset_dir


def _no_folder(manifest: dict) -> None:
    _default_dataset(manifest)
    manifest["tasks"]["viubench"]["dataset"].pop("dataset_dir", None)  # as runs recorded it before dataset_dir


def _other_dataset(manifest: dict) -> None:
    manifest["tasks"]["viubench"]["dataset"]["dataset_items_sha256"] = "0" * 64


@pytest.mark.parametrize("edit", [_default_dataset, _no_folder], ids=["dataset_dir", "found by hash"])
def test_report_finds_the_default_datasets_frames(sandbox: dict[str, Path], run: Path, tmp_path: Path, edit) -> None:  # noqa: ANN001
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["tasks"]["viubench"]["dataset"]["dataset_dir"] == str(sandbox["dataset"])
    items = report(tampered(run, tmp_path / "default", None, edit), tmp_path / "default.html")
    assert all(item["strip"] is not None for item in items)
    items = report(tampered(run, tmp_path / "hostile", [str(sandbox["secret"]), "/etc/passwd", "media/evil.jpg"], edit), tmp_path / "hostile.html")
    assert items[0]["strip"] is None and items[0]["hint"] == UNAVAILABLE

    # a dataset folder whose items are not the ones the run saw lends no frames
    items = report(tampered(run, tmp_path / "other", None, lambda m: (edit(m), _other_dataset(m))), tmp_path / "other.html")
    assert all(item["strip"] is None and item["hint"] == UNAVAILABLE for item in items)


def test_report_refuses_a_recorded_folder_that_changed(run: Path, tmp_path: Path) -> None:
    items = report(tampered(run, tmp_path, None, _other_dataset), tmp_path / "report.html")
    assert all(item["strip"] is None and item["hint"] == UNAVAILABLE for item in items)
