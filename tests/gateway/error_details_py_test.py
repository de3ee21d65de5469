#!/usr/bin/python3
"""A Python gRPC client (python3-grpcio) decodes the bridge's error details
with the google.rpc modules that @googleapis//:rpc_status_py generates: the
status code, message and ErrorInfo{reason, domain} that ErrorMapper sent.

Arguments: the path of error_server, then the files of
@googleapis//:rpc_status_py (google/rpc/*_pb2.py).
"""
import os
import subprocess
import sys
import unittest

import grpc

SERVER = os.path.abspath(sys.argv[1])
STATUS_PB2 = next(os.path.abspath(p) for p in sys.argv[2:]
                  if p.endswith("google/rpc/status_pb2.py"))
# .../google/rpc/status_pb2.py -> the folder that holds "google".
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(STATUS_PB2))))
from google.rpc import error_details_pb2  # noqa: E402
from google.rpc import status_pb2  # noqa: E402


def health_request(service):
    """HealthCheckRequest{service} on the wire (field 1, length-delimited)."""
    data = service.encode()
    assert len(data) < 128
    return b"\x0a" + bytes([len(data)]) + data


class ErrorDetailsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = subprocess.Popen([SERVER], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, text=True)
        port = int(cls.server.stdout.readline())
        cls.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        cls.check = cls.channel.unary_unary("/grpc.health.v1.Health/Check")

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.server.stdin.close()
        try:
            cls.server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            cls.server.kill()  # our own child, by its handle
            cls.server.wait()

    def call(self, service):
        with self.assertRaises(grpc.RpcError) as caught:
            self.check(health_request(service), timeout=10)
        error = caught.exception
        trailers = dict(error.trailing_metadata() or ())
        self.assertIn("grpc-status-details-bin", trailers)
        status = status_pb2.Status.FromString(trailers["grpc-status-details-bin"])
        self.assertEqual(len(status.details), 1)
        self.assertEqual(status.details[0].type_url,
                         "type.googleapis.com/google.rpc.ErrorInfo")
        info = error_details_pb2.ErrorInfo()
        self.assertTrue(status.details[0].Unpack(info))
        return error, status, info

    def test_oslo_failure(self):
        error, status, info = self.call("InstanceNotFound")
        self.assertEqual(error.code(), grpc.StatusCode.NOT_FOUND)
        self.assertEqual(error.details(), "Instance 42 could not be found.")
        self.assertEqual(status.code, grpc.StatusCode.NOT_FOUND.value[0])
        self.assertEqual(status.message, "Instance 42 could not be found.")
        self.assertEqual(info.reason, "InstanceNotFound")
        self.assertEqual(info.domain, "nova.exception")
        self.assertNotIn("Traceback", error.details())

    def test_override_and_default(self):
        error, _, info = self.call("ImageGone")
        self.assertEqual(error.code(), grpc.StatusCode.NOT_FOUND)
        self.assertEqual(info.reason, "ImageGone")
        error, _, _ = self.call("RuntimeError")
        self.assertEqual(error.code(), grpc.StatusCode.UNKNOWN)

    def test_bridge_error(self):
        error, status, info = self.call("")
        self.assertEqual(error.code(), grpc.StatusCode.UNAVAILABLE)
        self.assertEqual(status.code, grpc.StatusCode.UNAVAILABLE.value[0])
        self.assertEqual(info.reason, "UNAVAILABLE")
        self.assertEqual(info.domain, "grpc-amqp-bridge")


if __name__ == "__main__":
    result = unittest.main(argv=[sys.argv[0]], exit=False).result
    failed = len(result.failures) + len(result.errors)
    print(f"{result.testsRun - failed} passed, {failed} failed")
    sys.exit(1 if failed or not result.wasSuccessful() else 0)
