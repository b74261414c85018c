#!/usr/bin/env bash
# Regenerates every client package's stubs from proto/ and writes Cargo.toml's version into each
# package. The generated code is committed (a package installs from a path or a git URL without
# any generator); CI runs this and fails on any drift.
#
# Needs python3, node/npm, go and mvn: each generator comes pinned from its own registry into a
# work folder (PHONECHECK_CLIENTS_WORK, reused when set, so a second run downloads nothing).
set -euo pipefail
cd "$(dirname "$0")/.."
work="${PHONECHECK_CLIENTS_WORK:-$(mktemp -d)}"
mkdir -p "$work/bin"
export PATH="$work/bin:$PATH"

# The generators' versions. protoc is used for Java's built-in generator only, so it is the same
# release as protobuf-java in clients/java/pom.xml (Java's generated code checks that the runtime
# is at least as new). protoc-gen-grpc-java 1.85 has no linux-x86_64 file on Maven Central; 1.83's
# output runs on the newer grpc-java the pom names.
protoc_gen_go=v1.36.12
protoc_gen_go_grpc=v1.6.2
protoc_java=4.36.2
protoc_gen_grpc_java=1.83.1
protoc_gen_openapiv2=v2.34.0
version="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)"

# --- The generators -------------------------------------------------------------------------
(cd clients/tools && npm ci --no-audit --no-fund --silent)
ln -sf "$PWD/clients/tools/node_modules/.bin/buf" "$work/bin/buf"
ln -sf "$PWD/clients/tools/node_modules/.bin/protoc-gen-ts_proto" "$work/bin/protoc-gen-ts_proto"

[ -x "$work/venv/bin/python" ] || python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check -r clients/tools/requirements.txt

[ -x "$work/bin/protoc-gen-go" ] || GOBIN="$work/bin" go install "google.golang.org/protobuf/cmd/protoc-gen-go@$protoc_gen_go"
[ -x "$work/bin/protoc-gen-go-grpc" ] || GOBIN="$work/bin" go install "google.golang.org/grpc/cmd/protoc-gen-go-grpc@$protoc_gen_go_grpc"
[ -x "$work/bin/protoc-gen-openapiv2" ] || GOBIN="$work/bin" go install "github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-openapiv2@$protoc_gen_openapiv2"

case "$(uname -m)" in
  x86_64 | amd64) platform=linux-x86_64 ;;
  aarch64 | arm64) platform=linux-aarch_64 ;;
  *) echo "no protoc on Maven Central for $(uname -m)" >&2; exit 1 ;;
esac
maven_exe() { # GROUP:ARTIFACT:VERSION NAME: an executable Maven Central publishes, into $work/bin
  if [ ! -x "$work/bin/$2" ]; then
    mvn -B -q dependency:copy -Dartifact="$1:exe:$platform" -DoutputDirectory="$work/maven" -Dmdep.stripVersion=true >/dev/null
    install -m 755 "$work/maven/$(echo "$1" | cut -d: -f2)-$platform.exe" "$work/bin/$2"
  fi
}
maven_exe "com.google.protobuf:protoc:$protoc_java" protoc
maven_exe "io.grpc:protoc-gen-grpc-java:$protoc_gen_grpc_java" protoc-gen-grpc-java

# --- Go and Java (buf.gen.yaml), Node (clients/node/buf.gen.yaml) ---------------------------
rm -rf clients/go/phonecheck/v1 clients/java/src/main/java/io/github/phonecheck/v1 clients/node/src/gen
buf generate --template buf.gen.yaml
buf generate --template clients/node/buf.gen.yaml
echo "go: clients/go/phonecheck/v1/  java: clients/java/src/main/java/io/github/phonecheck/v1/  node: clients/node/src/gen/"

# --- OpenAPI (clients/openapi.buf.gen.yaml): the JSON API's description, served at /openapi.yaml --
# The generator knows nothing of the HTTP media types: the streams' (NDJSON, or Server-Sent Events when
# asked for) and
# the client streams' bodies (messages one after another) are said here, per operation; an error
# before a stream's first message is a JSON google.rpc.Status like any other.
rm -rf "$work/openapi"
buf generate --template clients/openapi.buf.gen.yaml -o "$work"
sed -e 's|^  title: phonecheck/v1/phonecheck.proto$|  title: phonecheck|' \
  -e "s|^  version: version not set\$|  version: \"$version\"|" \
  -e '/^  title: phonecheck$/a\  description: "The HTTP/JSON API of phonecheck, transcoded from its gRPC API (docs/api.md). Streams answer NDJSON, or Server-Sent Events with Accept: text/event-stream; POST /v1/jobs also takes a list file as multipart/form-data."' \
  -e '/^      operationId: PhoneCheck_\(CheckStream\|CheckBulk\|WatchJob\)$/a\      produces:\n        - application/x-ndjson\n        - text/event-stream\n        - application/json' \
  -e '/^      operationId: PhoneCheck_GetJobResults$/a\      produces:\n        - application/x-ndjson\n        - text/event-stream\n        - text/csv\n        - application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\n        - application/zip\n        - application/json' \
  -e '/^      operationId: PhoneCheck_CheckBulk$/a\      consumes:\n        - application/json\n        - application/x-ndjson' \
  -e '/^      operationId: PhoneCheck_\(CreateJob\|CreateUpload\)$/a\      consumes:\n        - application/json\n        - application/x-ndjson\n        - multipart/form-data' \
  "$work/openapi/openapi.swagger.yaml" >clients/openapi.yaml
echo "openapi: clients/openapi.yaml"

# --- Python (grpcio-tools, with mypy-protobuf's type stubs) ----------------------------------
# The proto's own path (phonecheck/v1) would make the imports `phonecheck.v1`; inside the package
# they are `phonecheck_client.v1`, so the generated imports are rewritten to that.
python_out="clients/python/src/phonecheck_client/v1"
staging="$work/python"
rm -rf "$staging" "$python_out"/*_pb2*
mkdir -p "$staging" "$python_out"
"$work/venv/bin/python" -m grpc_tools.protoc -Iproto \
  --python_out="$staging" --grpc_python_out="$staging" \
  --plugin=protoc-gen-mypy="$work/venv/bin/protoc-gen-mypy" --mypy_out="$staging" \
  --plugin=protoc-gen-mypy_grpc="$work/venv/bin/protoc-gen-mypy_grpc" --mypy_grpc_out="$staging" \
  proto/phonecheck/v1/phonecheck.proto
for file in "$staging"/phonecheck/v1/*; do
  sed -e 's/^from phonecheck\.v1 import/from phonecheck_client.v1 import/' \
    -e 's/^import phonecheck\.v1\.phonecheck_pb2$/import phonecheck_client.v1.phonecheck_pb2/' \
    -e 's/\bphonecheck\.v1\.phonecheck_pb2\./phonecheck_client.v1.phonecheck_pb2./g' \
    "$file" >"$python_out/$(basename "$file")"
done
echo "python: $python_out/"

# --- One version for every package: Cargo.toml's ---------------------------------------------
sed -i "s/^version = \".*\"$/version = \"$version\"/" clients/python/pyproject.toml
printf '"""The package version: the service'"'"'s own (Cargo.toml), written by clients/generate.sh."""\n\n__version__ = "%s"\n' \
  "$version" >clients/python/src/phonecheck_client/_version.py
(cd clients/node && npm version "$version" --no-git-tag-version --allow-same-version >/dev/null)
printf '// The package version: the service'"'"'s own (Cargo.toml), written by clients/generate.sh.\nexport const VERSION = "%s";\n' \
  "$version" >clients/node/src/version.ts
printf '// Code written by clients/generate.sh. DO NOT EDIT.\n\npackage phonecheck\n\n// Version is the module'"'"'s release: the service'"'"'s own (Cargo.toml), sent in the user agent.\nconst Version = "%s"\n' \
  "$version" >clients/go/phonecheck/version.go
sed -i "s|^  <version>.*</version><!-- Cargo.toml's -->$|  <version>$version</version><!-- Cargo.toml's -->|" clients/java/pom.xml
printf 'package io.github.phonecheck.client;\n\n/** The package version: the service'"'"'s own (Cargo.toml), written by clients/generate.sh. */\npublic final class Version {\n  /** Sent in the user agent of every channel {@link PhoneCheckChannels} builds. */\n  public static final String VERSION = "%s";\n\n  private Version() {}\n}\n' \
  "$version" >clients/java/src/main/java/io/github/phonecheck/client/Version.java
echo "version $version written into every package"
