"""An API key never reaches what users share: a server that echoes the key in its error message (as
real ones do: "Incorrect API key provided: sk-...") leaves no trace of it in the journal, the results,
the manifest or the HTML and markdown reports."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cli import viubench_cli
from viubench.errors import REDACTED, redact

KEY = "sk-test-0123456789abcdefSECRET"


class _EchoKey(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        auth = self.headers.get("Authorization", "")
        body = json.dumps({"error": {"message": f"Incorrect API key provided: {auth.removeprefix('Bearer ')}. Sent header Authorization: {auth}", "type": "invalid_request_error"}}).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_redact_cases() -> None:
    assert redact(f"bad key {KEY}!", [KEY]) == f"bad key {REDACTED}!"
    assert KEY not in redact(f"Authorization: Bearer {KEY}", [])  # by shape, even when the value is unknown
    assert redact("hf_abcdefghijklmnopqrstu leaked", []) == f"{REDACTED} leaked"
    assert redact("The event happens in 24.3 - 30.4 seconds", []) == "The event happens in 24.3 - 30.4 seconds"


def test_a_server_echoing_the_key_leaves_no_trace(small_viubench: Path, tmp_path: Path, monkeypatch: Any) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoKey)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("VIUBENCH_TEST_KEY", KEY)  # a variable name that does not look like a secret
    try:
        result = viubench_cli("eval", "--model", "openai:gpt-test", "--base-url", f"http://127.0.0.1:{server.server_address[1]}/v1",
                              "--api-key-env", "VIUBENCH_TEST_KEY", "--tasks", "viubench", "--data", f"viubench={small_viubench}",
                              "--limit", "3", "--out", str(tmp_path / "runs"))
    finally:
        server.shutdown()
    # every request refused with one message: the run stops with it, redacted like the journal
    assert result.returncode == 2 and "run stopped" in result.stderr and "Incorrect API key provided: [REDACTED]" in result.stderr, result.stderr[-2000:]
    run_dir = next((tmp_path / "runs").iterdir())
    records = [json.loads(line) for line in (run_dir / "samples" / "viubench.jsonl").read_text().splitlines()]
    assert records and all(r["error"] and "Incorrect API key provided: [REDACTED]" in r["error"]["message"] for r in records)
    report = viubench_cli("report", str(run_dir), "--html", str(tmp_path / "r.html"), "--md", str(tmp_path / "r.md"))
    assert report.returncode == 0, report.stderr
    for path in [*run_dir.rglob("*"), tmp_path / "r.html", tmp_path / "r.md"]:
        if path.is_file():
            assert KEY not in path.read_text(errors="replace"), path
    assert KEY not in result.stdout + result.stderr + report.stdout + report.stderr
