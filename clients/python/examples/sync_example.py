"""phonecheck from Python, blocking calls: Check, CheckStream, CheckBulk, a deadline, an API key,
and errors read by their ErrorInfo reason and RetryInfo.

    pip install ./clients/python
    python clients/python/examples/sync_example.py [HOST:PORT]   # default 127.0.0.1:50051

PHONECHECK_API_KEY, when set, is sent with every call (a server with --api-keys-file).
"""

from __future__ import annotations

import os
import sys
from typing import Iterable, Iterator, List, Optional, Sequence, Tuple

import grpc

import phonecheck_client as pc


def check(stub: pc.PhoneCheckStub, mobiles: Sequence[str], timeout: float = 10.0) -> pc.phonecheck_pb2.CheckResponse:
    """One Check call with a deadline: results in input order, and a summary."""
    return stub.Check(pc.CheckRequest(mobiles=mobiles), timeout=timeout)


def check_stream(stub: pc.PhoneCheckStub, mobiles: Sequence[str]) -> Tuple[List[pc.PhoneResult], Optional[pc.CheckSummary]]:
    """A CheckStream call: results arrive as batches finish, so they are put back in order by index."""
    results: List[pc.PhoneResult] = []
    summary = None
    for message in stub.CheckStream(pc.CheckStreamRequest(mobiles=mobiles), timeout=60):
        results.extend(message.results)
        if message.HasField("summary"):
            summary = message.summary
    return sorted(results, key=lambda r: r.index), summary


def check_bulk(stub: pc.PhoneCheckStub, chunks: Iterable[Sequence[str]]) -> Tuple[List[pc.PhoneResult], Optional[pc.CheckSummary]]:
    """A CheckBulk call: chunks go out from a generator while results come back, as when streaming
    the rows of a large file; each chunk element is one input."""

    def requests() -> Iterator[pc.CheckBulkRequest]:
        for chunk in chunks:
            yield pc.CheckBulkRequest(mobiles=chunk)

    results: List[pc.PhoneResult] = []
    summary = None
    for message in stub.CheckBulk(requests(), timeout=60):
        results.extend(message.results)
        if message.HasField("summary"):
            summary = message.summary
    return sorted(results, key=lambda r: r.index), summary


def main(target: str) -> None:
    stub = pc.connect(target, api_key=os.environ.get("PHONECHECK_API_KEY"))
    response = check(stub, ["+86 131-1111-1111", "12345"])
    for r in response.results:
        name = pc.NumberStatus.Name(r.status)
        print(f"{r.index} {r.input!r}: {name} {r.status_name} {r.area} {r.carrier} {r.invalid_reason}")
    summary = response.summary
    print(f"billed {summary.billed}, from cache {summary.cache_hits}, invalid {summary.invalid}")

    streamed, summary = check_stream(stub, ["13800138000", "13900139000", "13800138000"])
    print(f"stream: {len(streamed)} results, {summary.duplicates if summary else 0} duplicate(s)")

    bulk, summary = check_bulk(stub, [["13700137000", "13600136000"], ["13500135000", "12345"]])
    print(f"bulk: {len(bulk)} results, {summary.invalid if summary else 0} invalid")

    # A deadline: the demo upstream answers 19900000004 only after a minute.
    try:
        check(stub, ["19900000004"], timeout=0.5)
    except grpc.RpcError as error:
        print(f"slow number with a 0.5 s deadline: {pc.error_details(error).code.name}")

    # Errors by reason: the demo upstream's "QPS exceeded" and "quota used up" numbers.
    for number in ["19900000429", "19900000102"]:
        try:
            check(stub, [number])
        except grpc.RpcError as error:
            details = pc.error_details(error)
            if details.reason == "UPSTREAM_QUOTA_EXHAUSTED":
                print(f"{number}: quota used up upstream ({details.quota_violations[0].subject}); top up the account")
            elif details.retry_delay is not None:
                print(f"{number}: {details.reason}, try again in {details.retry_delay.total_seconds()} s")
            else:
                raise
    stub.channel.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else pc.DEFAULT_TARGET)
