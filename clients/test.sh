#!/usr/bin/env bash
# Tests every client package as a user gets it, against a real `phonecheck serve --demo` that
# requires an API key:
#   python  the package pip-installed into a fresh venv, then pytest (examples included);
#   node    the package built and `npm pack`ed, installed into a scratch project with the example;
#   go      go vet and go test in the module;
#   java    mvn verify (compiles, runs the example's JUnit tests).
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

# --- A demo server with API keys, on a free loopback port, in a scratch folder ---------------
server_dir="$(mktemp -d)"
key="clients-test-$(date +%s)-$$"
printf 'clients:%s\n' "$key" >"$server_dir/api-keys"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
(cd "$server_dir" && exec "$bin" serve --demo --listen "127.0.0.1:$port" --api-keys-file api-keys) \
  >"$server_dir/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  grep -q "listening (gRPC)" "$server_dir/server.log" 2>/dev/null && break
  kill -0 $server 2>/dev/null || { cat "$server_dir/server.log"; exit 1; }
  sleep 0.25
done
grep -q "listening (gRPC)" "$server_dir/server.log" || { echo "the server did not start:"; cat "$server_dir/server.log"; exit 1; }
export PHONECHECK_TARGET="127.0.0.1:$port" PHONECHECK_API_KEY="$key"
echo "demo server with API keys on $PHONECHECK_TARGET"

python_client() {
  local venv="$work/python-venv"
  rm -rf "$venv" && python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "$root/clients/python" pytest
  # The wheel builds too (what a release would upload).
  "$venv/bin/pip" wheel --quiet --disable-pip-version-check --no-deps -w "$work/wheel" "$root/clients/python"
  ls "$work/wheel"/phonecheck_client-*.whl
  # From outside the source tree, so the tests import the installed package, not src/.
  (cd "$work" && "$venv/bin/python" -m pytest -q -p no:cacheprovider "$root/clients/python/tests")
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
}

go_client() {
  (cd clients/go && go vet ./... && go test -count=1 -v ./...)
}

java_client() {
  (cd clients/java && mvn -B -q verify)
}

for language in "${languages[@]}"; do
  echo "=== $language client"
  "${language}_client"
done
echo "client packages: ${languages[*]} passed"
