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

# Node/TypeScript: ts-proto (typed messages and @grpc/grpc-js clients), run by the same protoc.
# google/rpc/error_details.proto is generated too, so errors' ErrorInfo can be decoded.
(cd clients/node && npm ci --no-audit --no-fund --silent)
rm -rf clients/node/src/gen
mkdir -p clients/node/src/gen
"$work/venv/bin/python" -m grpc_tools.protoc -Iproto \
  --plugin=protoc-gen-ts_proto=clients/node/node_modules/.bin/protoc-gen-ts_proto \
  --ts_proto_out=clients/node/src/gen \
  --ts_proto_opt=outputServices=grpc-js,esModuleInterop=true,env=node,useOptionals=messages \
  proto/phonecheck/v1/phonecheck.proto proto/google/rpc/error_details.proto
echo "node stubs: clients/node/src/gen/"
