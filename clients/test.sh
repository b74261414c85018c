#!/usr/bin/env bash
# Tests every client package as a user gets it, against a real `phonecheck serve --demo` that
# requires an API key:
#   python  the package pip-installed into a fresh venv, then pytest (examples included);
#   node    the package built and `npm pack`ed, installed into a scratch project with the example;
#   go      go vet and go test in the module;
#   java    mvn verify (compiles, runs the example's JUnit tests);
# and for each, the snippets of docs/clients.md and the package's README, run as programs.
#
#   clients/test.sh [LANGUAGE…]          # default: all four; needs target/debug/phonecheck
#
# PHONECHECK_BIN names another server binary; PHONECHECK_CLIENTS_WORK a folder to keep the venv,
# npm, Go and Maven caches in between runs.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
bin="${PHONECHECK_BIN:-$root/target/debug/phonecheck}"
work="${PHONECHECK_CLIENTS_WORK:-$(mktemp -d)}"
mkdir -p "$work"
languages=("$@")
[ ${#languages[@]} -gt 0 ] || languages=(python node go java)
[ -x "$bin" ] || { echo "no server binary at $bin: cargo build --bin phonecheck" >&2; exit 1; }

# --- A demo server with API keys, on a free loopback port, in a scratch folder --------------
# Each language gets a fresh one: the simulator's slow number (19900000004) stays in flight
# upstream after a caller's deadline, and a later caller of the same number joins that call, so
# suites sharing a server could see it end. --upstream-timeout-ms keeps it in flight for the
# simulator's whole minute, longer than any suite takes.
server=""
trap 'stop_server' EXIT
start_server() {
  local dir port
  dir="$(mktemp -d)"
  printf 'clients:%s\n' "$PHONECHECK_API_KEY" >"$dir/api-keys"
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  (cd "$dir" && exec "$bin" serve --demo --listen "127.0.0.1:$port" --api-keys-file api-keys --upstream-timeout-ms 120000) \
    >"$dir/server.log" 2>&1 &
  server=$!
  for _ in $(seq 1 120); do
    grep -q "listening (gRPC)" "$dir/server.log" 2>/dev/null && break
    kill -0 $server 2>/dev/null || { cat "$dir/server.log"; exit 1; }
    sleep 0.25
  done
  grep -q "listening (gRPC)" "$dir/server.log" || { echo "the server did not start:"; cat "$dir/server.log"; exit 1; }
  export PHONECHECK_TARGET="127.0.0.1:$port"
  echo "demo server with API keys on $PHONECHECK_TARGET"
}
stop_server() {
  [ -z "$server" ] || { kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; }
  server=""
}
export PHONECHECK_API_KEY="clients-test-$(date +%s)-$$"

# The snippets of docs/clients.md and each package's README, written out as programs by
# clients/doc_snippets.py; each must run against the server and print a status name.
snippets() {
  local dir="$work/snippets-$1"
  rm -rf "$dir" && mkdir -p "$dir"
  python3 "$root/clients/doc_snippets.py" "$1" "$dir"
}
answered() {
  local out
  out="$("$@")" || return 1
  echo "$out"
  grep -q "NUMBER_STATUS_" <<<"$out" || { echo "the snippet printed no status: $*" >&2; return 1; }
}

python_client() {
  local venv="$work/python-venv"
  rm -rf "$venv" && python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "$root/clients/python" pytest
  # The wheel builds too (what a release would upload).
  "$venv/bin/pip" wheel --quiet --disable-pip-version-check --no-deps -w "$work/wheel" "$root/clients/python"
  ls "$work/wheel"/phonecheck_client-*.whl
  # From outside the source tree, so the tests import the installed package, not src/.
  (cd "$work" && "$venv/bin/python" -m pytest -q -p no:cacheprovider "$root/clients/python/tests")
  for snippet in $(snippets python); do answered "$venv/bin/python" "$snippet"; done
}

node_client() {
  (cd clients/node && npm ci --no-audit --no-fund --silent && npm pack --silent --pack-destination "$work" >/dev/null)
  local tarball scratch
  tarball="$(ls -t "$work"/phonecheck-client-*.tgz | head -n 1)"
  scratch="$work/node-scratch"
  rm -rf "$scratch" && mkdir -p "$scratch"
  cp clients/node/example/package.json clients/node/example/tsconfig.json clients/node/example/*.ts clients/node/example/*.mjs "$scratch/"
  (cd "$scratch" && npm install --no-audit --no-fund --silent && npm install --no-audit --no-fund --silent --no-save "$tarball" \
    && npm run --silent build && npm test --silent)
  for snippet in $(snippets node); do
    cp "$snippet" "$scratch/"
    (cd "$scratch" && npx tsc --strict --esModuleInterop --skipLibCheck --target es2022 --module node16 \
      --moduleResolution node16 --outDir snippets "$(basename "$snippet")")
    answered node "$scratch/snippets/$(basename "${snippet%.ts}").js"
  done
}

go_client() {
  (cd clients/go && go vet ./... && go test -count=1 -v ./...)
  for snippet in $(snippets go); do
    (cd "$snippet" && go mod tidy && go vet . && answered go run .)
  done
}

java_client() {
  (cd clients/java && mvn -B -q verify \
    && mvn -B -q dependency:build-classpath -Dmdep.includeScope=runtime -Dmdep.outputFile="$work/java.classpath")
  local classpath
  classpath="$(cat "$work/java.classpath"):$root/clients/java/target/classes"
  for snippet in $(snippets java); do
    javac -d "$snippet" -cp "$classpath" "$snippet/Snippet.java"
    answered java -cp "$snippet:$classpath" Snippet
  done
}

for language in "${languages[@]}"; do
  echo "=== $language client"
  start_server
  "${language}_client"
  stop_server
done
echo "client packages: ${languages[*]} passed"
