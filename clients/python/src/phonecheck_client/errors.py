"""What a failed call's status carries, read once.

Branch on `reason` (a stable UPPER_SNAKE name such as UPSTREAM_QUOTA_EXHAUSTED, listed in the
service's docs/errors.md), not on the message, which may change between releases. The details
come from the `grpc-status-details-bin` trailer, so this works for blocking and asyncio calls
alike and needs no grpcio-status.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Dict, List, Optional

import grpc
from google.rpc import error_details_pb2, status_pb2

_DETAILS_TRAILER = "grpc-status-details-bin"


@dataclass
class ErrorDetails:
    """A failed call's code, message and google.rpc details."""

    code: grpc.StatusCode
    """The gRPC status code."""
    message: str
    """The human-readable message."""
    reason: Optional[str] = None
    """ErrorInfo's reason; None when the status carries no ErrorInfo (a client-side deadline)."""
    domain: Optional[str] = None
    """ErrorInfo's domain: "phonecheck" for the service's own errors."""
    metadata: Dict[str, str] = field(default_factory=dict)
    """ErrorInfo's metadata, such as upstreamCode."""
    retry_delay: Optional[timedelta] = None
    """RetryInfo's delay: wait this long before trying again; None when retrying will not help."""
    quota_violations: List[error_details_pb2.QuotaFailure.Violation] = field(default_factory=list)
    """QuotaFailure's entries, such as the upstream account's used-up quota."""
    field_violations: List[error_details_pb2.BadRequest.FieldViolation] = field(default_factory=list)
    """BadRequest's entries: which request field was wrong, and why."""


def error_details(error: grpc.RpcError) -> ErrorDetails:
    """Reads `error` (a blocking call's `grpc.RpcError` or an asyncio `grpc.aio.AioRpcError`)."""
    code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
    message = error.details() if hasattr(error, "details") else str(error)
    details = ErrorDetails(code=code, message=message or "")
    trailers = error.trailing_metadata() if hasattr(error, "trailing_metadata") else None
    for key, value in trailers or ():
        if key != _DETAILS_TRAILER:
            continue
        for detail in status_pb2.Status.FromString(value).details:
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
                details.reason, details.domain = info.reason, info.domain
                details.metadata = dict(info.metadata)
            elif detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
                retry = error_details_pb2.RetryInfo()
                detail.Unpack(retry)
                details.retry_delay = retry.retry_delay.ToTimedelta()
            elif detail.Is(error_details_pb2.QuotaFailure.DESCRIPTOR):
                quota = error_details_pb2.QuotaFailure()
                detail.Unpack(quota)
                details.quota_violations.extend(quota.violations)
            elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                detail.Unpack(bad)
                details.field_violations.extend(bad.field_violations)
    return details
