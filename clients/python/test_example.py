"""The Python example as a test against a running `phonecheck serve --demo`.

    PHONECHECK_TARGET=127.0.0.1:50051 python -m unittest clients/python/test_example.py
"""
import os
import unittest

import grpc

import example
from phonecheck.v1 import phonecheck_pb2

TARGET = os.environ.get("PHONECHECK_TARGET", "127.0.0.1:50051")


class ExampleAgainstTheDemoServer(unittest.TestCase):
    def setUp(self):
        self.stub = example.connect(TARGET)

    def test_check_answers_every_input_in_order(self):
        results, summary = example.check(self.stub, ["+86 131-1111-1111", "12345"])
        self.assertEqual([r.index for r in results], [0, 1])
        self.assertEqual(results[0].status, phonecheck_pb2.NUMBER_STATUS_REAL)
        self.assertEqual((results[0].mobile, results[0].area, results[0].carrier),
                         ("13111111111", "山西-临汾", "中国联通"))
        self.assertEqual(results[1].status, phonecheck_pb2.NUMBER_STATUS_INVALID)
        self.assertIn("11 digits", results[1].invalid_reason)
        self.assertEqual((summary.total, summary.invalid), (2, 1))

    def test_stream_results_come_back_for_every_input(self):
        results, summary = example.check_stream(self.stub, ["13800138000", "13900139000", "13800138000"])
        self.assertEqual([r.index for r in results], [0, 1, 2])
        self.assertTrue(results[2].duplicate)
        self.assertEqual(summary.duplicates, 1)

    def test_errors_carry_their_reason(self):
        with self.assertRaises(grpc.RpcError) as raised:
            example.check(self.stub, ["14000000102"])
        code, reason = example.error_reason(raised.exception)
        self.assertEqual(code, grpc.StatusCode.RESOURCE_EXHAUSTED)
        self.assertEqual(reason, "UPSTREAM_QUOTA_EXHAUSTED")

    def test_options_reach_the_cache(self):
        example.check(self.stub, ["13700137000"])
        response = self.stub.Check(phonecheck_pb2.CheckRequest(mobiles=["13700137000"]))
        self.assertTrue(response.results[0].from_cache)
        fresh = self.stub.Check(phonecheck_pb2.CheckRequest(
            mobiles=["13700137000"], options=phonecheck_pb2.CheckOptions(skip_cache=True)))
        self.assertFalse(fresh.results[0].from_cache)


if __name__ == "__main__":
    unittest.main()
