"""A loopback OpenAI-compatible server (real sockets) with fault injection, for the API backend tests.

``plan`` maps a marker (a substring of the request's text) to the behaviours of successive attempts:
``ok``, ``429:SECONDS`` (with Retry-After), any other status as ``CODE`` or ``CODE:MESSAGE`` (``500``,
``400:Unsupported value ...``, ``401``), ``hang:SECONDS``, ``malformed``, ``reset``. Requests without a
marker get ``default`` (``ok`` unless told). Every request is logged. ``ok`` answers ``answer``, or
``reply(text of the request's messages)`` when a ``reply`` function is given.

``reasoning`` > 0 makes the server a reasoning model: it rejects ``temperature`` other than 1 and
``max_tokens`` (400, as OpenAI's reasoning models do), spends ``reasoning`` hidden tokens before the
answer out of ``max_completion_tokens``, and returns an empty answer with ``finish_reason: length``
when they do not leave room for it.

``metered=True`` makes the usage follow a fixed rule of the request (what a provider bills): prompt
tokens are ceil(characters of all text / 4) plus, per image, 85 + 170 per 512 px tile of the image
after scaling it to fit 2048 x 2048 and then its shortest side down to 768 (OpenAI's rule for
GPT-4o-class models); completion tokens are ceil(characters of the answer / 4), at least 1.
"""

from __future__ import annotations

import base64
import io
import json
import math
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable


class FakeOpenAI:
    def __init__(
        self,
        plan: dict[str, list[str]] | None = None,
        answer: str = "A",
        latency: float = 0.0,
        reply: Callable[[str], str] | None = None,
        default: str = "ok",
        reasoning: int = 0,
        metered: bool = False,
    ) -> None:
        self.metered = metered
        self.plan = {marker: list(steps) for marker, steps in (plan or {}).items()}
        self.default = default
        self.reasoning = reasoning
        self.answer = answer
        self.reply = reply
        self.latency = latency
        self.log: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.active = 0
        self.peak_active = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # no 40 ms delayed-ACK stalls between headers and body

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                server.handle(self, body)

        ThreadingHTTPServer.request_queue_size = 256  # many clients connect at once
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # a client that hangs up early (a stopped run) is no server error: nothing printed, as a real API says nothing
        self.httpd.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> "FakeOpenAI":
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _behaviour(self, text: str) -> tuple[str | None, str]:
        with self.lock:
            for marker, steps in self.plan.items():
                if marker in text:
                    return marker, steps.pop(0) if steps else "ok"
        return None, self.default

    def handle(self, handler: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        # the request's text only where a plan looks for markers in it (a bench's server does no more than it must)
        marker, behaviour = self._behaviour(json.dumps(body["messages"])) if self.plan else (None, self.default)
        with self.lock:
            self.log.append({"marker": marker, "behaviour": behaviour, "time": time.monotonic(), "auth": handler.headers.get("Authorization"), "body": body})
            self.active += 1
            self.peak_active = max(self.peak_active, self.active)
        try:
            self._respond(handler, behaviour, body)
        finally:
            with self.lock:
                self.active -= 1

    def _respond(self, handler: BaseHTTPRequestHandler, behaviour: str, body: dict[str, Any]) -> None:
        if self.latency:
            time.sleep(self.latency)
        kind, _, argument = behaviour.partition(":")
        if kind == "hang":
            time.sleep(float(argument))
            return self._json(handler, 200, self._completion(body))
        if kind == "reset":
            handler.connection.shutdown(socket.SHUT_RDWR)
            handler.connection.close()
            handler.close_connection = True
            return None
        if kind == "malformed":
            return self._raw(handler, 200, b'{"id": "x", "choices": [ {"message": ')
        if kind == "429":
            return self._json(handler, 429, {"error": {"message": "rate limited", "type": "rate_limit"}}, {"Retry-After": argument or "1"})
        if kind.isdigit():
            return self._json(handler, int(kind), {"error": {"message": argument or f"injected {kind}", "type": "test"}})
        refusal = self._refusal(body)
        if refusal is not None:
            return self._json(handler, 400, {"error": refusal})
        return self._json(handler, 200, self._completion(body))

    def _refusal(self, body: dict[str, Any]) -> dict[str, Any] | None:
        """What a reasoning model refuses (OpenAI's messages): a temperature but 1, the max_tokens field."""
        if not self.reasoning:
            return None
        if body.get("temperature", 1) != 1:
            message = f"Unsupported value: 'temperature' does not support {body['temperature']} with this model. Only the default (1) value is supported."
            return {"message": message, "type": "invalid_request_error", "param": "temperature", "code": "unsupported_value"}
        if "max_tokens" in body:
            message = "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead."
            return {"message": message, "type": "invalid_request_error", "param": "max_tokens", "code": "unsupported_parameter"}
        return None

    def _completion(self, body: dict[str, Any]) -> dict[str, Any]:
        content, finish, completion = self._content(body), "stop", 1
        usage: dict[str, Any] = {"prompt_tokens": 100}
        if self.reasoning:
            budget = body.get("max_completion_tokens", 1 << 30)
            thought = min(self.reasoning, budget)
            if thought + completion > budget:  # the budget ran out while thinking: nothing is answered
                content, finish, completion = "", "length", 0
            usage["completion_tokens_details"] = {"reasoning_tokens": thought}
            completion += thought
        if self.metered:
            usage["prompt_tokens"] = metered_prompt_tokens(body)
            completion = max(1, math.ceil(len(content) / 4))
        usage |= {"completion_tokens": completion, "total_tokens": usage["prompt_tokens"] + completion}
        return {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": 0,
            "model": body["model"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish}],
            "usage": usage,
        }

    def _content(self, body: dict[str, Any]) -> str:
        if self.reply is None:
            return self.answer
        return self.reply("".join(part.get("text", "") if isinstance(part, dict) else str(part) for m in body["messages"] for part in (m["content"] if isinstance(m["content"], list) else [m["content"]])))

    def _json(self, handler: BaseHTTPRequestHandler, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        self._raw(handler, status, json.dumps(payload).encode(), headers)

    @staticmethod
    def _raw(handler: BaseHTTPRequestHandler, status: int, data: bytes, headers: dict[str, str] | None = None) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(data)


def metered_prompt_tokens(body: dict[str, Any]) -> int:
    """The prompt tokens of a request by the ``metered`` rule (see the module's docstring)."""
    from PIL import Image

    chars = images = 0
    for message in body["messages"]:
        parts = message["content"] if isinstance(message["content"], list) else [{"type": "text", "text": message["content"]}]
        for part in parts:
            if part.get("type") == "text":
                chars += len(part["text"])
            elif part.get("type") == "image_url":
                data = base64.b64decode(part["image_url"]["url"].split(",", 1)[1])
                with Image.open(io.BytesIO(data)) as image:
                    width, height = image.size
                fit = min(1.0, 2048 / max(width, height))
                width, height = width * fit, height * fit
                short = min(1.0, 768 / min(width, height))
                width, height = width * short, height * short
                images += 85 + 170 * math.ceil(width / 512) * math.ceil(height / 512)
    return math.ceil(chars / 4) + images
