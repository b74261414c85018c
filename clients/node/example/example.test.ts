// The example against a real demo server named by PHONECHECK_TARGET (with PHONECHECK_API_KEY when
// it requires keys); skipped, saying so, without one. clients/test.sh starts one.
import assert from "node:assert/strict";
import { test } from "node:test";

import { ServiceError, status as Code } from "@grpc/grpc-js";
import { connect, errorDetails, NumberStatus, VERSION } from "phonecheck-client";

import { check, checkBulk, checkStream, main } from "./example";

const target = process.env.PHONECHECK_TARGET;
const apiKey = process.env.PHONECHECK_API_KEY;
const skip = target ? false : "PHONECHECK_TARGET is not set: start `phonecheck serve --demo` and set it to its HOST:PORT";

async function failure(call: Promise<unknown>) {
  try {
    await call;
  } catch (error) {
    return errorDetails(error as ServiceError);
  }
  assert.fail("the call succeeded");
}

test("the package carries its version", () => {
  assert.match(VERSION, /^\d+\.\d+\.\d+/);
});

test("Check answers every input in order", { skip }, async () => {
  const client = connect(target, { apiKey });
  const { results, summary } = await check(client, ["+86 131-1111-1111", "12345"]);
  assert.deepEqual(results.map((r) => r.index), [0, 1]);
  assert.equal(results[0].status, NumberStatus.NUMBER_STATUS_REAL);
  assert.deepEqual([results[0].mobile, results[0].area, results[0].carrier], ["13111111111", "山西-临汾", "中国联通"]);
  assert.equal(results[1].status, NumberStatus.NUMBER_STATUS_INVALID);
  assert.match(results[1].invalidReason, /11 digits/);
  assert.deepEqual([summary?.total, summary?.invalid], [2, 1]);
  client.close();
});

test("CheckStream and CheckBulk answer every input", { skip }, async () => {
  const client = connect(target, { apiKey });
  const streamed = await checkStream(client, ["13800138000", "13900139000", "13800138000"]);
  assert.deepEqual(streamed.results.map((r) => r.index), [0, 1, 2]);
  assert.equal(streamed.results[2].duplicate, true);
  assert.equal(streamed.summary?.duplicates, 1);
  const bulk = await checkBulk(client, [["13700137000", "13600136000"], ["13500135000", "12345"]]);
  assert.deepEqual(bulk.results.map((r) => r.index), [0, 1, 2, 3]);
  assert.equal(bulk.results[3].status, NumberStatus.NUMBER_STATUS_INVALID);
  assert.deepEqual([bulk.summary?.total, bulk.summary?.invalid], [4, 1]);
  client.close();
});

test("a deadline ends a slow call", { skip }, async () => {
  const client = connect(target, { apiKey });
  const details = await failure(check(client, ["19900000004"], 500));
  assert.equal(details.code, Code.DEADLINE_EXCEEDED);
  client.close();
});

test("errors carry their reason, RetryInfo, QuotaFailure and BadRequest", { skip }, async () => {
  const client = connect(target, { apiKey });
  let details = await failure(check(client, ["19900000429"]));
  assert.equal(details.code, Code.RESOURCE_EXHAUSTED);
  assert.deepEqual([details.reason, details.domain, details.metadata.upstreamCode], ["UPSTREAM_RATE_LIMITED", "phonecheck", "429"]);
  assert.ok(details.retryDelayMs !== undefined && details.retryDelayMs > 0, `retry ${details.retryDelayMs}`);
  details = await failure(check(client, ["19900000102"]));
  assert.equal(details.reason, "UPSTREAM_QUOTA_EXHAUSTED");
  assert.deepEqual(details.quotaViolations.map((v) => v.subject), ["upstream-account"]);
  assert.equal(details.retryDelayMs, undefined);
  details = await failure(check(client, []));
  assert.deepEqual([details.code, details.reason], [Code.INVALID_ARGUMENT, "NO_NUMBERS"]);
  assert.deepEqual(details.fieldViolations.map((v) => v.field), ["mobiles"]);
  client.close();
});

test("a wrong API key is refused", { skip: skip || (apiKey ? false : "PHONECHECK_API_KEY is not set") }, async () => {
  const client = connect(target, { apiKey: `${apiKey}-wrong` });
  const details = await failure(check(client, ["13111111111"]));
  assert.deepEqual([details.code, details.reason], [Code.UNAUTHENTICATED, "API_KEY_INVALID"]);
  client.close();
});

test("the example runs to the end", { skip }, async () => {
  await main(target as string);
});
