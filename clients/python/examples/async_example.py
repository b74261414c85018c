"""phonecheck from Python with asyncio (grpc.aio): Check, CheckStream, CheckBulk, a deadline, an
API key, and errors read by their ErrorInfo reason and RetryInfo.

    pip install ./clients/python
    python clients/python/examples/async_example.py [HOST:PORT]   # default 127.0.0.1:50051

PHONECHECK_API_KEY, when set, is sent with every call (a server with --api-keys-file).
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import AsyncIterator, List, Optional, Sequence, Tuple

import grpc

import phonecheck_client as pc


async def check(stub: pc.PhoneCheckStub, mobiles: Sequence[str], timeout: float = 10.0) -> pc.phonecheck_pb2.CheckResponse:
    """One Check call with a deadline: results in input order, and a summary."""
    return await stub.Check(pc.CheckRequest(mobiles=mobiles), timeout=timeout)


async def check_stream(stub: pc.PhoneCheckStub, mobiles: Sequence[str]) -> Tuple[List[pc.PhoneResult], Optional[pc.CheckSummary]]:
    """A CheckStream call read with `async for`; results are put back in order by index."""
    results: List[pc.PhoneResult] = []
    summary = None
    async for message in stub.CheckStream(pc.CheckStreamRequest(mobiles=mobiles), timeout=60):
        results.extend(message.results)
        if message.HasField("summary"):
            summary = message.summary
    return sorted(results, key=lambda r: r.index), summary


async def check_bulk(stub: pc.PhoneCheckStub, chunks: Sequence[Sequence[str]]) -> Tuple[List[pc.PhoneResult], Optional[pc.CheckSummary]]:
    """A CheckBulk call: an async generator sends the chunks while results are read."""

    async def requests() -> AsyncIterator[pc.CheckBulkRequest]:
        for chunk in chunks:
            yield pc.CheckBulkRequest(mobiles=chunk)

    results: List[pc.PhoneResult] = []
    summary = None
    async for message in stub.CheckBulk(requests(), timeout=60):
        results.extend(message.results)
        if message.HasField("summary"):
            summary = message.summary
    return sorted(results, key=lambda r: r.index), summary


async def main(target: str) -> None:
    stub = pc.connect_async(target, api_key=os.environ.get("PHONECHECK_API_KEY"))
    # Independent calls run at once on one channel.
    response, (streamed, stream_summary), (bulk, bulk_summary) = await asyncio.gather(
        check(stub, ["+86 131-1111-1111", "12345"]),
        check_stream(stub, ["13800138000", "13900139000", "13800138000"]),
        check_bulk(stub, [["13700137000", "13600136000"], ["13500135000", "12345"]]),
    )
    for r in response.results:
        print(f"{r.index} {r.input!r}: {pc.NumberStatus.Name(r.status)} {r.area} {r.carrier} {r.invalid_reason}")
    print(f"stream: {len(streamed)} results, {stream_summary.duplicates if stream_summary else 0} duplicate(s)")
    print(f"bulk: {len(bulk)} results, {bulk_summary.invalid if bulk_summary else 0} invalid")

    try:
        await check(stub, ["19900000004"], timeout=0.5)  # answered only after a minute
    except grpc.aio.AioRpcError as error:
        print(f"slow number with a 0.5 s deadline: {pc.error_details(error).code.name}")

    for number in ["19900000429", "19900000102"]:
        try:
            await check(stub, [number])
        except grpc.aio.AioRpcError as error:
            details = pc.error_details(error)
            if details.reason == "UPSTREAM_QUOTA_EXHAUSTED":
                print(f"{number}: quota used up upstream ({details.quota_violations[0].subject}); top up the account")
            elif details.retry_delay is not None:
                print(f"{number}: {details.reason}, try again in {details.retry_delay.total_seconds()} s")
            else:
                raise
    await stub.channel.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else pc.DEFAULT_TARGET))
