"""Seconds from starting ``python -m helpers.app`` to its first answers, as a user starts it: a
fresh process each time, on a free port of 127.0.0.1. Two figures a start: the page, and 16 faces
from the Generate tab asked for as soon as the page has come (docs/results.md, "The web app:
start-up").

    python tools/app_startup.py --runs 5
"""
from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


GENERATE = json.dumps({"expression": "Happiness", "count": 16, "seed": 0, "truncation": 1.5}).encode()


def first_answers_s(timeout: float = 180.0) -> tuple[float, float]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    start = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "helpers.app", "--port", str(port)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.monotonic() - start < timeout:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
                page = time.monotonic() - start
                answer = urllib.request.urlopen(f"http://127.0.0.1:{port}/api/generate", GENERATE, timeout=timeout)
                if len(json.load(answer)["faces"]) != 16:
                    raise SystemExit("the Generate tab did not answer with 16 faces")
                return page, time.monotonic() - start
            except OSError:
                if proc.poll() is not None:
                    raise SystemExit(f"the app ended with status {proc.returncode} before answering")
                time.sleep(0.05)
        raise SystemExit(f"no answer within {timeout:g} s")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=5, help="fresh starts to time (1 or more)")
    args = p.parse_args(argv)
    runs = [first_answers_s() for _ in range(max(1, args.runs))]
    for what, times in zip(("the page", "16 faces"), zip(*runs)):
        print(f"{what}, s after start: " + ", ".join(f"{t:.2f}" for t in times)
              + f"; median {statistics.median(times):.2f}")


if __name__ == "__main__":
    main()
