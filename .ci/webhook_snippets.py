#!/usr/bin/env python3
"""Runs the signature-checking snippets of docs/webhooks.md (Python, Node, Go) against a real
delivery kept by tests/webhooks.rs, then against a copy whose body was changed: each must
accept the first and refuse the second.

Usage: webhook_snippets.py docs/webhooks.md DELIVERY_DIR
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

doc, delivery = sys.argv[1], os.path.abspath(sys.argv[2])
text = open(doc, encoding="utf-8").read()
blocks = {lang: code for lang, code in re.findall(r"```(python|js|go)\n(.*?)```", text, re.S)}
assert set(blocks) == {"python", "js", "go"}, f"snippets found: {sorted(blocks)}"

env = dict(os.environ, WEBHOOK_TOLERANCE="86400")  # the delivery was made earlier in CI
failed = False
with tempfile.TemporaryDirectory() as work:
    tampered = os.path.join(work, "tampered")
    shutil.copytree(delivery, tampered)
    with open(os.path.join(tampered, "body.json"), "ab") as f:
        f.write(b" ")
    files = {"python": "verify.py", "js": "verify.js", "go": "verify.go"}
    for lang, code in blocks.items():
        path = os.path.join(work, files[lang])
        open(path, "w", encoding="utf-8").write(code)
        command = {
            "python": [sys.executable, path],
            "js": ["node", path],
            "go": ["go", "run", path],
        }[lang]
        for folder, want in [(delivery, 0), (tampered, 1)]:
            run = subprocess.run(command + [folder], capture_output=True, text=True, env=env, cwd=work, timeout=300)
            ok = run.returncode == want
            failed |= not ok
            print(f"{'ok  ' if ok else 'FAIL'} {lang} on {'the delivery' if want == 0 else 'a tampered copy'}: "
                  f"{run.stdout.strip()} {run.stderr.strip()[-500:]}")
sys.exit(1 if failed else 0)
