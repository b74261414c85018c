"""The generated phonecheck.v1 API: messages (phonecheck_pb2) and stubs (phonecheck_pb2_grpc)."""
