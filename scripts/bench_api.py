"""Throughput of the openai backend against a loopback OpenAI-compatible server with latency L, at
concurrency c, against the ideal c / L; and peak memory. Measured in one run, through the runner's own
path: samples in the runner's batches, each answer scored and journaled (a line written and flushed)
as it arrives.

    python scripts/bench_api.py [--latency 0.2] [--concurrency 16] [--requests 400] [--frames 8]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fake_openai import FakeOpenAI  # noqa: E402
from viubench.backends.base import GenerationConfig  # noqa: E402
from viubench.backends.openai_api import OpenAIBackend, OpenAIConfig  # noqa: E402
from viubench.rundir.journal import Journal  # noqa: E402
from viubench.runner.local import answer_stream  # noqa: E402
from viubench.runner.prefetch import Fetched  # noqa: E402
from viubench.video.decoded import DecodedVideo  # noqa: E402
from viubench.task.sample import AnswerFormat, Message, Part, Sample  # noqa: E402
from viubench.video.synthetic import textured_frames  # noqa: E402


def serve(latency: float, port_queue: "multiprocessing.Queue[int]", stop: "multiprocessing.Event") -> None:  # type: ignore[name-defined]
    """The server in its own process, so it does not share the client's interpreter."""
    with FakeOpenAI(latency=latency) as server:
        port_queue.put(server.httpd.server_address[1])
        stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--frames", type=int, default=8, help="frames per request (256x256)")
    args = parser.parse_args()
    os.environ["VIUBENCH_BENCH_KEY"] = "sk-bench"
    video = DecodedVideo(np.stack(textured_frames(args.frames, 256, 256, seed=0)), [float(i) for i in range(args.frames)], 1.0, list(range(args.frames)), 1.0, args.frames)
    messages = [Message(role="user", content=[Part(type="video"), Part(type="text", text="Which option?")])]
    answer = AnswerFormat(kind="choice", letters="ABCD")
    samples = [Sample(id=f"r{i}", task="bench", subtask="bench", messages=messages, target="A", answer_format=answer) for i in range(args.requests)]
    ports: multiprocessing.Queue[int] = multiprocessing.Queue()
    stop = multiprocessing.Event()
    server = multiprocessing.Process(target=serve, args=(args.latency, ports, stop), daemon=True)
    server.start()
    base_url = f"http://127.0.0.1:{ports.get(timeout=30)}/v1"
    config = OpenAIConfig(model="bench", base_url=base_url, api_key_env="VIUBENCH_BENCH_KEY", concurrency=args.concurrency)
    backend = OpenAIBackend(config)
    fetched = [Fetched(sample, [video], 0.0) for sample in samples]
    batches = (fetched[first : first + backend.batch_size] for first in range(0, len(fetched), backend.batch_size))  # as prefetch sends them
    done = 0
    with tempfile.TemporaryDirectory() as folder:
        journal = Journal(Path(folder) / "bench.jsonl")
        start = time.perf_counter()
        for record in answer_stream(batches, backend, GenerationConfig(max_new_tokens=4)):
            journal.append(record)
            done += record.error is None
        journal.close()
    elapsed = time.perf_counter() - start
    backend.close()
    stop.set()
    server.join(timeout=10)
    ideal = args.concurrency / args.latency
    rate = done / elapsed
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"latency {args.latency:.3f} s, concurrency {args.concurrency}, {args.requests} requests of {args.frames} frames")
    print(f"throughput {rate:.1f} req/s, ideal c/L = {ideal:.1f} req/s, ratio {rate / ideal:.2f} (target >= 0.9)")
    print(f"answered {done}/{args.requests}; peak RSS of the client {peak:.0f} MiB")


if __name__ == "__main__":
    main()
