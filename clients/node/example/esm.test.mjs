// The package imported from an ES module, as a project with "type": "module" would.
import assert from "node:assert/strict";
import { test } from "node:test";

import { connect, errorDetails, NumberStatus, VERSION } from "phonecheck-client";

test("the package's names import from ESM", () => {
  assert.equal(typeof connect, "function");
  assert.equal(typeof errorDetails, "function");
  assert.equal(NumberStatus.NUMBER_STATUS_REAL, 2);
  assert.match(VERSION, /^\d+\.\d+\.\d+/);
});
