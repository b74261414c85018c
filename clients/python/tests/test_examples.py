"""The package as installed, through its examples, against a real demo server."""

import asyncio

import grpc
import pytest

import phonecheck_client as pc


@pytest.fixture
def stub(target, api_key):
    stub = pc.connect(target, api_key=api_key)
    yield stub
    stub.channel.close()


def test_the_installed_package_is_the_one_under_test():
    assert "site-packages" in pc.__file__, pc.__file__
    assert pc.__version__.count(".") == 2


def test_check_answers_every_input_in_order(stub, sync_example):
    response = sync_example.check(stub, ["+86 131-1111-1111", "12345"])
    results = response.results
    assert [r.index for r in results] == [0, 1]
    assert results[0].status == pc.phonecheck_pb2.NUMBER_STATUS_REAL
    assert (results[0].mobile, results[0].area, results[0].carrier) == ("13111111111", "山西-临汾", "中国联通")
    assert results[1].status == pc.phonecheck_pb2.NUMBER_STATUS_INVALID
    assert "11 digits" in results[1].invalid_reason
    assert (response.summary.total, response.summary.invalid) == (2, 1)


def test_check_stream_answers_every_input(stub, sync_example):
    results, summary = sync_example.check_stream(stub, ["13800138000", "13900139000", "13800138000"])
    assert [r.index for r in results] == [0, 1, 2]
    assert results[2].duplicate
    assert summary.duplicates == 1


def test_check_bulk_answers_every_chunk_element(stub, sync_example):
    results, summary = sync_example.check_bulk(stub, [["13700137000", "13600136000"], ["13500135000", "12345"]])
    assert [r.index for r in results] == [0, 1, 2, 3]
    assert results[3].input == "12345" and results[3].status == pc.phonecheck_pb2.NUMBER_STATUS_INVALID
    assert (summary.total, summary.invalid) == (4, 1)


def test_a_deadline_ends_a_slow_call(stub, sync_example):
    with pytest.raises(grpc.RpcError) as raised:
        sync_example.check(stub, ["19900000004"], timeout=0.5)
    assert pc.error_details(raised.value).code == grpc.StatusCode.DEADLINE_EXCEEDED


def test_errors_carry_reason_retry_and_quota(stub, sync_example):
    with pytest.raises(grpc.RpcError) as raised:
        sync_example.check(stub, ["19900000429"])
    details = pc.error_details(raised.value)
    assert details.code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert (details.reason, details.domain) == ("UPSTREAM_RATE_LIMITED", "phonecheck")
    assert details.metadata["upstreamCode"] == "429"
    assert details.retry_delay is not None and details.retry_delay.total_seconds() > 0

    with pytest.raises(grpc.RpcError) as raised:
        sync_example.check(stub, ["19900000102"])
    details = pc.error_details(raised.value)
    assert details.reason == "UPSTREAM_QUOTA_EXHAUSTED"
    assert [v.subject for v in details.quota_violations] == ["upstream-account"]
    assert details.retry_delay is None


def test_bad_request_names_the_field(stub):
    with pytest.raises(grpc.RpcError) as raised:
        stub.Check(pc.CheckRequest(mobiles=[]), timeout=10)
    details = pc.error_details(raised.value)
    assert details.code == grpc.StatusCode.INVALID_ARGUMENT and details.reason == "NO_NUMBERS"
    assert [v.field for v in details.field_violations] == ["mobiles"]


def test_a_wrong_api_key_is_refused(target, api_key):
    if not api_key:
        pytest.skip("PHONECHECK_API_KEY names a key of a server started with --api-keys-file")
    stub = pc.connect(target, api_key=api_key + "-wrong")
    with pytest.raises(grpc.RpcError) as raised:
        stub.Check(pc.CheckRequest(mobiles=["13111111111"]), timeout=10)
    details = pc.error_details(raised.value)
    assert (details.code, details.reason) == (grpc.StatusCode.UNAUTHENTICATED, "API_KEY_INVALID")
    stub.channel.close()


def test_the_async_client_makes_the_same_calls(target, api_key, async_example):
    async def run():
        stub = pc.connect_async(target, api_key=api_key)
        response = await async_example.check(stub, ["13111111111"])
        streamed, _ = await async_example.check_stream(stub, ["13800138000", "13800138000"])
        bulk, _ = await async_example.check_bulk(stub, [["13700137000"], ["12345"]])
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await async_example.check(stub, ["19900000429"])
        await stub.channel.close()
        return response, streamed, bulk, pc.error_details(raised.value)

    response, streamed, bulk, details = asyncio.run(run())
    assert response.results[0].status == pc.phonecheck_pb2.NUMBER_STATUS_REAL
    assert [r.duplicate for r in streamed] == [False, True]
    assert [r.index for r in bulk] == [0, 1]
    assert details.reason == "UPSTREAM_RATE_LIMITED" and details.retry_delay is not None


def test_async_wrong_key_is_refused(target, api_key):
    if not api_key:
        pytest.skip("PHONECHECK_API_KEY names a key of a server started with --api-keys-file")

    async def run():
        stub = pc.connect_async(target, api_key=api_key + "-wrong")
        try:
            await stub.Check(pc.CheckRequest(mobiles=["13111111111"]), timeout=10)
        except grpc.aio.AioRpcError as error:
            return pc.error_details(error)
        finally:
            await stub.channel.close()

    details = asyncio.run(run())
    assert details is not None and details.reason == "API_KEY_INVALID"


def test_both_examples_run_to_the_end(target, sync_example, async_example, capsys):
    sync_example.main(target)
    asyncio.run(async_example.main(target))
    printed = capsys.readouterr().out
    assert printed.count("UPSTREAM_RATE_LIMITED, try again in 1.0 s") == 2, printed
    assert printed.count("DEADLINE_EXCEEDED") == 2, printed
