#!/usr/bin/env python3
"""Runs README.md's "Clean a list" commands as a new user would, against a fresh demo server.

`cargo run --release --` becomes the debug binary CI already built (one build for CI), and the
commands run in a scratch directory. Then the output must hold every row whole with its number
as read, the per-status files every row once, and the run must print the summary README shows.
"""
import atexit
import csv
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

root = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
readme = open(os.path.join(root, "README.md"), encoding="utf-8").read()
section = readme.split("## Clean a list", 1)[1]
block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
binary = os.path.join(root, "target", "debug", "phonecheck")
commands = [l.replace("cargo run --release --", binary) for l in block.splitlines() if l.strip()]

# The summary README shows after the commands, but for its first line (the time taken).
shown = re.search(r"```text\n(.*?)```", section, re.S).group(1).splitlines()[1:]

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


with tempfile.TemporaryDirectory() as scratch:
    # A demo server of its own, fresh as a new user's: nothing cached, nothing else checked.
    port = free_port()
    server = subprocess.Popen(
        [binary, "serve", "--demo", f"--listen=127.0.0.1:{port}", f"--data-dir={scratch}/data"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    atexit.register(server.kill)
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                sys.exit("the demo server did not start")
            time.sleep(0.2)
    env = dict(os.environ, PHONECHECK_SERVER=f"127.0.0.1:{port}")
    for cmd in commands:
        proc = subprocess.run(["bash", "-c", cmd], cwd=scratch, env=env, capture_output=True, text=True, timeout=600)
        print(("ok   " if proc.returncode == 0 else "FAIL ") + cmd)
        print(proc.stderr[-2000:])
        if proc.returncode != 0:
            sys.exit(1)
    # Where batches fall depends on timing, so the number of upstream calls may differ; every
    # other figure is the demo upstream's and must be as shown.
    def shape(line):
        return re.sub(r"in [\d,]+ calls?\b", "in N calls", line.rstrip())
    printed = {shape(l) for l in proc.stderr.splitlines()}
    missing = [l for l in shown if shape(l) not in printed]
    assert not missing, f"README shows summary lines the run did not print: {missing}\nprinted:\n{proc.stderr}"
    with open(os.path.join(scratch, "customers.csv"), encoding="utf-8") as f:
        inputs = list(csv.reader(f))
    header, inputs = inputs[0], inputs[1:]
    with open(os.path.join(scratch, "results.csv"), encoding="utf-8") as f:
        results = list(csv.reader(f))
    width = len(header)
    assert results[0][:width] == header and results[0][width : width + 2] == ["mobile", "status"], results[0]
    results = results[1:]
    assert len(results) == len(inputs), f"{len(results)} results for {len(inputs)} rows"
    assert all(r[:width] == i for r, i in zip(results, inputs)), "whole rows, in input order"
    assert all(r[width] == r[1] for r in results), "mobile: the number as read"
    statuses = [r[width + 1] for r in results]
    assert all(s not in ("error", "unchecked") for s in statuses), "every row answered"
    listed = 0
    for name in os.listdir(os.path.join(scratch, "lists")):
        with open(os.path.join(scratch, "lists", name), encoding="utf-8") as f:
            rows = list(csv.reader(f))
        assert rows[0] == header + ["mobile"], f"{name} has the input's header, then mobile"
        assert len(rows) - 1 == statuses.count(name[: -len(".csv")]), f"{name} holds its status's rows"
        listed += len(rows) - 1
    assert listed == len(inputs), f"{listed} rows in the lists for {len(inputs)} rows"
    print(f"README's list example: {len(inputs)} rows in, {len(results)} whole rows out, lists complete")
