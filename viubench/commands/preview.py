"""``viubench preview``: a contact sheet of one item, for a person to look at."""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
from PIL import Image, ImageDraw, ImageFont

from viubench.console import stdout
from viubench.dataset.store import ITEMS_FILE, read_items
from viubench.errors import UserError
from viubench.paths import inside

THUMB_WIDTH = 200
COLUMNS = 8
MARK = (230, 40, 40)


def load_item(dataset: Path, item_id: str) -> dict[str, Any]:
    if not (dataset / ITEMS_FILE).is_file():
        raise UserError(f"{dataset} is not a viubench dataset (no {ITEMS_FILE})")
    table = read_items(dataset)
    rows = table.filter(pc.equal(table["id"], item_id)).to_pylist()
    if not rows:
        example = f" (ids look like {table['id'][0].as_py()})" if table.num_rows else " (it holds no items)"
        raise UserError(f"no item {item_id!r} in {dataset}{example}")
    return rows[0]


def frame_image(dataset: Path, item_id: str, name: str) -> Image.Image:
    """One stored frame of ``item_id``, read only from inside ``dataset`` (the way eval reads it)."""
    try:
        path = inside(dataset, name)
    except ValueError:
        raise UserError(f"{item_id}: frame path {name!r} escapes the dataset folder {dataset} (refused)") from None
    try:
        with Image.open(path) as image:
            return image.convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        raise UserError(f"{item_id}: cannot read frame {name!r} in {dataset} ({type(error).__name__}); 'viubench verify' checks a dataset") from None


def contact_sheet(dataset: Path, item: dict[str, Any]) -> Image.Image:
    """Every shown frame with its timestamp; perturbed or shape-bearing frames framed in red."""
    font = ImageFont.load_default(size=13)
    by_frame = {(p["video"], p["position"]): p for p in item["provenance"]}
    tiles: list[tuple[str | None, list[tuple[Image.Image, str, bool]]]] = []
    for k, video in enumerate(item["videos"]):
        label = f"Clip {k + 1}" if len(item["videos"]) > 1 else None
        frames = []
        for position, (name, stamp) in enumerate(zip(video["frames"], video["timestamps"])):
            image = frame_image(dataset, item["id"], name)
            image.thumbnail((THUMB_WIDTH, THUMB_WIDTH))
            provenance = by_frame[(k, position)]
            marked = provenance["perturbation"] is not None
            caption = f"#{position} {stamp:.2f}s  src {provenance['source_frame']}"
            frames.append((image, caption, marked))
        tiles.append((label, frames))

    cell_h = max(img.height for _, frames in tiles for img, _, _ in frames) + 22
    header = [f"{item['id']}  ({item['subtype']}, source {item['source']['path']})"]
    header += textwrap.wrap("Q: " + item["question"], 150)
    header.append(f"Answer: {item['answer']}    (red frame = perturbed or drawn on)")
    header_h = 18 * len(header) + 10
    rows = sum(-(-len(frames) // COLUMNS) for _, frames in tiles) + sum(1 for label, _ in tiles if label)
    sheet = Image.new("RGB", (COLUMNS * (THUMB_WIDTH + 8) + 8, header_h + rows * cell_h + 8), "white")
    draw = ImageDraw.Draw(sheet)
    for line_no, line in enumerate(header):
        draw.text((8, 6 + 18 * line_no), line, fill="black", font=font)
    y = header_h
    for label, frames in tiles:
        if label:
            draw.text((8, y + 4), label, fill="black", font=font)
            y += cell_h
        for index, (image, caption, marked) in enumerate(frames):
            x = 8 + (index % COLUMNS) * (THUMB_WIDTH + 8)
            if index and index % COLUMNS == 0:
                y += cell_h
            if marked:
                draw.rectangle((x - 4, y - 4, x + image.width + 3, y + image.height + 3), fill=MARK)
            sheet.paste(image, (x, y))
            draw.text((x, y + image.height + 4), caption, fill=MARK if marked else "black", font=font)
        y += cell_h
    return sheet


def run_preview(args: argparse.Namespace) -> int:
    item = load_item(args.dataset, args.item_id)
    sheet = contact_sheet(args.dataset, item)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.out)
    stdout.print(f"{item['id']} ({item['subtype']}) -> {args.out}", markup=False)
    stdout.print(f"question: {item['question']}", markup=False, soft_wrap=True)
    stdout.print(f"answer: {item['answer']}", markup=False)
    return 0
