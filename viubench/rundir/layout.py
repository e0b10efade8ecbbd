"""The run directory's layout.

```
runs/RUN_ID/
  manifest.json        status (started/finished/failed), config, versions, git hash, fingerprints
  samples/TASK.jsonl   one JSON line per finished sample (``viubench.rundir.record.SampleRecord``)
  samples/TASK.judge.jsonl  one line per judge attempt (``viubench.judge.journal``)
  results.json         derived from the journals (``viubench rescore`` recomputes it)
```
"""

MANIFEST = "manifest.json"
LOCK = ".lock"  # held by the process evaluating the run
QUARANTINE = ".quarantine"  # unreadable journal lines, moved aside
RESULTS = "results.json"
SAMPLES = "samples"
