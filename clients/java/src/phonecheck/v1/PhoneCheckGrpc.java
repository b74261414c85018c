package phonecheck.v1;

import static io.grpc.MethodDescriptor.generateFullMethodName;

/**
 * <pre>
 * PhoneCheck checks the line status of mainland China mobile numbers.
 * </pre>
 */
@javax.annotation.Generated(
    value = "by gRPC proto compiler",
    comments = "Source: phonecheck/v1/phonecheck.proto")
@io.grpc.stub.annotations.GrpcGenerated
public final class PhoneCheckGrpc {

  private PhoneCheckGrpc() {}

  public static final String SERVICE_NAME = "phonecheck.v1.PhoneCheck";

  // Static method descriptors that strictly reflect the proto.
  private static volatile io.grpc.MethodDescriptor<phonecheck.v1.CheckRequest,
      phonecheck.v1.CheckResponse> getCheckMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "Check",
      requestType = phonecheck.v1.CheckRequest.class,
      responseType = phonecheck.v1.CheckResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<phonecheck.v1.CheckRequest,
      phonecheck.v1.CheckResponse> getCheckMethod() {
    io.grpc.MethodDescriptor<phonecheck.v1.CheckRequest, phonecheck.v1.CheckResponse> getCheckMethod;
    if ((getCheckMethod = PhoneCheckGrpc.getCheckMethod) == null) {
      synchronized (PhoneCheckGrpc.class) {
        if ((getCheckMethod = PhoneCheckGrpc.getCheckMethod) == null) {
          PhoneCheckGrpc.getCheckMethod = getCheckMethod =
              io.grpc.MethodDescriptor.<phonecheck.v1.CheckRequest, phonecheck.v1.CheckResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "Check"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  phonecheck.v1.CheckRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  phonecheck.v1.CheckResponse.getDefaultInstance()))
              .setSchemaDescriptor(new PhoneCheckMethodDescriptorSupplier("Check"))
              .build();
        }
      }
    }
    return getCheckMethod;
  }

  private static volatile io.grpc.MethodDescriptor<phonecheck.v1.CheckStreamRequest,
      phonecheck.v1.CheckStreamResponse> getCheckStreamMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "CheckStream",
      requestType = phonecheck.v1.CheckStreamRequest.class,
      responseType = phonecheck.v1.CheckStreamResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
  public static io.grpc.MethodDescriptor<phonecheck.v1.CheckStreamRequest,
      phonecheck.v1.CheckStreamResponse> getCheckStreamMethod() {
    io.grpc.MethodDescriptor<phonecheck.v1.CheckStreamRequest, phonecheck.v1.CheckStreamResponse> getCheckStreamMethod;
    if ((getCheckStreamMethod = PhoneCheckGrpc.getCheckStreamMethod) == null) {
      synchronized (PhoneCheckGrpc.class) {
        if ((getCheckStreamMethod = PhoneCheckGrpc.getCheckStreamMethod) == null) {
          PhoneCheckGrpc.getCheckStreamMethod = getCheckStreamMethod =
              io.grpc.MethodDescriptor.<phonecheck.v1.CheckStreamRequest, phonecheck.v1.CheckStreamResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "CheckStream"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  phonecheck.v1.CheckStreamRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  phonecheck.v1.CheckStreamResponse.getDefaultInstance()))
              .setSchemaDescriptor(new PhoneCheckMethodDescriptorSupplier("CheckStream"))
              .build();
        }
      }
    }
    return getCheckStreamMethod;
  }

  private static volatile io.grpc.MethodDescriptor<phonecheck.v1.CheckBulkRequest,
      phonecheck.v1.CheckBulkResponse> getCheckBulkMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "CheckBulk",
      requestType = phonecheck.v1.CheckBulkRequest.class,
      responseType = phonecheck.v1.CheckBulkResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.BIDI_STREAMING)
  public static io.grpc.MethodDescriptor<phonecheck.v1.CheckBulkRequest,
      phonecheck.v1.CheckBulkResponse> getCheckBulkMethod() {
    io.grpc.MethodDescriptor<phonecheck.v1.CheckBulkRequest, phonecheck.v1.CheckBulkResponse> getCheckBulkMethod;
    if ((getCheckBulkMethod = PhoneCheckGrpc.getCheckBulkMethod) == null) {
      synchronized (PhoneCheckGrpc.class) {
        if ((getCheckBulkMethod = PhoneCheckGrpc.getCheckBulkMethod) == null) {
          PhoneCheckGrpc.getCheckBulkMethod = getCheckBulkMethod =
              io.grpc.MethodDescriptor.<phonecheck.v1.CheckBulkRequest, phonecheck.v1.CheckBulkResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.BIDI_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "CheckBulk"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  phonecheck.v1.CheckBulkRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  phonecheck.v1.CheckBulkResponse.getDefaultInstance()))
              .setSchemaDescriptor(new PhoneCheckMethodDescriptorSupplier("CheckBulk"))
              .build();
        }
      }
    }
    return getCheckBulkMethod;
  }

  /**
   * Creates a new async stub that supports all call types for the service
   */
  public static PhoneCheckStub newStub(io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<PhoneCheckStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<PhoneCheckStub>() {
        @java.lang.Override
        public PhoneCheckStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new PhoneCheckStub(channel, callOptions);
        }
      };
    return PhoneCheckStub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports unary and streaming output calls on the service
   */
  public static PhoneCheckBlockingStub newBlockingStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<PhoneCheckBlockingStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<PhoneCheckBlockingStub>() {
        @java.lang.Override
        public PhoneCheckBlockingStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new PhoneCheckBlockingStub(channel, callOptions);
        }
      };
    return PhoneCheckBlockingStub.newStub(factory, channel);
  }

  /**
   * Creates a new ListenableFuture-style stub that supports unary calls on the service
   */
  public static PhoneCheckFutureStub newFutureStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<PhoneCheckFutureStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<PhoneCheckFutureStub>() {
        @java.lang.Override
        public PhoneCheckFutureStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new PhoneCheckFutureStub(channel, callOptions);
        }
      };
    return PhoneCheckFutureStub.newStub(factory, channel);
  }

  /**
   * <pre>
   * PhoneCheck checks the line status of mainland China mobile numbers.
   * </pre>
   */
  public static abstract class PhoneCheckImplBase implements io.grpc.BindableService {

    /**
     * <pre>
     * Check answers a list of up to 10,000 inputs (the server's --max-check-numbers) in one
     * response: one result per input, in input order, plus a summary. If an upstream batch fails
     * after its retries, the whole call fails with that batch's status.
     * </pre>
     */
    public void check(phonecheck.v1.CheckRequest request,
        io.grpc.stub.StreamObserver<phonecheck.v1.CheckResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getCheckMethod(), responseObserver);
    }

    /**
     * <pre>
     * CheckStream answers a list of up to 1,000,000 inputs (the server's --max-stream-numbers)
     * as a stream: each message carries the results of one finished upstream batch as soon as it
     * finishes, so results arrive in completion order, each with its index. The last message
     * carries the summary. A batch that fails after its retries comes back as results carrying
     * that error and the stream goes on; an error that dooms every later batch (bad upstream
     * token, expired account, IP not allowed, quota used up) stops sending numbers upstream; the
     * batches already in flight are answered (they are paid for), then the stream ends with that
     * status. Inputs without a result were not checked and were not billed.
     * </pre>
     */
    public void checkStream(phonecheck.v1.CheckStreamRequest request,
        io.grpc.stub.StreamObserver<phonecheck.v1.CheckStreamResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getCheckStreamMethod(), responseObserver);
    }

    /**
     * <pre>
     * CheckBulk checks a list of any length: the client streams the inputs in chunks of up to
     * 10,000 (the server's --max-bulk-chunk) and reads results while it is still sending. Each
     * result's index is the input's position across all chunks. Results come in completion
     * order; after the client closes its side and every input is answered, the last message
     * carries the summary.
     * Flow control runs end to end. The server holds a bounded window of unanswered inputs
     * (enough to keep every upstream call busy) and reads the next chunk only when the window
     * has room: when the upstream is the bottleneck, or when the client reads results slowly,
     * the server stops reading input and HTTP/2 flow control holds the client's sends. So the
     * server's memory stays flat however long the stream.
     * A number repeated within the stream is billed once and answered as a duplicate while its
     * first answer is still pending or among the stream's recent answers (the last 50,000
     * distinct numbers answered); a repeat further back is checked again. Failure rules are those
     * of CheckStream: a failed batch comes back as results carrying the error; an error that
     * dooms every later batch stops the intake, answers the batches in flight, and ends the
     * stream with its status; inputs without a result were not checked and not billed. A chunk
     * over the limit ends the stream with INVALID_ARGUMENT (TOO_MANY_NUMBERS); a stream with no
     * inputs at all ends with INVALID_ARGUMENT (NO_NUMBERS).
     * </pre>
     */
    public io.grpc.stub.StreamObserver<phonecheck.v1.CheckBulkRequest> checkBulk(
        io.grpc.stub.StreamObserver<phonecheck.v1.CheckBulkResponse> responseObserver) {
      return io.grpc.stub.ServerCalls.asyncUnimplementedStreamingCall(getCheckBulkMethod(), responseObserver);
    }

    @java.lang.Override public final io.grpc.ServerServiceDefinition bindService() {
      return io.grpc.ServerServiceDefinition.builder(getServiceDescriptor())
          .addMethod(
            getCheckMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                phonecheck.v1.CheckRequest,
                phonecheck.v1.CheckResponse>(
                  this, METHODID_CHECK)))
          .addMethod(
            getCheckStreamMethod(),
            io.grpc.stub.ServerCalls.asyncServerStreamingCall(
              new MethodHandlers<
                phonecheck.v1.CheckStreamRequest,
                phonecheck.v1.CheckStreamResponse>(
                  this, METHODID_CHECK_STREAM)))
          .addMethod(
            getCheckBulkMethod(),
            io.grpc.stub.ServerCalls.asyncBidiStreamingCall(
              new MethodHandlers<
                phonecheck.v1.CheckBulkRequest,
                phonecheck.v1.CheckBulkResponse>(
                  this, METHODID_CHECK_BULK)))
          .build();
    }
  }

  /**
   * <pre>
   * PhoneCheck checks the line status of mainland China mobile numbers.
   * </pre>
   */
  public static final class PhoneCheckStub extends io.grpc.stub.AbstractAsyncStub<PhoneCheckStub> {
    private PhoneCheckStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected PhoneCheckStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new PhoneCheckStub(channel, callOptions);
    }

    /**
     * <pre>
     * Check answers a list of up to 10,000 inputs (the server's --max-check-numbers) in one
     * response: one result per input, in input order, plus a summary. If an upstream batch fails
     * after its retries, the whole call fails with that batch's status.
     * </pre>
     */
    public void check(phonecheck.v1.CheckRequest request,
        io.grpc.stub.StreamObserver<phonecheck.v1.CheckResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getCheckMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * CheckStream answers a list of up to 1,000,000 inputs (the server's --max-stream-numbers)
     * as a stream: each message carries the results of one finished upstream batch as soon as it
     * finishes, so results arrive in completion order, each with its index. The last message
     * carries the summary. A batch that fails after its retries comes back as results carrying
     * that error and the stream goes on; an error that dooms every later batch (bad upstream
     * token, expired account, IP not allowed, quota used up) stops sending numbers upstream; the
     * batches already in flight are answered (they are paid for), then the stream ends with that
     * status. Inputs without a result were not checked and were not billed.
     * </pre>
     */
    public void checkStream(phonecheck.v1.CheckStreamRequest request,
        io.grpc.stub.StreamObserver<phonecheck.v1.CheckStreamResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncServerStreamingCall(
          getChannel().newCall(getCheckStreamMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * CheckBulk checks a list of any length: the client streams the inputs in chunks of up to
     * 10,000 (the server's --max-bulk-chunk) and reads results while it is still sending. Each
     * result's index is the input's position across all chunks. Results come in completion
     * order; after the client closes its side and every input is answered, the last message
     * carries the summary.
     * Flow control runs end to end. The server holds a bounded window of unanswered inputs
     * (enough to keep every upstream call busy) and reads the next chunk only when the window
     * has room: when the upstream is the bottleneck, or when the client reads results slowly,
     * the server stops reading input and HTTP/2 flow control holds the client's sends. So the
     * server's memory stays flat however long the stream.
     * A number repeated within the stream is billed once and answered as a duplicate while its
     * first answer is still pending or among the stream's recent answers (the last 50,000
     * distinct numbers answered); a repeat further back is checked again. Failure rules are those
     * of CheckStream: a failed batch comes back as results carrying the error; an error that
     * dooms every later batch stops the intake, answers the batches in flight, and ends the
     * stream with its status; inputs without a result were not checked and not billed. A chunk
     * over the limit ends the stream with INVALID_ARGUMENT (TOO_MANY_NUMBERS); a stream with no
     * inputs at all ends with INVALID_ARGUMENT (NO_NUMBERS).
     * </pre>
     */
    public io.grpc.stub.StreamObserver<phonecheck.v1.CheckBulkRequest> checkBulk(
        io.grpc.stub.StreamObserver<phonecheck.v1.CheckBulkResponse> responseObserver) {
      return io.grpc.stub.ClientCalls.asyncBidiStreamingCall(
          getChannel().newCall(getCheckBulkMethod(), getCallOptions()), responseObserver);
    }
  }

  /**
   * <pre>
   * PhoneCheck checks the line status of mainland China mobile numbers.
   * </pre>
   */
  public static final class PhoneCheckBlockingStub extends io.grpc.stub.AbstractBlockingStub<PhoneCheckBlockingStub> {
    private PhoneCheckBlockingStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected PhoneCheckBlockingStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new PhoneCheckBlockingStub(channel, callOptions);
    }

    /**
     * <pre>
     * Check answers a list of up to 10,000 inputs (the server's --max-check-numbers) in one
     * response: one result per input, in input order, plus a summary. If an upstream batch fails
     * after its retries, the whole call fails with that batch's status.
     * </pre>
     */
    public phonecheck.v1.CheckResponse check(phonecheck.v1.CheckRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getCheckMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * CheckStream answers a list of up to 1,000,000 inputs (the server's --max-stream-numbers)
     * as a stream: each message carries the results of one finished upstream batch as soon as it
     * finishes, so results arrive in completion order, each with its index. The last message
     * carries the summary. A batch that fails after its retries comes back as results carrying
     * that error and the stream goes on; an error that dooms every later batch (bad upstream
     * token, expired account, IP not allowed, quota used up) stops sending numbers upstream; the
     * batches already in flight are answered (they are paid for), then the stream ends with that
     * status. Inputs without a result were not checked and were not billed.
     * </pre>
     */
    public java.util.Iterator<phonecheck.v1.CheckStreamResponse> checkStream(
        phonecheck.v1.CheckStreamRequest request) {
      return io.grpc.stub.ClientCalls.blockingServerStreamingCall(
          getChannel(), getCheckStreamMethod(), getCallOptions(), request);
    }
  }

  /**
   * <pre>
   * PhoneCheck checks the line status of mainland China mobile numbers.
   * </pre>
   */
  public static final class PhoneCheckFutureStub extends io.grpc.stub.AbstractFutureStub<PhoneCheckFutureStub> {
    private PhoneCheckFutureStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected PhoneCheckFutureStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new PhoneCheckFutureStub(channel, callOptions);
    }

    /**
     * <pre>
     * Check answers a list of up to 10,000 inputs (the server's --max-check-numbers) in one
     * response: one result per input, in input order, plus a summary. If an upstream batch fails
     * after its retries, the whole call fails with that batch's status.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<phonecheck.v1.CheckResponse> check(
        phonecheck.v1.CheckRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getCheckMethod(), getCallOptions()), request);
    }
  }

  private static final int METHODID_CHECK = 0;
  private static final int METHODID_CHECK_STREAM = 1;
  private static final int METHODID_CHECK_BULK = 2;

  private static final class MethodHandlers<Req, Resp> implements
      io.grpc.stub.ServerCalls.UnaryMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ServerStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ClientStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.BidiStreamingMethod<Req, Resp> {
    private final PhoneCheckImplBase serviceImpl;
    private final int methodId;

    MethodHandlers(PhoneCheckImplBase serviceImpl, int methodId) {
      this.serviceImpl = serviceImpl;
      this.methodId = methodId;
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public void invoke(Req request, io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        case METHODID_CHECK:
          serviceImpl.check((phonecheck.v1.CheckRequest) request,
              (io.grpc.stub.StreamObserver<phonecheck.v1.CheckResponse>) responseObserver);
          break;
        case METHODID_CHECK_STREAM:
          serviceImpl.checkStream((phonecheck.v1.CheckStreamRequest) request,
              (io.grpc.stub.StreamObserver<phonecheck.v1.CheckStreamResponse>) responseObserver);
          break;
        default:
          throw new AssertionError();
      }
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public io.grpc.stub.StreamObserver<Req> invoke(
        io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        case METHODID_CHECK_BULK:
          return (io.grpc.stub.StreamObserver<Req>) serviceImpl.checkBulk(
              (io.grpc.stub.StreamObserver<phonecheck.v1.CheckBulkResponse>) responseObserver);
        default:
          throw new AssertionError();
      }
    }
  }

  private static abstract class PhoneCheckBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoFileDescriptorSupplier, io.grpc.protobuf.ProtoServiceDescriptorSupplier {
    PhoneCheckBaseDescriptorSupplier() {}

    @java.lang.Override
    public com.google.protobuf.Descriptors.FileDescriptor getFileDescriptor() {
      return phonecheck.v1.PhoneCheckProto.getDescriptor();
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.ServiceDescriptor getServiceDescriptor() {
      return getFileDescriptor().findServiceByName("PhoneCheck");
    }
  }

  private static final class PhoneCheckFileDescriptorSupplier
      extends PhoneCheckBaseDescriptorSupplier {
    PhoneCheckFileDescriptorSupplier() {}
  }

  private static final class PhoneCheckMethodDescriptorSupplier
      extends PhoneCheckBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoMethodDescriptorSupplier {
    private final String methodName;

    PhoneCheckMethodDescriptorSupplier(String methodName) {
      this.methodName = methodName;
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.MethodDescriptor getMethodDescriptor() {
      return getServiceDescriptor().findMethodByName(methodName);
    }
  }

  private static volatile io.grpc.ServiceDescriptor serviceDescriptor;

  public static io.grpc.ServiceDescriptor getServiceDescriptor() {
    io.grpc.ServiceDescriptor result = serviceDescriptor;
    if (result == null) {
      synchronized (PhoneCheckGrpc.class) {
        result = serviceDescriptor;
        if (result == null) {
          serviceDescriptor = result = io.grpc.ServiceDescriptor.newBuilder(SERVICE_NAME)
              .setSchemaDescriptor(new PhoneCheckFileDescriptorSupplier())
              .addMethod(getCheckMethod())
              .addMethod(getCheckStreamMethod())
              .addMethod(getCheckBulkMethod())
              .build();
        }
      }
    }
    return result;
  }
}
