"""VideoMMMU's fixture: questions of each track in the published schema, unpacked or archived."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from viubench.builtin_tasks.videommmu import (
    DISCIPLINES,
    TEN,
    TRACKS,
    TWELVE,
    discipline,
)
from viubench.task.prepare import pack_fixture
from viubench.video.synthetic import textured_video

# (track, id, question, options, answer, question_type)
FIXTURE_ROWS = [
    ("Perception", "dev_Biology_3", "The video gives two examples of aldose and ketose; how many carbon atoms do they have respectively?", TEN, "G", None),
    ("Perception", "validation_Art_Theory_5", "Which colour does the painter mix first?", ["red", "blue", "ochre", "white"], "C", None),
    ("Comprehension", "dev_Biology_3", "Following the video's method, how many carbons does a ketotetrose have?", TEN, "C", None),
    ("Comprehension", "validation_Accounting_12", "By the video's rule, which entry balances the ledger?", ["debit cash", "credit cash"], "B", None),
    ("Adaptation", "dev_Biology_3", "How many carbon atoms are in the sugar drawn in the image?", TEN, "J", None),
    ("Adaptation", "validation_Accounting_12", "Using the video's formula, what is the net income in the image, in thousands?", [], "42", "open"),
    ("Adaptation", "validation_Art_Theory_5", "How many moles of pigment does the recipe in the image need?", TWELVE, "L", "multiple-choice"),
]


def fixture_table(track: str) -> pa.Table:
    """The parquet table of one track, in the published schema (Adaptation carries the quiz ``image``)."""
    table = [
        {"id": ident, "question": question, "options": options, "answer": answer, "question_type": kind, "link_selected": f"https://example.org/{ident}"}
        | ({"image": {"bytes": b"\x89PNG", "path": f"{ident}.png"}} if track == "Adaptation" else {})
        for row_track, ident, question, options, answer, kind in FIXTURE_ROWS if row_track == track
    ]
    schema = pa.schema([("id", pa.string()), ("question", pa.string()), ("options", pa.list_(pa.string())), ("answer", pa.string()),
                        ("question_type", pa.string()), ("link_selected", pa.string())]
                       + ([("image", pa.struct([("bytes", pa.binary()), ("path", pa.string())]))] if track == "Adaptation" else []))
    return pa.Table.from_pylist(table, schema=schema)


def fixture(folder: Path) -> Path:
    """Three tracks (7 rows: one open-ended, answers up to ``L``) and ``<Discipline>/<id>.mp4``, unpacked."""
    for seed, ident in enumerate(dict.fromkeys(row[1] for row in FIXTURE_ROWS)):
        textured_video(folder / str(discipline(ident)) / f"{ident}.mp4", count=48, width=128, height=96, seed=140 + seed)
    for track in TRACKS:
        (folder / track).mkdir(parents=True, exist_ok=True)
        pq.write_table(fixture_table(track), folder / track / "test-00000-of-00001.parquet")
    return folder


def fixture_archives(folder: Path) -> Path:
    """As published: each discipline's videos in ``<Discipline>.zip`` (``<Discipline>/<id>.mp4``)."""
    fixture(folder)
    for name in DISCIPLINES:
        if (folder / name).is_dir():
            pack_fixture(folder, f"{name}.zip", sorted(p.relative_to(folder).as_posix() for p in (folder / name).glob("*.mp4")))
            (folder / name).rmdir()
    return folder
