"""Python client for phonecheck, the gRPC service for mainland China mobile number status.

    import phonecheck_client as pc

    stub = pc.connect("127.0.0.1:50051", api_key="...")
    response = stub.Check(pc.CheckRequest(mobiles=["13800138000"]), timeout=10)

`connect` and `connect_async` give a PhoneCheck stub whose every call carries the API key;
`error_details` reads a failed call's ErrorInfo reason, RetryInfo delay, QuotaFailure and
BadRequest. The generated messages are in `phonecheck_client.v1.phonecheck_pb2`; the common
ones are re-exported here.
"""

from phonecheck_client._version import __version__
from phonecheck_client.channel import DEFAULT_TARGET, connect, connect_async
from phonecheck_client.errors import ErrorDetails, error_details
from phonecheck_client.v1 import phonecheck_pb2, phonecheck_pb2_grpc
from phonecheck_client.v1.phonecheck_pb2 import (
    CheckBulkRequest,
    CheckOptions,
    CheckRequest,
    CheckStreamRequest,
    CheckSummary,
    NumberStatus,
    PhoneResult,
)
from phonecheck_client.v1.phonecheck_pb2_grpc import PhoneCheckStub

__all__ = [
    "DEFAULT_TARGET",
    "CheckBulkRequest",
    "CheckOptions",
    "CheckRequest",
    "CheckStreamRequest",
    "CheckSummary",
    "ErrorDetails",
    "NumberStatus",
    "PhoneCheckStub",
    "PhoneResult",
    "__version__",
    "connect",
    "connect_async",
    "error_details",
    "phonecheck_pb2",
    "phonecheck_pb2_grpc",
]
