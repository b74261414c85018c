#!/usr/bin/env bash
# Regenerates the client stubs of every language from proto/ into clients/<lang>/.
# The generated code is committed, so users can copy it; CI runs this and fails on any drift.
# Needs python3 (a venv is created) and node/npm; nothing else.
set -euo pipefail
cd "$(dirname "$0")/.."
work="${PHONECHECK_CLIENTS_WORK:-$(mktemp -d)}"

# Python: grpcio-tools, with mypy-protobuf type stubs (.pyi).
if [ ! -x "$work/venv/bin/python" ]; then
  python3 -m venv "$work/venv"
fi
"$work/venv/bin/pip" install --quiet --disable-pip-version-check -r clients/python/requirements.txt
rm -rf clients/python/phonecheck
"$work/venv/bin/python" -m grpc_tools.protoc -Iproto \
  --python_out=clients/python --grpc_python_out=clients/python \
  --plugin=protoc-gen-mypy="$work/venv/bin/protoc-gen-mypy" --mypy_out=clients/python \
  --plugin=protoc-gen-mypy_grpc="$work/venv/bin/protoc-gen-mypy_grpc" --mypy_grpc_out=clients/python \
  proto/phonecheck/v1/phonecheck.proto
echo "python stubs: clients/python/phonecheck/v1/"
