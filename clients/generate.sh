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

# Go: protoc-gen-go and protoc-gen-go-grpc from Debian's packages (no module proxy needed); the
# code builds in GOPATH mode against Debian's Go gRPC packages (see clients/go/README.md).
if command -v protoc >/dev/null && command -v protoc-gen-go >/dev/null && command -v protoc-gen-go-grpc >/dev/null; then
  go_map="Mphonecheck/v1/phonecheck.proto=phonecheck/v1;phonecheckv1,Mgoogle/rpc/status.proto=google.golang.org/genproto/googleapis/rpc/status"
  rm -f clients/go/src/phonecheck/v1/*.pb.go
  mkdir -p clients/go/src/phonecheck/v1
  protoc -Iproto \
    --go_out=clients/go/src --go_opt="paths=source_relative,$go_map" \
    --go-grpc_out=clients/go/src --go-grpc_opt="paths=source_relative,$go_map" \
    proto/phonecheck/v1/phonecheck.proto
  echo "go stubs: clients/go/src/phonecheck/v1/"
else
  echo "go stubs: skipped (apt install protobuf-compiler protoc-gen-go protoc-gen-go-grpc)"
fi

# Java: protoc's java_out and Debian's grpc-java plugin; google.rpc (Status, ErrorInfo…) is
# generated too, so the example needs only Debian's jars (see clients/java/README.md).
if command -v protoc >/dev/null && command -v grpc_java_plugin >/dev/null; then
  rm -rf clients/java/src
  mkdir -p clients/java/src
  protoc -Iproto \
    --java_out=clients/java/src \
    --plugin=protoc-gen-grpc-java="$(command -v grpc_java_plugin)" --grpc-java_out=clients/java/src \
    proto/phonecheck/v1/phonecheck.proto proto/google/rpc/status.proto proto/google/rpc/error_details.proto
  echo "java stubs: clients/java/src/"
else
  echo "java stubs: skipped (apt install protobuf-compiler protobuf-compiler-grpc-java-plugin)"
fi
