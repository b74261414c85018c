#!/usr/bin/env python3
"""Runs every grpcurl and curl command in the `sh` blocks of the given Markdown files (README.md
and docs/*.md) verbatim against a running demo server (gRPC on 127.0.0.1:50051, the HTTP
listener with the JSON API and the ALAPI-compatible door on 127.0.0.1:8080).

A command must succeed, unless its line ends with `# fails: CODE`: then it must fail and print
CODE (grpcurl `Code: CODE`; a JSON API curl the ErrorInfo reason). A curl of the ALAPI door
succeeds when its body says `"code":200`. A line `name=$(command)` runs its command and keeps
the value as $name for the lines after it in the same file. Prints each command and fails on
the first mismatch.
"""
import os
import re
import subprocess
import sys

ASSIGNMENT = re.compile(r"^([a-z_]+)=\$\((curl .*)\)$")

commands = []
for path in sys.argv[1:] or ["README.md"]:
    text = open(path, encoding="utf-8").read()
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        lines = block.splitlines()
        commands += [(path, line) for line in lines if line.startswith(("grpcurl ", "curl ")) or ASSIGNMENT.match(line)]
if not commands:
    sys.exit("no grpcurl command in " + " ".join(sys.argv[1:]))

kept = {}  # per file: the values of `name=$(…)` lines
for path, cmd in commands:
    env = dict(os.environ, **kept.setdefault(path, {}))
    expect = re.search(r"#\s*fails:\s*(\w+)\s*$", cmd)
    assignment = ASSIGNMENT.match(cmd)
    if assignment:
        proc = subprocess.run(["bash", "-c", assignment.group(2)], capture_output=True, text=True, timeout=60, env=env)
        value = proc.stdout.strip()
        ok = proc.returncode == 0 and value != ""
        print(("ok   " if ok else "FAIL ") + cmd)
        if not ok:
            print(proc.stdout + proc.stderr)
            sys.exit(1)
        kept[path][assignment.group(1)] = value
        continue
    if cmd.startswith("curl "):
        proc = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=60, env=env)
        if "/api/phonecheck" in cmd:
            # The ALAPI door answers in the upstream's shape: success is code 200 in the body.
            ok = proc.returncode == 0 and '"code":200' in proc.stdout
        elif expect:
            ok = proc.returncode != 0 and f'"reason":"{expect.group(1)}"' in proc.stdout
        else:
            ok = proc.returncode == 0
        print(("ok   " if ok else "FAIL ") + cmd)
        if not ok:
            print(proc.stdout + proc.stderr)
            sys.exit(1)
        continue
    proc = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=60, env=env)
    out = proc.stdout + proc.stderr
    if expect:
        ok = proc.returncode != 0 and f"Code: {expect.group(1)}" in out
    else:
        ok = proc.returncode == 0
    print(("ok   " if ok else "FAIL ") + cmd)
    if not ok:
        print(out)
        sys.exit(1)
print(f"{len(commands)} grpcurl and curl commands of the docs behave as shown")
