"""rnnkit serve under load, with and without micro-batching, in the same run.

    OMP_NUM_THREADS=2 python benchmarks/bench_serve.py [--requests 2000] [--clients 64]

A classifier (names) and a tagger (the synthetic NER corpus), each trained for 60
steps with the task's defaults, are served by `rnnkit serve` in a child process on
127.0.0.1. 64 client threads send --requests predict requests of one input each (names
or sentences from the valid splits), as fast as answers come back: requests/s and
p50/p99 latency with --max-batch 1 (no micro-batching) and with the defaults
(--max-batch 32, --max-wait-ms 5). Then 10,000 requests to the classifier, and the
server's resident memory before and after. The goal: >= 3x the requests/s with a p99
no worse than 2x; memory flat. Prints one JSON object. (Clients and server share the
machine's 2 cores.)
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

import rnnkit
from rnnkit.data import embedded


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


class Server:
    def __init__(self, runs: list[Path], max_batch: int) -> None:
        self.port = _port()
        argv = [sys.executable, "-m", "rnnkit", "serve", *map(str, runs), "--port", str(self.port),
                "--max-batch", str(max_batch), "--max-inputs", "256"]  # fmt: skip
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 60
        while True:
            try:
                if self.get("/healthz")[0] == 200:
                    return
            except OSError:
                if self.proc.poll() is not None or time.time() > deadline:
                    raise SystemExit(self.proc.stderr.read().decode()) from None
                time.sleep(0.1)

    def get(self, path: str):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def load(server: Server, model: str, inputs: list, requests: int, clients: int) -> dict:
    """``requests`` predict requests from ``clients`` threads; throughput and latency."""
    latencies: list[float] = []
    lock = threading.Lock()
    counter = iter(range(requests))

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
        mine = []
        for i in counter:
            body = json.dumps({"inputs": [inputs[i % len(inputs)]]})
            start = time.perf_counter()
            conn.request("POST", f"/v1/models/{model}/predict", body,
                         {"Content-Type": "application/json"})  # fmt: skip
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise SystemExit(f"status {response.status}")
            mine.append(time.perf_counter() - start)
        conn.close()
        with lock:
            latencies.extend(mine)

    start = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - start
    ms = np.array(latencies) * 1000
    return {
        "requests": len(latencies),
        "requests_per_s": round(len(latencies) / seconds, 1),
        "p50_ms": round(float(np.percentile(ms, 50)), 1),
        "p99_ms": round(float(np.percentile(ms, 99)), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--memory-requests", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        print("training a classifier and a tagger (60 steps each) ...", file=sys.stderr)
        rnnkit.train("classify", out=work / "clf", max_steps=60, progress=False)
        rnnkit.train("tag", out=work / "ner", max_steps=60, progress=False)
        names = [n for n, _ in embedded.load("names", "valid")]
        sentences = [" ".join(s.tokens) for s in embedded.load("ner", "valid")]
        result: dict = {"clients": args.clients}
        for model, inputs in (("clf", names), ("ner", sentences)):
            row = {}
            for label, max_batch in (("without", 1), ("with", 32)):
                print(f"{model}: {label} micro-batching ...", file=sys.stderr)
                server = Server([work / "clf", work / "ner"], max_batch)
                try:
                    load(server, model, inputs, 200, args.clients)  # warm up
                    row[f"{label}_batching"] = load(
                        server, model, inputs, args.requests, args.clients
                    )
                finally:
                    server.close()
            w, wo = row["with_batching"], row["without_batching"]
            row["throughput_ratio"] = round(w["requests_per_s"] / wo["requests_per_s"], 2)
            row["p99_ratio"] = round(w["p99_ms"] / wo["p99_ms"], 2)
            result["classify" if model == "clf" else "tag"] = row
        print(f"memory over {args.memory_requests} requests ...", file=sys.stderr)
        server = Server([work / "clf", work / "ner"], 32)
        try:
            load(server, "clf", names, 500, args.clients)
            before = _rss(server.proc.pid)
            load(server, "clf", names, args.memory_requests, args.clients)
            after = _rss(server.proc.pid)
        finally:
            server.close()
        result["memory"] = {"rss_after_warmup_mb": round(before / 2**20, 1),
                            "rss_after_mb": round(after / 2**20, 1),
                            "requests": args.memory_requests}  # fmt: skip
        result["goal"] = "throughput_ratio >= 3, p99_ratio <= 2, memory flat"
    print(json.dumps(result))


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "2")
    main()
