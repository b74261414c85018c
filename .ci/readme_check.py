#!/usr/bin/env python3
"""Runs README.md's "Clean a list" commands as a new user would, against a running demo server.

`cargo run --release --` becomes the debug binary CI already built (one build for CI), and the
commands run in a scratch directory. Then the output must hold every row and the lists exist.
"""
import csv
import os
import re
import subprocess
import sys
import tempfile

root = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
readme = open(os.path.join(root, "README.md"), encoding="utf-8").read()
section = readme.split("## Clean a list", 1)[1]
block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
binary = os.path.join(root, "target", "debug", "phonecheck")
commands = [l.replace("cargo run --release --", binary) for l in block.splitlines() if l.strip()]

with tempfile.TemporaryDirectory() as scratch:
    for cmd in commands:
        proc = subprocess.run(["bash", "-c", cmd], cwd=scratch, capture_output=True, text=True, timeout=600)
        print(("ok   " if proc.returncode == 0 else "FAIL ") + cmd)
        print(proc.stderr[-2000:])
        if proc.returncode != 0:
            sys.exit(1)
    with open(os.path.join(scratch, "numbers.csv"), encoding="utf-8") as f:
        rows = sum(1 for _ in f) - 1
    with open(os.path.join(scratch, "results.csv"), encoding="utf-8") as f:
        results = list(csv.DictReader(f))
    assert len(results) == rows, f"{len(results)} results for {rows} rows"
    assert [int(r["index"]) for r in results] == list(range(rows)), "results in input order"
    assert all(r["status"] not in ("error", "unchecked") for r in results), "every row answered"
    listed = sum(1 for name in os.listdir(os.path.join(scratch, "lists")) for _ in open(os.path.join(scratch, "lists", name)))
    assert listed == rows, f"{listed} numbers in the lists for {rows} distinct rows"
    print(f"README's list example: {rows} rows in, {len(results)} results out, lists complete")
