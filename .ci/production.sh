#!/usr/bin/env bash
# docs/operations.md ("Running in production"), tried as a new user would: a TLS certificate made with the
# page's openssl line, API keys, metrics; grpcurl -cacert without a key is refused and with
# one answers; /metrics counts both; SIGTERM stops the server cleanly.
# Needs target/debug/phonecheck, grpcurl and curl on PATH; uses ports 50443 and 9464.
set -euo pipefail
bin="$PWD/target/debug/phonecheck"
dir="$(mktemp -d)"
cd "$dir"
if ! command -v openssl >/dev/null; then
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get install -y -q openssl >/dev/null 2>&1 \
    || { $sudo_cmd apt-get update -q >/dev/null && $sudo_cmd apt-get install -y -q openssl >/dev/null; }
fi
# The page's line, verbatim.
line="$(grep -m1 '^openssl req -x509' "$OLDPWD/docs/operations.md")"
bash -c "$line" 2>/dev/null
printf 'billing:5c0f1d8e7a2b4c6d9e0f1a2b\n' >keys

"$bin" serve --demo --listen 127.0.0.1:50443 --tls-cert cert.pem --tls-key key.pem \
  --api-keys-file keys --metrics-listen 127.0.0.1:9464 >server.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do
  grpcurl -cacert cert.pem localhost:50443 list >/dev/null 2>&1 && break
  kill -0 $server 2>/dev/null || { cat server.log; exit 1; }
  sleep 0.5
done

request='{"mobiles":["13111111111"]}'
if out="$(grpcurl -cacert cert.pem -d "$request" localhost:50443 phonecheck.v1.PhoneCheck/Check 2>&1)"; then
  echo "FAIL: a call without a key was answered: $out"; exit 1
fi
grep -q "Code: Unauthenticated" <<<"$out" || { echo "FAIL: $out"; exit 1; }
echo "ok   without a key: Unauthenticated"
out="$(grpcurl -cacert cert.pem -H 'authorization: Bearer 5c0f1d8e7a2b4c6d9e0f1a2b' -d "$request" localhost:50443 phonecheck.v1.PhoneCheck/Check)"
grep -q '"status": "NUMBER_STATUS_REAL"' <<<"$out" || { echo "FAIL: $out"; exit 1; }
echo "ok   with the key over TLS: answered"

metrics="$(curl -sf 127.0.0.1:9464/metrics)"
count() { grep '^phonecheck_rpc_requests_total{' <<<"$metrics" | grep "code=\"$1\"" | grep "caller=\"$2\"" | awk '{print $2}'; }
[ "$(count UNAUTHENTICATED anonymous)" = "1" ] || { echo "FAIL: metrics"; echo "$metrics"; exit 1; }
[ "$(count OK billing)" = "1" ] || { echo "FAIL: metrics"; echo "$metrics"; exit 1; }
grep -q '^phonecheck_numbers_billed_total{caller="billing"} 1$' <<<"$metrics" || { echo "FAIL: billed"; echo "$metrics"; exit 1; }
echo "ok   /metrics counts the refused and the answered call, and the number billed to its caller"

kill -TERM $server
wait $server
grep -q "phonecheck stopped" server.log || { cat server.log; exit 1; }
echo "ok   SIGTERM: stopped cleanly"
