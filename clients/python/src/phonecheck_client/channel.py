"""Channels to a phonecheck server that send the API key with every call.

An API key goes in call metadata (`authorization: Bearer KEY`) rather than in call
credentials, because gRPC only sends call credentials over TLS and a phonecheck server is often
reached in plaintext on loopback or behind a TLS-terminating proxy.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, Tuple

import grpc
import grpc.aio

from phonecheck_client._version import __version__
from phonecheck_client.v1.phonecheck_pb2_grpc import PhoneCheckStub

DEFAULT_TARGET = "127.0.0.1:50051"
"""Where `phonecheck serve` listens unless told otherwise."""

_USER_AGENT = ("grpc.primary_user_agent", f"phonecheck-python/{__version__}")


def _with_key(details: Any, key: str) -> Any:
    metadata = list(details.metadata or ()) + [("authorization", f"Bearer {key}")]
    return details._replace(metadata=metadata)


class _ApiKey(
    grpc.UnaryUnaryClientInterceptor,
    grpc.UnaryStreamClientInterceptor,
    grpc.StreamUnaryClientInterceptor,
    grpc.StreamStreamClientInterceptor,
):
    """Adds the key to every call of a blocking channel."""

    def __init__(self, key: str) -> None:
        self._key = key

    def intercept_unary_unary(self, continuation, client_call_details, request):  # type: ignore[no-untyped-def]
        return continuation(_with_key(client_call_details, self._key), request)

    def intercept_unary_stream(self, continuation, client_call_details, request):  # type: ignore[no-untyped-def]
        return continuation(_with_key(client_call_details, self._key), request)

    def intercept_stream_unary(self, continuation, client_call_details, request_iterator):  # type: ignore[no-untyped-def]
        return continuation(_with_key(client_call_details, self._key), request_iterator)

    def intercept_stream_stream(self, continuation, client_call_details, request_iterator):  # type: ignore[no-untyped-def]
        return continuation(_with_key(client_call_details, self._key), request_iterator)


class _AsyncKeyUnaryUnary(grpc.aio.UnaryUnaryClientInterceptor):
    """Adds the key to unary calls of an asyncio channel. grpc.aio files each interceptor under
    the first kind it implements, so each kind of call gets an interceptor of its own."""

    def __init__(self, key: str) -> None:
        self._key = key

    async def intercept_unary_unary(self, continuation, client_call_details, request):  # type: ignore[no-untyped-def]
        return await continuation(_with_key(client_call_details, self._key), request)


class _AsyncKeyUnaryStream(grpc.aio.UnaryStreamClientInterceptor):
    """Adds the key to server-streaming calls (CheckStream, WatchJob…) of an asyncio channel."""

    def __init__(self, key: str) -> None:
        self._key = key

    async def intercept_unary_stream(self, continuation, client_call_details, request):  # type: ignore[no-untyped-def]
        return await continuation(_with_key(client_call_details, self._key), request)


class _AsyncKeyStreamUnary(grpc.aio.StreamUnaryClientInterceptor):
    """Adds the key to client-streaming calls (CreateJob) of an asyncio channel."""

    def __init__(self, key: str) -> None:
        self._key = key

    async def intercept_stream_unary(self, continuation, client_call_details, request_iterator):  # type: ignore[no-untyped-def]
        return await continuation(_with_key(client_call_details, self._key), request_iterator)


class _AsyncKeyStreamStream(grpc.aio.StreamStreamClientInterceptor):
    """Adds the key to bidirectional calls (CheckBulk) of an asyncio channel."""

    def __init__(self, key: str) -> None:
        self._key = key

    async def intercept_stream_stream(self, continuation, client_call_details, request_iterator):  # type: ignore[no-untyped-def]
        return await continuation(_with_key(client_call_details, self._key), request_iterator)


def _options(options: Sequence[Tuple[str, Any]]) -> list:
    return [_USER_AGENT, *options]


def connect(
    target: str = DEFAULT_TARGET,
    *,
    api_key: Optional[str] = None,
    credentials: Optional[grpc.ChannelCredentials] = None,
    options: Sequence[Tuple[str, Any]] = (),
) -> PhoneCheckStub:
    """A PhoneCheck stub on a blocking channel to `target` (HOST:PORT).

    `api_key` is sent with every call (a server with --api-keys-file); `credentials` (such as
    `grpc.ssl_channel_credentials()`) make the channel TLS, otherwise it is plaintext; `options`
    are gRPC channel arguments. Close the channel with `stub.channel.close()` when done.
    """
    if credentials is None:
        channel = grpc.insecure_channel(target, options=_options(options))
    else:
        channel = grpc.secure_channel(target, credentials, options=_options(options))
    if api_key:
        channel = grpc.intercept_channel(channel, _ApiKey(api_key))
    stub = PhoneCheckStub(channel)
    stub.channel = channel  # type: ignore[attr-defined]
    return stub


def connect_async(
    target: str = DEFAULT_TARGET,
    *,
    api_key: Optional[str] = None,
    credentials: Optional[grpc.ChannelCredentials] = None,
    options: Sequence[Tuple[str, Any]] = (),
) -> PhoneCheckStub:
    """A PhoneCheck stub on an asyncio channel (`grpc.aio`); its calls are awaited.

    Call it inside a running event loop. The arguments are those of `connect`; close the channel
    with `await stub.channel.close()`.
    """
    interceptors = None
    if api_key:
        interceptors = [
            _AsyncKeyUnaryUnary(api_key),
            _AsyncKeyUnaryStream(api_key),
            _AsyncKeyStreamUnary(api_key),
            _AsyncKeyStreamStream(api_key),
        ]
    if credentials is None:
        channel = grpc.aio.insecure_channel(target, options=_options(options), interceptors=interceptors)
    else:
        channel = grpc.aio.secure_channel(
            target, credentials, options=_options(options), interceptors=interceptors
        )
    stub = PhoneCheckStub(channel)
    stub.channel = channel  # type: ignore[attr-defined]
    return stub
