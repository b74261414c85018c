#!/usr/bin/env python3
"""Runs every grpcurl and curl command in the `sh` blocks of the given Markdown files (README.md
and docs/*.md) verbatim against a running demo server (gRPC on 127.0.0.1:50051, the
ALAPI-compatible HTTP endpoint on 127.0.0.1:8080).

A command must succeed, unless its line ends with `# fails: CODE`: then it must fail and
grpcurl must print `Code: CODE`. Prints each command and fails on the first mismatch.
"""
import re
import subprocess
import sys

commands = []
for path in sys.argv[1:] or ["README.md"]:
    text = open(path, encoding="utf-8").read()
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        commands += [line for line in block.splitlines() if line.startswith(("grpcurl ", "curl "))]
if not commands:
    sys.exit("no grpcurl command in " + " ".join(sys.argv[1:]))

for cmd in commands:
    expect = re.search(r"#\s*fails:\s*(\w+)\s*$", cmd)
    if cmd.startswith("curl "):
        # The HTTP endpoint answers in the upstream's shape: success is code 200 in the body.
        proc = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=60)
        ok = proc.returncode == 0 and '"code":200' in proc.stdout
        print(("ok   " if ok else "FAIL ") + cmd)
        if not ok:
            print(proc.stdout + proc.stderr)
            sys.exit(1)
        continue
    proc = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=60)
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
