#!/usr/bin/env python3
"""Pulls the code snippets of one language out of docs/clients.md and that package's README,
and writes each as a program that clients/test.sh builds and runs against its demo server.

    clients/doc_snippets.py LANGUAGE OUT_DIR      # LANGUAGE: python, node, go or java

The snippets call 127.0.0.1:50051, as a reader's `serve --demo` would; here that becomes
PHONECHECK_TARGET. Go and Java snippets are bodies of `main`, so they get the imports and the
class around them. Prints the path of each program written; identical snippets are written once.
"""
import os
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
FENCE = {"python": "python", "node": "ts", "go": "go", "java": "java"}

GO_MAIN = """package main

import (
\t"context"
\t"fmt"
\t"log"
\t"os"
\t"time"

\t"github.com/phonecheck/phonecheck/clients/go/phonecheck"
\tphonecheckv1 "github.com/phonecheck/phonecheck/clients/go/phonecheck/v1"
)

func main() {
%s}
"""

GO_MOD = """module snippet

go 1.26

require github.com/phonecheck/phonecheck/clients/go v0.0.0

replace github.com/phonecheck/phonecheck/clients/go => %s
"""

JAVA_MAIN = """import io.github.phonecheck.client.ErrorDetails;
import io.github.phonecheck.client.PhoneCheckChannels;
import io.github.phonecheck.v1.CheckRequest;
import io.github.phonecheck.v1.CheckResponse;
import io.github.phonecheck.v1.PhoneCheckGrpc;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.TimeUnit;

public class Snippet {
  public static void main(String[] args) throws Exception {
%s    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }
}
"""


def snippets(language):
    fence = FENCE[language]
    found = []
    for page in [ROOT / "docs/clients.md", ROOT / "clients" / language / "README.md"]:
        for block in re.findall(r"```%s\n(.*?)```" % fence, page.read_text(encoding="utf-8"), re.S):
            if block not in found:
                found.append(block)
    if not found:
        sys.exit(f"no {fence} snippet in docs/clients.md or clients/{language}/README.md")
    return found


def main(language, out):
    target = os.environ.get("PHONECHECK_TARGET", "127.0.0.1:50051")
    out = pathlib.Path(out)
    for n, code in enumerate(snippets(language)):
        code = code.replace("127.0.0.1:50051", target)
        if language == "python":
            path = out / f"snippet_{n}.py"
            path.write_text(code, encoding="utf-8")
        elif language == "node":
            path = out / f"snippet_{n}.ts"
            path.write_text(code, encoding="utf-8")
        elif language == "go":
            path = out / f"snippet_{n}"
            path.mkdir(parents=True, exist_ok=True)
            body = "".join("\t" + line + "\n" if line else "\n" for line in code.splitlines())
            (path / "main.go").write_text(GO_MAIN % body, encoding="utf-8")
            (path / "go.mod").write_text(GO_MOD % (ROOT / "clients/go"), encoding="utf-8")
        else:
            path = out / f"snippet_{n}"
            path.mkdir(parents=True, exist_ok=True)
            body = "".join("    " + line + "\n" for line in code.splitlines())
            (path / "Snippet.java").write_text(JAVA_MAIN % body, encoding="utf-8")
        print(path)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in FENCE:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
