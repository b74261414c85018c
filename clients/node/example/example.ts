// phonecheck from Node/TypeScript: Check, CheckStream, CheckBulk, a deadline, an API key, and
// errors read by their ErrorInfo reason and RetryInfo.
//
//   npm install phonecheck-client          (today: npm install ./phonecheck-client-0.1.0.tgz)
//   node dist/example.js [HOST:PORT]       # default 127.0.0.1:50051 (phonecheck serve --demo)
//
// PHONECHECK_API_KEY, when set, is sent with every call (a server with --api-keys-file).
import { Metadata, ServiceError, status as Code } from "@grpc/grpc-js";
import {
  CheckResponse,
  CheckSummary,
  connect,
  DEFAULT_TARGET,
  errorDetails,
  numberStatusToJSON,
  PhoneCheckClient,
  PhoneResult,
} from "phonecheck-client";

/** One Check call with a deadline: results in input order, and a summary. */
export function check(client: PhoneCheckClient, mobiles: string[], deadlineMs = 10_000): Promise<CheckResponse> {
  return new Promise((resolve, reject) => {
    client.check({ mobiles }, new Metadata(), { deadline: Date.now() + deadlineMs }, (error, response) =>
      error ? reject(error) : resolve(response),
    );
  });
}

/** A CheckStream call: results arrive as batches finish, so they are put back in order by index. */
export async function checkStream(
  client: PhoneCheckClient,
  mobiles: string[],
): Promise<{ results: PhoneResult[]; summary?: CheckSummary }> {
  const results: PhoneResult[] = [];
  let summary: CheckSummary | undefined;
  const call = client.checkStream({ mobiles }, { deadline: Date.now() + 60_000 });
  for await (const message of call) {
    results.push(...message.results);
    summary = message.summary ?? summary;
  }
  return { results: results.sort((a, b) => a.index - b.index), summary };
}

/** A CheckBulk call: chunks are written while results are read, as when streaming a large file;
 * each chunk element is one input. */
export async function checkBulk(
  client: PhoneCheckClient,
  chunks: string[][],
): Promise<{ results: PhoneResult[]; summary?: CheckSummary }> {
  const call = client.checkBulk({ deadline: Date.now() + 60_000 });
  for (const mobiles of chunks) {
    call.write({ mobiles });
  }
  call.end();
  const results: PhoneResult[] = [];
  let summary: CheckSummary | undefined;
  for await (const message of call) {
    results.push(...message.results);
    summary = message.summary ?? summary;
  }
  return { results: results.sort((a, b) => a.index - b.index), summary };
}

export async function main(target: string): Promise<void> {
  const client = connect(target, { apiKey: process.env.PHONECHECK_API_KEY });
  const response = await check(client, ["+86 131-1111-1111", "12345"]);
  for (const r of response.results) {
    console.log(`${r.index} ${JSON.stringify(r.input)}: ${numberStatusToJSON(r.status)} ${r.area} ${r.carrier} ${r.invalidReason}`);
  }
  const streamed = await checkStream(client, ["13800138000", "13900139000", "13800138000"]);
  console.log(`stream: ${streamed.results.length} results, ${streamed.summary?.duplicates} duplicate(s)`);
  const bulk = await checkBulk(client, [["13700137000", "13600136000"], ["13500135000", "12345"]]);
  console.log(`bulk: ${bulk.results.length} results, ${bulk.summary?.invalid} invalid`);

  // A deadline: the demo upstream answers 19900000004 only after a minute.
  try {
    await check(client, ["19900000004"], 500);
  } catch (error) {
    console.log(`slow number with a 500 ms deadline: ${Code[errorDetails(error as ServiceError).code]}`);
  }

  // Errors by reason: the demo upstream's "QPS exceeded" and "quota used up" numbers.
  for (const number of ["19900000429", "19900000102"]) {
    try {
      await check(client, [number]);
    } catch (error) {
      const details = errorDetails(error as ServiceError);
      if (details.reason === "UPSTREAM_QUOTA_EXHAUSTED") {
        console.log(`${number}: quota used up upstream (${details.quotaViolations[0].subject}); top up the account`);
      } else if (details.retryDelayMs !== undefined) {
        console.log(`${number}: ${details.reason}, try again in ${details.retryDelayMs} ms`);
      } else {
        throw error;
      }
    }
  }
  client.close();
}

if (require.main === module) {
  main(process.argv[2] ?? DEFAULT_TARGET).catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
