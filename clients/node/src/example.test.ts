// The Node example as a test against a running `phonecheck serve --demo`:
//   PHONECHECK_TARGET=127.0.0.1:50051 npm test
import assert from "node:assert/strict";
import { test } from "node:test";

import { ServiceError, status as Code } from "@grpc/grpc-js";

import { check, checkStream, connect, errorReason, NumberStatus } from "./example";

const target = process.env.PHONECHECK_TARGET ?? "127.0.0.1:50051";

test("Check answers every input in order", async () => {
  const client = connect(target);
  const { results, summary } = await check(client, ["+86 131-1111-1111", "12345"]);
  assert.deepEqual(results.map((r) => r.index), [0, 1]);
  assert.equal(results[0].status, NumberStatus.NUMBER_STATUS_REAL);
  assert.deepEqual([results[0].mobile, results[0].area, results[0].carrier], ["13111111111", "山西-临汾", "中国联通"]);
  assert.equal(results[1].status, NumberStatus.NUMBER_STATUS_INVALID);
  assert.match(results[1].invalidReason, /11 digits/);
  assert.deepEqual([summary?.total, summary?.invalid], [2, 1]);
  client.close();
});

test("CheckStream answers every input", async () => {
  const client = connect(target);
  const { results, summary } = await checkStream(client, ["13800138000", "13900139000", "13800138000"]);
  assert.deepEqual(results.map((r) => r.index), [0, 1, 2]);
  assert.equal(results[2].duplicate, true);
  assert.equal(summary?.duplicates, 1);
  client.close();
});

test("errors carry their code and ErrorInfo reason", async () => {
  const client = connect(target);
  await assert.rejects(check(client, ["14000000102"]), (error: ServiceError) => {
    const { code, reason } = errorReason(error);
    assert.equal(code, Code.RESOURCE_EXHAUSTED);
    assert.equal(reason, "UPSTREAM_QUOTA_EXHAUSTED");
    return true;
  });
  client.close();
});
