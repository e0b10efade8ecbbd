"""What the journals say: the samples a judge may see, and a sample's settled verdicts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from viubench.judge.journal import JudgeJournal
from viubench.judge.protocol import JudgeCall, JudgeProtocol
from viubench.rundir.layout import SAMPLES
from viubench.rundir.journal import read_journal
from viubench.rundir.record import SampleRecord


def judgeable(run_dir: Path, task: str) -> dict[str, SampleRecord]:
    """The last journal record of every sample the model answered (errors are not judged)."""
    records: dict[str, SampleRecord] = {}
    for record in read_journal(run_dir / SAMPLES / f"{task}.jsonl"):
        records[record.id] = record
    return {ident: r for ident, r in records.items() if r.error is None and r.response is not None}


@dataclass
class Settled:
    """Where a sample's judging stands."""

    verdicts: dict[str, Any]  # call name -> verdict, of the settled calls
    open_calls: list[tuple[JudgeCall, str]]  # calls still to ask, with their digests
    failed: bool  # a call ended as a judge error: the sample is left out of the judged scores


def settled_verdicts(ident: str, record: SampleRecord, protocol: JudgeProtocol, journal: JudgeJournal) -> Settled:
    """What the journal settled of a sample's calls, and what is left to ask."""
    verdicts: dict[str, Any] = {}
    while True:  # until no call settles anew: a settled verdict may open the next call
        open_calls = []
        progressed = False
        for call in protocol.calls(record, verdicts):
            if call.name in verdicts:
                continue
            digest = call.digest(protocol.version)
            state = journal.state(ident, call.name, digest)
            if state.done and state.error is None:
                verdicts[call.name] = state.verdict
                progressed = True
            elif state.done:
                return Settled(verdicts, [], True)
            else:
                open_calls.append((call, digest))
        if not progressed:
            return Settled(verdicts, open_calls, False)
