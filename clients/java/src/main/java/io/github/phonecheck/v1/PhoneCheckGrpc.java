package io.github.phonecheck.v1;

import static io.grpc.MethodDescriptor.generateFullMethodName;

/**
 * <pre>
 * PhoneCheck checks the line status of mainland China mobile numbers.
 * Every method is also served as HTTP/JSON on the server's --http-listen, at the path its
 * google.api.http option gives, in proto3's canonical JSON with these field names. Errors are a
 * google.rpc.Status with the HTTP status of the standard mapping. A server-streaming method
 * answers NDJSON (`application/x-ndjson`): a line `{"result": MESSAGE}` per message, and a last
 * line `{"error": google.rpc.Status}` if it fails after it started; with `Accept:
 * text/event-stream` it answers Server-Sent Events instead.
 * </pre>
 */
@io.grpc.stub.annotations.GrpcGenerated
public final class PhoneCheckGrpc {

  private PhoneCheckGrpc() {}

  public static final java.lang.String SERVICE_NAME = "phonecheck.v1.PhoneCheck";

  // Static method descriptors that strictly reflect the proto.
  private static volatile io.grpc.MethodDescriptor<io.github.phonecheck.v1.CheckRequest,
      io.github.phonecheck.v1.CheckResponse> getCheckMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "Check",
      requestType = io.github.phonecheck.v1.CheckRequest.class,
      responseType = io.github.phonecheck.v1.CheckResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<io.github.phonecheck.v1.CheckRequest,
      io.github.phonecheck.v1.CheckResponse> getCheckMethod() {
    io.grpc.MethodDescriptor<io.github.phonecheck.v1.CheckRequest, io.github.phonecheck.v1.CheckResponse> getCheckMethod;
    if ((getCheckMethod = PhoneCheckGrpc.getCheckMethod) == null) {
      synchronized (PhoneCheckGrpc.class) {
        if ((getCheckMethod = PhoneCheckGrpc.getCheckMethod) == null) {
          PhoneCheckGrpc.getCheckMethod = getCheckMethod =
              io.grpc.MethodDescriptor.<io.github.phonecheck.v1.CheckRequest, io.github.phonecheck.v1.CheckResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "Check"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.phonecheck.v1.CheckRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.phonecheck.v1.CheckResponse.getDefaultInstance()))
              .setSchemaDescriptor(new PhoneCheckMethodDescriptorSupplier("Check"))
              .build();
        }
      }
    }
    return getCheckMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.github.phonecheck.v1.CheckStreamRequest,
      io.github.phonecheck.v1.CheckStreamResponse> getCheckStreamMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "CheckStream",
      requestType = io.github.phonecheck.v1.CheckStreamRequest.class,
      responseType = io.github.phonecheck.v1.CheckStreamResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
  public static io.grpc.MethodDescriptor<io.github.phonecheck.v1.CheckStreamRequest,
      io.github.phonecheck.v1.CheckStreamResponse> getCheckStreamMethod() {
    io.grpc.MethodDescriptor<io.github.phonecheck.v1.CheckStreamRequest, io.github.phonecheck.v1.CheckStreamResponse> getCheckStreamMethod;
    if ((getCheckStreamMethod = PhoneCheckGrpc.getCheckStreamMethod) == null) {
      synchronized (PhoneCheckGrpc.class) {
        if ((getCheckStreamMethod = PhoneCheckGrpc.getCheckStreamMethod) == null) {
          PhoneCheckGrpc.getCheckStreamMethod = getCheckStreamMethod =
              io.grpc.MethodDescriptor.<io.github.phonecheck.v1.CheckStreamRequest, io.github.phonecheck.v1.CheckStreamResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "CheckStream"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.phonecheck.v1.CheckStreamRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.phonecheck.v1.CheckStreamResponse.getDefaultInstance()))
              .setSchemaDescriptor(new PhoneCheckMethodDescriptorSupplier("CheckStream"))
              .build();
        }
      }
    }
    return getCheckStreamMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.github.phonecheck.v1.CheckBulkRequest,
      io.github.phonecheck.v1.CheckBulkResponse> getCheckBulkMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "CheckBulk",
      requestType = io.github.phonecheck.v1.CheckBulkRequest.class,
      responseType = io.github.phonecheck.v1.CheckBulkResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.BIDI_STREAMING)
  public static io.grpc.MethodDescriptor<io.github.phonecheck.v1.CheckBulkRequest,
      io.github.phonecheck.v1.CheckBulkResponse> getCheckBulkMethod() {
    io.grpc.MethodDescriptor<io.github.phonecheck.v1.CheckBulkRequest, io.github.phonecheck.v1.CheckBulkResponse> getCheckBulkMethod;
    if ((getCheckBulkMethod = PhoneCheckGrpc.getCheckBulkMethod) == null) {
      synchronized (PhoneCheckGrpc.class) {
        if ((getCheckBulkMethod = PhoneCheckGrpc.getCheckBulkMethod) == null) {
          PhoneCheckGrpc.getCheckBulkMethod = getCheckBulkMethod =
              io.grpc.MethodDescriptor.<io.github.phonecheck.v1.CheckBulkRequest, io.github.phonecheck.v1.CheckBulkResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.BIDI_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "CheckBulk"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.phonecheck.v1.CheckBulkRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.phonecheck.v1.CheckBulkResponse.getDefaultInstance()))
              .setSchemaDescriptor(new PhoneCheckMethodDescriptorSupplier("CheckBulk"))
              .build();
        }
      }
    }
    return getCheckBulkMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.github.phonecheck.v1.CreateJobRequest,
      io.github.phonecheck.v1.Job> getCreateJobMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "CreateJob",
      requestType = io.github.phonecheck.v1.CreateJobRequest.class,
      responseType = io.github.phonecheck.v1.Job.class,
      methodType = io.grpc.MethodDescriptor.MethodType.CLIENT_STREAMING)
  public static io.grpc.MethodDescriptor<io.github.phonecheck.v1.CreateJobRequest,
      io.github.phonecheck.v1.Job> getCreateJobMethod() {
    io.grpc.MethodDescriptor<io.github.phonecheck.v1.CreateJobRequest, io.github.phonecheck.v1.Job> getCreateJobMethod;
    if ((getCreateJobMethod = PhoneCheckGrpc.getCreateJobMethod) == null) {
      synchronized (PhoneCheckGrpc.class) {
        if ((getCreateJobMethod = PhoneCheckGrpc.getCreateJobMethod) == null) {
          PhoneCheckGrpc.getCreateJobMethod = getCreateJobMethod =
              io.grpc.MethodDescriptor.<io.github.phonecheck.v1.CreateJobRequest, io.github.phonecheck.v1.Job>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.CLIENT_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "CreateJob"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.phonecheck.v1.CreateJobRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.phonecheck.v1.Job.getDefaultInstance()))
              .setSchemaDescriptor(new PhoneCheckMethodDescriptorSupplier("CreateJob"))
              .build();
        }
      }
    }
    return getCreateJobMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.github.phonecheck.v1.GetJobRequest,
      io.github.phonecheck.v1.Job> getGetJobMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "GetJob",
      requestType = io.github.phonecheck.v1.GetJobRequest.class,
      responseType = io.github.phonecheck.v1.Job.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<io.github.phonecheck.v1.GetJobRequest,
      io.github.phonecheck.v1.Job> getGetJobMethod() {
    io.grpc.MethodDescriptor<io.github.phonecheck.v1.GetJobRequest, io.github.phonecheck.v1.Job> getGetJobMethod;
    if ((getGetJobMethod = PhoneCheckGrpc.getGetJobMethod) == null) {
      synchronized (PhoneCheckGrpc.class) {
        if ((getGetJobMethod = PhoneCheckGrpc.getGetJobMethod) == null) {
          PhoneCheckGrpc.getGetJobMethod = getGetJobMethod =
              io.grpc.MethodDescriptor.<io.github.phonecheck.v1.GetJobRequest, io.github.phonecheck.v1.Job>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "GetJob"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.phonecheck.v1.GetJobRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.phonecheck.v1.Job.getDefaultInstance()))
              .setSchemaDescriptor(new PhoneCheckMethodDescriptorSupplier("GetJob"))
              .build();
        }
      }
    }
    return getGetJobMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.github.phonecheck.v1.ListJobsRequest,
      io.github.phonecheck.v1.ListJobsResponse> getListJobsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListJobs",
      requestType = io.github.phonecheck.v1.ListJobsRequest.class,
      responseType = io.github.phonecheck.v1.ListJobsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<io.github.phonecheck.v1.ListJobsRequest,
      io.github.phonecheck.v1.ListJobsResponse> getListJobsMethod() {
    io.grpc.MethodDescriptor<io.github.phonecheck.v1.ListJobsRequest, io.github.phonecheck.v1.ListJobsResponse> getListJobsMethod;
    if ((getListJobsMethod = PhoneCheckGrpc.getListJobsMethod) == null) {
      synchronized (PhoneCheckGrpc.class) {
        if ((getListJobsMethod = PhoneCheckGrpc.getListJobsMethod) == null) {
          PhoneCheckGrpc.getListJobsMethod = getListJobsMethod =
              io.grpc.MethodDescriptor.<io.github.phonecheck.v1.ListJobsRequest, io.github.phonecheck.v1.ListJobsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListJobs"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.phonecheck.v1.ListJobsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.phonecheck.v1.ListJobsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new PhoneCheckMethodDescriptorSupplier("ListJobs"))
              .build();
        }
      }
    }
    return getListJobsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.github.phonecheck.v1.CancelJobRequest,
      io.github.phonecheck.v1.Job> getCancelJobMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "CancelJob",
      requestType = io.github.phonecheck.v1.CancelJobRequest.class,
      responseType = io.github.phonecheck.v1.Job.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<io.github.phonecheck.v1.CancelJobRequest,
      io.github.phonecheck.v1.Job> getCancelJobMethod() {
    io.grpc.MethodDescriptor<io.github.phonecheck.v1.CancelJobRequest, io.github.phonecheck.v1.Job> getCancelJobMethod;
    if ((getCancelJobMethod = PhoneCheckGrpc.getCancelJobMethod) == null) {
      synchronized (PhoneCheckGrpc.class) {
        if ((getCancelJobMethod = PhoneCheckGrpc.getCancelJobMethod) == null) {
          PhoneCheckGrpc.getCancelJobMethod = getCancelJobMethod =
              io.grpc.MethodDescriptor.<io.github.phonecheck.v1.CancelJobRequest, io.github.phonecheck.v1.Job>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "CancelJob"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.phonecheck.v1.CancelJobRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.phonecheck.v1.Job.getDefaultInstance()))
              .setSchemaDescriptor(new PhoneCheckMethodDescriptorSupplier("CancelJob"))
              .build();
        }
      }
    }
    return getCancelJobMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.github.phonecheck.v1.ResumeJobRequest,
      io.github.phonecheck.v1.Job> getResumeJobMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ResumeJob",
      requestType = io.github.phonecheck.v1.ResumeJobRequest.class,
      responseType = io.github.phonecheck.v1.Job.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<io.github.phonecheck.v1.ResumeJobRequest,
      io.github.phonecheck.v1.Job> getResumeJobMethod() {
    io.grpc.MethodDescriptor<io.github.phonecheck.v1.ResumeJobRequest, io.github.phonecheck.v1.Job> getResumeJobMethod;
    if ((getResumeJobMethod = PhoneCheckGrpc.getResumeJobMethod) == null) {
      synchronized (PhoneCheckGrpc.class) {
        if ((getResumeJobMethod = PhoneCheckGrpc.getResumeJobMethod) == null) {
          PhoneCheckGrpc.getResumeJobMethod = getResumeJobMethod =
              io.grpc.MethodDescriptor.<io.github.phonecheck.v1.ResumeJobRequest, io.github.phonecheck.v1.Job>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ResumeJob"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.phonecheck.v1.ResumeJobRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.phonecheck.v1.Job.getDefaultInstance()))
              .setSchemaDescriptor(new PhoneCheckMethodDescriptorSupplier("ResumeJob"))
              .build();
        }
      }
    }
    return getResumeJobMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.github.phonecheck.v1.DeleteJobRequest,
      io.github.phonecheck.v1.DeleteJobResponse> getDeleteJobMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "DeleteJob",
      requestType = io.github.phonecheck.v1.DeleteJobRequest.class,
      responseType = io.github.phonecheck.v1.DeleteJobResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<io.github.phonecheck.v1.DeleteJobRequest,
      io.github.phonecheck.v1.DeleteJobResponse> getDeleteJobMethod() {
    io.grpc.MethodDescriptor<io.github.phonecheck.v1.DeleteJobRequest, io.github.phonecheck.v1.DeleteJobResponse> getDeleteJobMethod;
    if ((getDeleteJobMethod = PhoneCheckGrpc.getDeleteJobMethod) == null) {
      synchronized (PhoneCheckGrpc.class) {
        if ((getDeleteJobMethod = PhoneCheckGrpc.getDeleteJobMethod) == null) {
          PhoneCheckGrpc.getDeleteJobMethod = getDeleteJobMethod =
              io.grpc.MethodDescriptor.<io.github.phonecheck.v1.DeleteJobRequest, io.github.phonecheck.v1.DeleteJobResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "DeleteJob"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.phonecheck.v1.DeleteJobRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.phonecheck.v1.DeleteJobResponse.getDefaultInstance()))
              .setSchemaDescriptor(new PhoneCheckMethodDescriptorSupplier("DeleteJob"))
              .build();
        }
      }
    }
    return getDeleteJobMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.github.phonecheck.v1.WatchJobRequest,
      io.github.phonecheck.v1.Job> getWatchJobMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "WatchJob",
      requestType = io.github.phonecheck.v1.WatchJobRequest.class,
      responseType = io.github.phonecheck.v1.Job.class,
      methodType = io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
  public static io.grpc.MethodDescriptor<io.github.phonecheck.v1.WatchJobRequest,
      io.github.phonecheck.v1.Job> getWatchJobMethod() {
    io.grpc.MethodDescriptor<io.github.phonecheck.v1.WatchJobRequest, io.github.phonecheck.v1.Job> getWatchJobMethod;
    if ((getWatchJobMethod = PhoneCheckGrpc.getWatchJobMethod) == null) {
      synchronized (PhoneCheckGrpc.class) {
        if ((getWatchJobMethod = PhoneCheckGrpc.getWatchJobMethod) == null) {
          PhoneCheckGrpc.getWatchJobMethod = getWatchJobMethod =
              io.grpc.MethodDescriptor.<io.github.phonecheck.v1.WatchJobRequest, io.github.phonecheck.v1.Job>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "WatchJob"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.phonecheck.v1.WatchJobRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.phonecheck.v1.Job.getDefaultInstance()))
              .setSchemaDescriptor(new PhoneCheckMethodDescriptorSupplier("WatchJob"))
              .build();
        }
      }
    }
    return getWatchJobMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.github.phonecheck.v1.GetJobResultsRequest,
      io.github.phonecheck.v1.GetJobResultsResponse> getGetJobResultsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "GetJobResults",
      requestType = io.github.phonecheck.v1.GetJobResultsRequest.class,
      responseType = io.github.phonecheck.v1.GetJobResultsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
  public static io.grpc.MethodDescriptor<io.github.phonecheck.v1.GetJobResultsRequest,
      io.github.phonecheck.v1.GetJobResultsResponse> getGetJobResultsMethod() {
    io.grpc.MethodDescriptor<io.github.phonecheck.v1.GetJobResultsRequest, io.github.phonecheck.v1.GetJobResultsResponse> getGetJobResultsMethod;
    if ((getGetJobResultsMethod = PhoneCheckGrpc.getGetJobResultsMethod) == null) {
      synchronized (PhoneCheckGrpc.class) {
        if ((getGetJobResultsMethod = PhoneCheckGrpc.getGetJobResultsMethod) == null) {
          PhoneCheckGrpc.getGetJobResultsMethod = getGetJobResultsMethod =
              io.grpc.MethodDescriptor.<io.github.phonecheck.v1.GetJobResultsRequest, io.github.phonecheck.v1.GetJobResultsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "GetJobResults"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.phonecheck.v1.GetJobResultsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.phonecheck.v1.GetJobResultsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new PhoneCheckMethodDescriptorSupplier("GetJobResults"))
              .build();
        }
      }
    }
    return getGetJobResultsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.github.phonecheck.v1.GetJobSummaryRequest,
      io.github.phonecheck.v1.JobSummary> getGetJobSummaryMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "GetJobSummary",
      requestType = io.github.phonecheck.v1.GetJobSummaryRequest.class,
      responseType = io.github.phonecheck.v1.JobSummary.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<io.github.phonecheck.v1.GetJobSummaryRequest,
      io.github.phonecheck.v1.JobSummary> getGetJobSummaryMethod() {
    io.grpc.MethodDescriptor<io.github.phonecheck.v1.GetJobSummaryRequest, io.github.phonecheck.v1.JobSummary> getGetJobSummaryMethod;
    if ((getGetJobSummaryMethod = PhoneCheckGrpc.getGetJobSummaryMethod) == null) {
      synchronized (PhoneCheckGrpc.class) {
        if ((getGetJobSummaryMethod = PhoneCheckGrpc.getGetJobSummaryMethod) == null) {
          PhoneCheckGrpc.getGetJobSummaryMethod = getGetJobSummaryMethod =
              io.grpc.MethodDescriptor.<io.github.phonecheck.v1.GetJobSummaryRequest, io.github.phonecheck.v1.JobSummary>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "GetJobSummary"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.phonecheck.v1.GetJobSummaryRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.phonecheck.v1.JobSummary.getDefaultInstance()))
              .setSchemaDescriptor(new PhoneCheckMethodDescriptorSupplier("GetJobSummary"))
              .build();
        }
      }
    }
    return getGetJobSummaryMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.github.phonecheck.v1.GetUsageRequest,
      io.github.phonecheck.v1.GetUsageResponse> getGetUsageMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "GetUsage",
      requestType = io.github.phonecheck.v1.GetUsageRequest.class,
      responseType = io.github.phonecheck.v1.GetUsageResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<io.github.phonecheck.v1.GetUsageRequest,
      io.github.phonecheck.v1.GetUsageResponse> getGetUsageMethod() {
    io.grpc.MethodDescriptor<io.github.phonecheck.v1.GetUsageRequest, io.github.phonecheck.v1.GetUsageResponse> getGetUsageMethod;
    if ((getGetUsageMethod = PhoneCheckGrpc.getGetUsageMethod) == null) {
      synchronized (PhoneCheckGrpc.class) {
        if ((getGetUsageMethod = PhoneCheckGrpc.getGetUsageMethod) == null) {
          PhoneCheckGrpc.getGetUsageMethod = getGetUsageMethod =
              io.grpc.MethodDescriptor.<io.github.phonecheck.v1.GetUsageRequest, io.github.phonecheck.v1.GetUsageResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "GetUsage"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.phonecheck.v1.GetUsageRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.phonecheck.v1.GetUsageResponse.getDefaultInstance()))
              .setSchemaDescriptor(new PhoneCheckMethodDescriptorSupplier("GetUsage"))
              .build();
        }
      }
    }
    return getGetUsageMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.github.phonecheck.v1.CreateUploadRequest,
      io.github.phonecheck.v1.Upload> getCreateUploadMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "CreateUpload",
      requestType = io.github.phonecheck.v1.CreateUploadRequest.class,
      responseType = io.github.phonecheck.v1.Upload.class,
      methodType = io.grpc.MethodDescriptor.MethodType.CLIENT_STREAMING)
  public static io.grpc.MethodDescriptor<io.github.phonecheck.v1.CreateUploadRequest,
      io.github.phonecheck.v1.Upload> getCreateUploadMethod() {
    io.grpc.MethodDescriptor<io.github.phonecheck.v1.CreateUploadRequest, io.github.phonecheck.v1.Upload> getCreateUploadMethod;
    if ((getCreateUploadMethod = PhoneCheckGrpc.getCreateUploadMethod) == null) {
      synchronized (PhoneCheckGrpc.class) {
        if ((getCreateUploadMethod = PhoneCheckGrpc.getCreateUploadMethod) == null) {
          PhoneCheckGrpc.getCreateUploadMethod = getCreateUploadMethod =
              io.grpc.MethodDescriptor.<io.github.phonecheck.v1.CreateUploadRequest, io.github.phonecheck.v1.Upload>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.CLIENT_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "CreateUpload"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.phonecheck.v1.CreateUploadRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.phonecheck.v1.Upload.getDefaultInstance()))
              .setSchemaDescriptor(new PhoneCheckMethodDescriptorSupplier("CreateUpload"))
              .build();
        }
      }
    }
    return getCreateUploadMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.github.phonecheck.v1.GetUploadRequest,
      io.github.phonecheck.v1.Upload> getGetUploadMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "GetUpload",
      requestType = io.github.phonecheck.v1.GetUploadRequest.class,
      responseType = io.github.phonecheck.v1.Upload.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<io.github.phonecheck.v1.GetUploadRequest,
      io.github.phonecheck.v1.Upload> getGetUploadMethod() {
    io.grpc.MethodDescriptor<io.github.phonecheck.v1.GetUploadRequest, io.github.phonecheck.v1.Upload> getGetUploadMethod;
    if ((getGetUploadMethod = PhoneCheckGrpc.getGetUploadMethod) == null) {
      synchronized (PhoneCheckGrpc.class) {
        if ((getGetUploadMethod = PhoneCheckGrpc.getGetUploadMethod) == null) {
          PhoneCheckGrpc.getGetUploadMethod = getGetUploadMethod =
              io.grpc.MethodDescriptor.<io.github.phonecheck.v1.GetUploadRequest, io.github.phonecheck.v1.Upload>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "GetUpload"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.phonecheck.v1.GetUploadRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.phonecheck.v1.Upload.getDefaultInstance()))
              .setSchemaDescriptor(new PhoneCheckMethodDescriptorSupplier("GetUpload"))
              .build();
        }
      }
    }
    return getGetUploadMethod;
  }

  private static volatile io.grpc.MethodDescriptor<io.github.phonecheck.v1.GetFileBuildRequest,
      io.github.phonecheck.v1.FileBuild> getGetFileBuildMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "GetFileBuild",
      requestType = io.github.phonecheck.v1.GetFileBuildRequest.class,
      responseType = io.github.phonecheck.v1.FileBuild.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<io.github.phonecheck.v1.GetFileBuildRequest,
      io.github.phonecheck.v1.FileBuild> getGetFileBuildMethod() {
    io.grpc.MethodDescriptor<io.github.phonecheck.v1.GetFileBuildRequest, io.github.phonecheck.v1.FileBuild> getGetFileBuildMethod;
    if ((getGetFileBuildMethod = PhoneCheckGrpc.getGetFileBuildMethod) == null) {
      synchronized (PhoneCheckGrpc.class) {
        if ((getGetFileBuildMethod = PhoneCheckGrpc.getGetFileBuildMethod) == null) {
          PhoneCheckGrpc.getGetFileBuildMethod = getGetFileBuildMethod =
              io.grpc.MethodDescriptor.<io.github.phonecheck.v1.GetFileBuildRequest, io.github.phonecheck.v1.FileBuild>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "GetFileBuild"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.phonecheck.v1.GetFileBuildRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  io.github.phonecheck.v1.FileBuild.getDefaultInstance()))
              .setSchemaDescriptor(new PhoneCheckMethodDescriptorSupplier("GetFileBuild"))
              .build();
        }
      }
    }
    return getGetFileBuildMethod;
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
   * Creates a new blocking-style stub that supports all types of calls on the service
   */
  public static PhoneCheckBlockingV2Stub newBlockingV2Stub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<PhoneCheckBlockingV2Stub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<PhoneCheckBlockingV2Stub>() {
        @java.lang.Override
        public PhoneCheckBlockingV2Stub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new PhoneCheckBlockingV2Stub(channel, callOptions);
        }
      };
    return PhoneCheckBlockingV2Stub.newStub(factory, channel);
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
   * Every method is also served as HTTP/JSON on the server's --http-listen, at the path its
   * google.api.http option gives, in proto3's canonical JSON with these field names. Errors are a
   * google.rpc.Status with the HTTP status of the standard mapping. A server-streaming method
   * answers NDJSON (`application/x-ndjson`): a line `{"result": MESSAGE}` per message, and a last
   * line `{"error": google.rpc.Status}` if it fails after it started; with `Accept:
   * text/event-stream` it answers Server-Sent Events instead.
   * </pre>
   */
  public interface AsyncService {

    /**
     * <pre>
     * Check answers a list of up to 10,000 inputs (the server's --max-check-numbers) in one
     * response: one result per input, in input order, plus a summary. If an upstream batch fails
     * after its retries, the whole call fails with that batch's status.
     * </pre>
     */
    default void check(io.github.phonecheck.v1.CheckRequest request,
        io.grpc.stub.StreamObserver<io.github.phonecheck.v1.CheckResponse> responseObserver) {
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
     * Over HTTP the answer is NDJSON: one line `{"result": CheckStreamResponse}` per message as each
     * batch finishes, and a last line `{"error": google.rpc.Status}` if the stream fails after it
     * started.
     * </pre>
     */
    default void checkStream(io.github.phonecheck.v1.CheckStreamRequest request,
        io.grpc.stub.StreamObserver<io.github.phonecheck.v1.CheckStreamResponse> responseObserver) {
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
     * Over HTTP the body is one or more CheckBulkRequest JSON objects, one after another (NDJSON); the
     * answer is NDJSON as for CheckStream.
     * </pre>
     */
    default io.grpc.stub.StreamObserver<io.github.phonecheck.v1.CheckBulkRequest> checkBulk(
        io.grpc.stub.StreamObserver<io.github.phonecheck.v1.CheckBulkResponse> responseObserver) {
      return io.grpc.stub.ServerCalls.asyncUnimplementedStreamingCall(getCheckBulkMethod(), responseObserver);
    }

    /**
     * <pre>
     * CreateJob stores a list on the server to be checked in the background: the client streams
     * the inputs in chunks of up to 10,000 (the server's --max-bulk-chunk), with the job's name
     * and options in the first message, and gets the job back once the whole list is written to
     * disk. Checking starts at once. Unlike CheckBulk, the client may then disconnect: the job
     * survives restarts of the server (it resumes where it stopped, never sending a number the
     * upstream already answered), and its results can be fetched as often as needed with
     * GetJobResults until the job is deleted or its retention passes (the server's
     * --job-retention, 7 days after it ends). Live Check, CheckStream and CheckBulk calls go
     * before jobs in the queue to the upstream, so a big job never starves them.
     * A stream with no inputs fails with INVALID_ARGUMENT (NO_NUMBERS).
     * Over HTTP the body is one or more CreateJobRequest JSON objects (a long `mobiles` list is split
     * into chunks by the server), or a multipart/form-data upload whose `file` part is a TXT, CSV, TSV
     * or Excel list read as `phonecheck check` reads one (the other parts are CreateJobRequest
     * fields named as in a query string, `read_options.column` saying how to read the file).
     * </pre>
     */
    default io.grpc.stub.StreamObserver<io.github.phonecheck.v1.CreateJobRequest> createJob(
        io.grpc.stub.StreamObserver<io.github.phonecheck.v1.Job> responseObserver) {
      return io.grpc.stub.ServerCalls.asyncUnimplementedStreamingCall(getCreateJobMethod(), responseObserver);
    }

    /**
     * <pre>
     * GetJob tells a job's state and progress. An unknown id is NOT_FOUND (JOB_NOT_FOUND). With
     * API keys, a job belongs to the name of the key that created it: every job call made with
     * a key of another name finds it NOT_FOUND, and ListJobs lists only the caller's own jobs.
     * </pre>
     */
    default void getJob(io.github.phonecheck.v1.GetJobRequest request,
        io.grpc.stub.StreamObserver<io.github.phonecheck.v1.Job> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGetJobMethod(), responseObserver);
    }

    /**
     * <pre>
     * ListJobs lists the jobs, newest first, a page at a time.
     * </pre>
     */
    default void listJobs(io.github.phonecheck.v1.ListJobsRequest request,
        io.grpc.stub.StreamObserver<io.github.phonecheck.v1.ListJobsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListJobsMethod(), responseObserver);
    }

    /**
     * <pre>
     * CancelJob stops a queued or running job: numbers not yet sent upstream are not sent (and
     * not billed); the results already stored stay readable. Cancelling a job that has ended
     * changes nothing and returns it as it is.
     * </pre>
     */
    default void cancelJob(io.github.phonecheck.v1.CancelJobRequest request,
        io.grpc.stub.StreamObserver<io.github.phonecheck.v1.Job> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getCancelJobMethod(), responseObserver);
    }

    /**
     * <pre>
     * ResumeJob continues a FAILED or CANCELLED job (for example once the upstream account's
     * quota is topped up), and retries the failed numbers of a SUCCEEDED one: the numbers
     * already answered are kept and not billed again; numbers that failed or were never sent
     * are checked. Resuming a job that is queued, running, or succeeded without failures
     * changes nothing.
     * </pre>
     */
    default void resumeJob(io.github.phonecheck.v1.ResumeJobRequest request,
        io.grpc.stub.StreamObserver<io.github.phonecheck.v1.Job> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getResumeJobMethod(), responseObserver);
    }

    /**
     * <pre>
     * DeleteJob removes a job and its inputs and results from the server's disk. A running job
     * is cancelled first.
     * </pre>
     */
    default void deleteJob(io.github.phonecheck.v1.DeleteJobRequest request,
        io.grpc.stub.StreamObserver<io.github.phonecheck.v1.DeleteJobResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getDeleteJobMethod(), responseObserver);
    }

    /**
     * <pre>
     * WatchJob streams the job's progress: the job as it is now, then again whenever it
     * changes (at most a few times a second), until it ends; the last message has its final
     * state. If the server stops first, the stream ends early with the job still running (it
     * resumes when the server starts again): watch again then.
     * Over HTTP the answer is NDJSON as for CheckStream, or, with `Accept: text/event-stream` (as a
     * browser's EventSource sends), Server-Sent Events: each Job a `message` event, a failure an
     * `error` event carrying a google.rpc.Status.
     * </pre>
     */
    default void watchJob(io.github.phonecheck.v1.WatchJobRequest request,
        io.grpc.stub.StreamObserver<io.github.phonecheck.v1.Job> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getWatchJobMethod(), responseObserver);
    }

    /**
     * <pre>
     * GetJobResults streams a job's results in input order, starting at from_index, so an
     * interrupted download resumes where it stopped. It streams the results stored so far:
     * for a job still queued or running, inputs not yet answered end the stream early (the
     * last index received + 1 is where to resume). For a job that had failed or was cancelled
     * when the call began, the stream goes on to the last input: each input never sent comes
     * with no status and an error whose ErrorInfo reason is NOT_CHECKED (ABORTED for a failed
     * job, CANCELLED for a cancelled one); ResumeJob checks them.
     * Over HTTP the answer is NDJSON as for CheckStream (or Server-Sent Events when asked for),
     * or, by `Accept`, a file with each row whole: CSV (`text/csv`), an Excel workbook
     * (`application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`), or one CSV per status
     * in a zip (`application/zip`).
     * </pre>
     */
    default void getJobResults(io.github.phonecheck.v1.GetJobResultsRequest request,
        io.grpc.stub.StreamObserver<io.github.phonecheck.v1.GetJobResultsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGetJobResultsMethod(), responseObserver);
    }

    /**
     * <pre>
     * GetJobSummary counts a job's answered inputs by province and by carrier, largest first:
     * what a chart of the list shows. It reads the counts the job keeps as its batches are
     * stored, never the results, so it answers at once whatever the job's size. An unknown id is
     * NOT_FOUND (JOB_NOT_FOUND).
     * </pre>
     */
    default void getJobSummary(io.github.phonecheck.v1.GetJobSummaryRequest request,
        io.grpc.stub.StreamObserver<io.github.phonecheck.v1.JobSummary> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGetJobSummaryMethod(), responseObserver);
    }

    /**
     * <pre>
     * GetUsage reads the usage ledger: what callers spent each day (numbers billed, cache hits,
     * invalid inputs, repeats, calls), days counted in the server's --usage-timezone and kept
     * for --usage-retention. A caller reads its own rows; a key named in --admin-keys may name
     * another caller, or "*" for every caller (else PERMISSION_DENIED, USAGE_NOT_YOURS).
     * Without API keys every caller may read every row. Replicas write what they gathered
     * every second; the replica answering writes its own first.
     * </pre>
     */
    default void getUsage(io.github.phonecheck.v1.GetUsageRequest request,
        io.grpc.stub.StreamObserver<io.github.phonecheck.v1.GetUsageResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGetUsageMethod(), responseObserver);
    }

    /**
     * <pre>
     * CreateUpload keeps a list file on this server for an hour, to look at before it becomes a
     * job: the client streams the file's bytes (a TXT, CSV or TSV list, gzipped or not, or an
     * Excel or OpenDocument workbook, up to the server's --max-upload) with its name in the first
     * message, and gets back how the server reads it: the format found, the sheets, the columns,
     * the number column and the first rows. A file without a number is INVALID_ARGUMENT
     * (NO_NUMBERS); one that cannot be read as a list, INVALID_ARGUMENT (LIST_UNREADABLE); one
     * past the limit, INVALID_ARGUMENT (UPLOAD_TOO_LARGE). CreateJobRequest.upload_id makes it a
     * job, and with CreateJobRequest.validate_only tells what that would bill. An upload belongs
     * to the caller's key name, is kept by the replica that took it, and is gone an hour after it
     * was made or once a job is made of it.
     * Over HTTP the body is a multipart/form-data upload whose `file` part is the list (`curl -F
     * file=&#64;list.xlsx`), or CreateUploadRequest JSON objects with the bytes in base64.
     * </pre>
     */
    default io.grpc.stub.StreamObserver<io.github.phonecheck.v1.CreateUploadRequest> createUpload(
        io.grpc.stub.StreamObserver<io.github.phonecheck.v1.Upload> responseObserver) {
      return io.grpc.stub.ServerCalls.asyncUnimplementedStreamingCall(getCreateUploadMethod(), responseObserver);
    }

    /**
     * <pre>
     * GetUpload reads an upload again as read_options say (another sheet, another number
     * column, the first row as data or as a header): the preview CreateUpload answered, read
     * that way. An id that is unknown, not the caller's, expired, made into a job or kept by
     * another replica is NOT_FOUND (UPLOAD_NOT_FOUND).
     * </pre>
     */
    default void getUpload(io.github.phonecheck.v1.GetUploadRequest request,
        io.grpc.stub.StreamObserver<io.github.phonecheck.v1.Upload> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGetUploadMethod(), responseObserver);
    }

    /**
     * <pre>
     * GetFileBuild tells how far a workbook or zip being built for an HTTP download has got.
     * Such a file (GET /v1/jobs/{id}/results with Accept asking for Excel or a zip) is written
     * whole before its first byte can leave, which for a million rows takes seconds; the client
     * names the download with a token of its own in the `Phonecheck-Build` header and asks here
     * meanwhile. Builds are counted by the replica building them, until a minute after they end:
     * any other token, or another caller's, is NOT_FOUND (BUILD_NOT_FOUND).
     * </pre>
     */
    default void getFileBuild(io.github.phonecheck.v1.GetFileBuildRequest request,
        io.grpc.stub.StreamObserver<io.github.phonecheck.v1.FileBuild> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGetFileBuildMethod(), responseObserver);
    }
  }

  /**
   * Base class for the server implementation of the service PhoneCheck.
   * <pre>
   * PhoneCheck checks the line status of mainland China mobile numbers.
   * Every method is also served as HTTP/JSON on the server's --http-listen, at the path its
   * google.api.http option gives, in proto3's canonical JSON with these field names. Errors are a
   * google.rpc.Status with the HTTP status of the standard mapping. A server-streaming method
   * answers NDJSON (`application/x-ndjson`): a line `{"result": MESSAGE}` per message, and a last
   * line `{"error": google.rpc.Status}` if it fails after it started; with `Accept:
   * text/event-stream` it answers Server-Sent Events instead.
   * </pre>
   */
  public static abstract class PhoneCheckImplBase
      implements io.grpc.BindableService, AsyncService {

    @java.lang.Override public final io.grpc.ServerServiceDefinition bindService() {
      return PhoneCheckGrpc.bindService(this);
    }
  }

  /**
   * A stub to allow clients to do asynchronous rpc calls to service PhoneCheck.
   * <pre>
   * PhoneCheck checks the line status of mainland China mobile numbers.
   * Every method is also served as HTTP/JSON on the server's --http-listen, at the path its
   * google.api.http option gives, in proto3's canonical JSON with these field names. Errors are a
   * google.rpc.Status with the HTTP status of the standard mapping. A server-streaming method
   * answers NDJSON (`application/x-ndjson`): a line `{"result": MESSAGE}` per message, and a last
   * line `{"error": google.rpc.Status}` if it fails after it started; with `Accept:
   * text/event-stream` it answers Server-Sent Events instead.
   * </pre>
   */
  public static final class PhoneCheckStub
      extends io.grpc.stub.AbstractAsyncStub<PhoneCheckStub> {
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
    public void check(io.github.phonecheck.v1.CheckRequest request,
        io.grpc.stub.StreamObserver<io.github.phonecheck.v1.CheckResponse> responseObserver) {
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
     * Over HTTP the answer is NDJSON: one line `{"result": CheckStreamResponse}` per message as each
     * batch finishes, and a last line `{"error": google.rpc.Status}` if the stream fails after it
     * started.
     * </pre>
     */
    public void checkStream(io.github.phonecheck.v1.CheckStreamRequest request,
        io.grpc.stub.StreamObserver<io.github.phonecheck.v1.CheckStreamResponse> responseObserver) {
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
     * Over HTTP the body is one or more CheckBulkRequest JSON objects, one after another (NDJSON); the
     * answer is NDJSON as for CheckStream.
     * </pre>
     */
    public io.grpc.stub.StreamObserver<io.github.phonecheck.v1.CheckBulkRequest> checkBulk(
        io.grpc.stub.StreamObserver<io.github.phonecheck.v1.CheckBulkResponse> responseObserver) {
      return io.grpc.stub.ClientCalls.asyncBidiStreamingCall(
          getChannel().newCall(getCheckBulkMethod(), getCallOptions()), responseObserver);
    }

    /**
     * <pre>
     * CreateJob stores a list on the server to be checked in the background: the client streams
     * the inputs in chunks of up to 10,000 (the server's --max-bulk-chunk), with the job's name
     * and options in the first message, and gets the job back once the whole list is written to
     * disk. Checking starts at once. Unlike CheckBulk, the client may then disconnect: the job
     * survives restarts of the server (it resumes where it stopped, never sending a number the
     * upstream already answered), and its results can be fetched as often as needed with
     * GetJobResults until the job is deleted or its retention passes (the server's
     * --job-retention, 7 days after it ends). Live Check, CheckStream and CheckBulk calls go
     * before jobs in the queue to the upstream, so a big job never starves them.
     * A stream with no inputs fails with INVALID_ARGUMENT (NO_NUMBERS).
     * Over HTTP the body is one or more CreateJobRequest JSON objects (a long `mobiles` list is split
     * into chunks by the server), or a multipart/form-data upload whose `file` part is a TXT, CSV, TSV
     * or Excel list read as `phonecheck check` reads one (the other parts are CreateJobRequest
     * fields named as in a query string, `read_options.column` saying how to read the file).
     * </pre>
     */
    public io.grpc.stub.StreamObserver<io.github.phonecheck.v1.CreateJobRequest> createJob(
        io.grpc.stub.StreamObserver<io.github.phonecheck.v1.Job> responseObserver) {
      return io.grpc.stub.ClientCalls.asyncClientStreamingCall(
          getChannel().newCall(getCreateJobMethod(), getCallOptions()), responseObserver);
    }

    /**
     * <pre>
     * GetJob tells a job's state and progress. An unknown id is NOT_FOUND (JOB_NOT_FOUND). With
     * API keys, a job belongs to the name of the key that created it: every job call made with
     * a key of another name finds it NOT_FOUND, and ListJobs lists only the caller's own jobs.
     * </pre>
     */
    public void getJob(io.github.phonecheck.v1.GetJobRequest request,
        io.grpc.stub.StreamObserver<io.github.phonecheck.v1.Job> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getGetJobMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * ListJobs lists the jobs, newest first, a page at a time.
     * </pre>
     */
    public void listJobs(io.github.phonecheck.v1.ListJobsRequest request,
        io.grpc.stub.StreamObserver<io.github.phonecheck.v1.ListJobsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListJobsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * CancelJob stops a queued or running job: numbers not yet sent upstream are not sent (and
     * not billed); the results already stored stay readable. Cancelling a job that has ended
     * changes nothing and returns it as it is.
     * </pre>
     */
    public void cancelJob(io.github.phonecheck.v1.CancelJobRequest request,
        io.grpc.stub.StreamObserver<io.github.phonecheck.v1.Job> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getCancelJobMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * ResumeJob continues a FAILED or CANCELLED job (for example once the upstream account's
     * quota is topped up), and retries the failed numbers of a SUCCEEDED one: the numbers
     * already answered are kept and not billed again; numbers that failed or were never sent
     * are checked. Resuming a job that is queued, running, or succeeded without failures
     * changes nothing.
     * </pre>
     */
    public void resumeJob(io.github.phonecheck.v1.ResumeJobRequest request,
        io.grpc.stub.StreamObserver<io.github.phonecheck.v1.Job> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getResumeJobMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * DeleteJob removes a job and its inputs and results from the server's disk. A running job
     * is cancelled first.
     * </pre>
     */
    public void deleteJob(io.github.phonecheck.v1.DeleteJobRequest request,
        io.grpc.stub.StreamObserver<io.github.phonecheck.v1.DeleteJobResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getDeleteJobMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * WatchJob streams the job's progress: the job as it is now, then again whenever it
     * changes (at most a few times a second), until it ends; the last message has its final
     * state. If the server stops first, the stream ends early with the job still running (it
     * resumes when the server starts again): watch again then.
     * Over HTTP the answer is NDJSON as for CheckStream, or, with `Accept: text/event-stream` (as a
     * browser's EventSource sends), Server-Sent Events: each Job a `message` event, a failure an
     * `error` event carrying a google.rpc.Status.
     * </pre>
     */
    public void watchJob(io.github.phonecheck.v1.WatchJobRequest request,
        io.grpc.stub.StreamObserver<io.github.phonecheck.v1.Job> responseObserver) {
      io.grpc.stub.ClientCalls.asyncServerStreamingCall(
          getChannel().newCall(getWatchJobMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * GetJobResults streams a job's results in input order, starting at from_index, so an
     * interrupted download resumes where it stopped. It streams the results stored so far:
     * for a job still queued or running, inputs not yet answered end the stream early (the
     * last index received + 1 is where to resume). For a job that had failed or was cancelled
     * when the call began, the stream goes on to the last input: each input never sent comes
     * with no status and an error whose ErrorInfo reason is NOT_CHECKED (ABORTED for a failed
     * job, CANCELLED for a cancelled one); ResumeJob checks them.
     * Over HTTP the answer is NDJSON as for CheckStream (or Server-Sent Events when asked for),
     * or, by `Accept`, a file with each row whole: CSV (`text/csv`), an Excel workbook
     * (`application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`), or one CSV per status
     * in a zip (`application/zip`).
     * </pre>
     */
    public void getJobResults(io.github.phonecheck.v1.GetJobResultsRequest request,
        io.grpc.stub.StreamObserver<io.github.phonecheck.v1.GetJobResultsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncServerStreamingCall(
          getChannel().newCall(getGetJobResultsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * GetJobSummary counts a job's answered inputs by province and by carrier, largest first:
     * what a chart of the list shows. It reads the counts the job keeps as its batches are
     * stored, never the results, so it answers at once whatever the job's size. An unknown id is
     * NOT_FOUND (JOB_NOT_FOUND).
     * </pre>
     */
    public void getJobSummary(io.github.phonecheck.v1.GetJobSummaryRequest request,
        io.grpc.stub.StreamObserver<io.github.phonecheck.v1.JobSummary> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getGetJobSummaryMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * GetUsage reads the usage ledger: what callers spent each day (numbers billed, cache hits,
     * invalid inputs, repeats, calls), days counted in the server's --usage-timezone and kept
     * for --usage-retention. A caller reads its own rows; a key named in --admin-keys may name
     * another caller, or "*" for every caller (else PERMISSION_DENIED, USAGE_NOT_YOURS).
     * Without API keys every caller may read every row. Replicas write what they gathered
     * every second; the replica answering writes its own first.
     * </pre>
     */
    public void getUsage(io.github.phonecheck.v1.GetUsageRequest request,
        io.grpc.stub.StreamObserver<io.github.phonecheck.v1.GetUsageResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getGetUsageMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * CreateUpload keeps a list file on this server for an hour, to look at before it becomes a
     * job: the client streams the file's bytes (a TXT, CSV or TSV list, gzipped or not, or an
     * Excel or OpenDocument workbook, up to the server's --max-upload) with its name in the first
     * message, and gets back how the server reads it: the format found, the sheets, the columns,
     * the number column and the first rows. A file without a number is INVALID_ARGUMENT
     * (NO_NUMBERS); one that cannot be read as a list, INVALID_ARGUMENT (LIST_UNREADABLE); one
     * past the limit, INVALID_ARGUMENT (UPLOAD_TOO_LARGE). CreateJobRequest.upload_id makes it a
     * job, and with CreateJobRequest.validate_only tells what that would bill. An upload belongs
     * to the caller's key name, is kept by the replica that took it, and is gone an hour after it
     * was made or once a job is made of it.
     * Over HTTP the body is a multipart/form-data upload whose `file` part is the list (`curl -F
     * file=&#64;list.xlsx`), or CreateUploadRequest JSON objects with the bytes in base64.
     * </pre>
     */
    public io.grpc.stub.StreamObserver<io.github.phonecheck.v1.CreateUploadRequest> createUpload(
        io.grpc.stub.StreamObserver<io.github.phonecheck.v1.Upload> responseObserver) {
      return io.grpc.stub.ClientCalls.asyncClientStreamingCall(
          getChannel().newCall(getCreateUploadMethod(), getCallOptions()), responseObserver);
    }

    /**
     * <pre>
     * GetUpload reads an upload again as read_options say (another sheet, another number
     * column, the first row as data or as a header): the preview CreateUpload answered, read
     * that way. An id that is unknown, not the caller's, expired, made into a job or kept by
     * another replica is NOT_FOUND (UPLOAD_NOT_FOUND).
     * </pre>
     */
    public void getUpload(io.github.phonecheck.v1.GetUploadRequest request,
        io.grpc.stub.StreamObserver<io.github.phonecheck.v1.Upload> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getGetUploadMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * GetFileBuild tells how far a workbook or zip being built for an HTTP download has got.
     * Such a file (GET /v1/jobs/{id}/results with Accept asking for Excel or a zip) is written
     * whole before its first byte can leave, which for a million rows takes seconds; the client
     * names the download with a token of its own in the `Phonecheck-Build` header and asks here
     * meanwhile. Builds are counted by the replica building them, until a minute after they end:
     * any other token, or another caller's, is NOT_FOUND (BUILD_NOT_FOUND).
     * </pre>
     */
    public void getFileBuild(io.github.phonecheck.v1.GetFileBuildRequest request,
        io.grpc.stub.StreamObserver<io.github.phonecheck.v1.FileBuild> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getGetFileBuildMethod(), getCallOptions()), request, responseObserver);
    }
  }

  /**
   * A stub to allow clients to do synchronous rpc calls to service PhoneCheck.
   * <pre>
   * PhoneCheck checks the line status of mainland China mobile numbers.
   * Every method is also served as HTTP/JSON on the server's --http-listen, at the path its
   * google.api.http option gives, in proto3's canonical JSON with these field names. Errors are a
   * google.rpc.Status with the HTTP status of the standard mapping. A server-streaming method
   * answers NDJSON (`application/x-ndjson`): a line `{"result": MESSAGE}` per message, and a last
   * line `{"error": google.rpc.Status}` if it fails after it started; with `Accept:
   * text/event-stream` it answers Server-Sent Events instead.
   * </pre>
   */
  public static final class PhoneCheckBlockingV2Stub
      extends io.grpc.stub.AbstractBlockingStub<PhoneCheckBlockingV2Stub> {
    private PhoneCheckBlockingV2Stub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected PhoneCheckBlockingV2Stub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new PhoneCheckBlockingV2Stub(channel, callOptions);
    }

    /**
     * <pre>
     * Check answers a list of up to 10,000 inputs (the server's --max-check-numbers) in one
     * response: one result per input, in input order, plus a summary. If an upstream batch fails
     * after its retries, the whole call fails with that batch's status.
     * </pre>
     */
    public io.github.phonecheck.v1.CheckResponse check(io.github.phonecheck.v1.CheckRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
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
     * Over HTTP the answer is NDJSON: one line `{"result": CheckStreamResponse}` per message as each
     * batch finishes, and a last line `{"error": google.rpc.Status}` if the stream fails after it
     * started.
     * </pre>
     */
    @io.grpc.ExperimentalApi("https://github.com/grpc/grpc-java/issues/10918")
    public io.grpc.stub.BlockingClientCall<?, io.github.phonecheck.v1.CheckStreamResponse>
        checkStream(io.github.phonecheck.v1.CheckStreamRequest request) {
      return io.grpc.stub.ClientCalls.blockingV2ServerStreamingCall(
          getChannel(), getCheckStreamMethod(), getCallOptions(), request);
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
     * Over HTTP the body is one or more CheckBulkRequest JSON objects, one after another (NDJSON); the
     * answer is NDJSON as for CheckStream.
     * </pre>
     */
    @io.grpc.ExperimentalApi("https://github.com/grpc/grpc-java/issues/10918")
    public io.grpc.stub.BlockingClientCall<io.github.phonecheck.v1.CheckBulkRequest, io.github.phonecheck.v1.CheckBulkResponse>
        checkBulk() {
      return io.grpc.stub.ClientCalls.blockingBidiStreamingCall(
          getChannel(), getCheckBulkMethod(), getCallOptions());
    }

    /**
     * <pre>
     * CreateJob stores a list on the server to be checked in the background: the client streams
     * the inputs in chunks of up to 10,000 (the server's --max-bulk-chunk), with the job's name
     * and options in the first message, and gets the job back once the whole list is written to
     * disk. Checking starts at once. Unlike CheckBulk, the client may then disconnect: the job
     * survives restarts of the server (it resumes where it stopped, never sending a number the
     * upstream already answered), and its results can be fetched as often as needed with
     * GetJobResults until the job is deleted or its retention passes (the server's
     * --job-retention, 7 days after it ends). Live Check, CheckStream and CheckBulk calls go
     * before jobs in the queue to the upstream, so a big job never starves them.
     * A stream with no inputs fails with INVALID_ARGUMENT (NO_NUMBERS).
     * Over HTTP the body is one or more CreateJobRequest JSON objects (a long `mobiles` list is split
     * into chunks by the server), or a multipart/form-data upload whose `file` part is a TXT, CSV, TSV
     * or Excel list read as `phonecheck check` reads one (the other parts are CreateJobRequest
     * fields named as in a query string, `read_options.column` saying how to read the file).
     * </pre>
     */
    @io.grpc.ExperimentalApi("https://github.com/grpc/grpc-java/issues/10918")
    public io.grpc.stub.BlockingClientCall<io.github.phonecheck.v1.CreateJobRequest, io.github.phonecheck.v1.Job>
        createJob() {
      return io.grpc.stub.ClientCalls.blockingClientStreamingCall(
          getChannel(), getCreateJobMethod(), getCallOptions());
    }

    /**
     * <pre>
     * GetJob tells a job's state and progress. An unknown id is NOT_FOUND (JOB_NOT_FOUND). With
     * API keys, a job belongs to the name of the key that created it: every job call made with
     * a key of another name finds it NOT_FOUND, and ListJobs lists only the caller's own jobs.
     * </pre>
     */
    public io.github.phonecheck.v1.Job getJob(io.github.phonecheck.v1.GetJobRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getGetJobMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListJobs lists the jobs, newest first, a page at a time.
     * </pre>
     */
    public io.github.phonecheck.v1.ListJobsResponse listJobs(io.github.phonecheck.v1.ListJobsRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getListJobsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * CancelJob stops a queued or running job: numbers not yet sent upstream are not sent (and
     * not billed); the results already stored stay readable. Cancelling a job that has ended
     * changes nothing and returns it as it is.
     * </pre>
     */
    public io.github.phonecheck.v1.Job cancelJob(io.github.phonecheck.v1.CancelJobRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getCancelJobMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ResumeJob continues a FAILED or CANCELLED job (for example once the upstream account's
     * quota is topped up), and retries the failed numbers of a SUCCEEDED one: the numbers
     * already answered are kept and not billed again; numbers that failed or were never sent
     * are checked. Resuming a job that is queued, running, or succeeded without failures
     * changes nothing.
     * </pre>
     */
    public io.github.phonecheck.v1.Job resumeJob(io.github.phonecheck.v1.ResumeJobRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getResumeJobMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * DeleteJob removes a job and its inputs and results from the server's disk. A running job
     * is cancelled first.
     * </pre>
     */
    public io.github.phonecheck.v1.DeleteJobResponse deleteJob(io.github.phonecheck.v1.DeleteJobRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getDeleteJobMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * WatchJob streams the job's progress: the job as it is now, then again whenever it
     * changes (at most a few times a second), until it ends; the last message has its final
     * state. If the server stops first, the stream ends early with the job still running (it
     * resumes when the server starts again): watch again then.
     * Over HTTP the answer is NDJSON as for CheckStream, or, with `Accept: text/event-stream` (as a
     * browser's EventSource sends), Server-Sent Events: each Job a `message` event, a failure an
     * `error` event carrying a google.rpc.Status.
     * </pre>
     */
    @io.grpc.ExperimentalApi("https://github.com/grpc/grpc-java/issues/10918")
    public io.grpc.stub.BlockingClientCall<?, io.github.phonecheck.v1.Job>
        watchJob(io.github.phonecheck.v1.WatchJobRequest request) {
      return io.grpc.stub.ClientCalls.blockingV2ServerStreamingCall(
          getChannel(), getWatchJobMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * GetJobResults streams a job's results in input order, starting at from_index, so an
     * interrupted download resumes where it stopped. It streams the results stored so far:
     * for a job still queued or running, inputs not yet answered end the stream early (the
     * last index received + 1 is where to resume). For a job that had failed or was cancelled
     * when the call began, the stream goes on to the last input: each input never sent comes
     * with no status and an error whose ErrorInfo reason is NOT_CHECKED (ABORTED for a failed
     * job, CANCELLED for a cancelled one); ResumeJob checks them.
     * Over HTTP the answer is NDJSON as for CheckStream (or Server-Sent Events when asked for),
     * or, by `Accept`, a file with each row whole: CSV (`text/csv`), an Excel workbook
     * (`application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`), or one CSV per status
     * in a zip (`application/zip`).
     * </pre>
     */
    @io.grpc.ExperimentalApi("https://github.com/grpc/grpc-java/issues/10918")
    public io.grpc.stub.BlockingClientCall<?, io.github.phonecheck.v1.GetJobResultsResponse>
        getJobResults(io.github.phonecheck.v1.GetJobResultsRequest request) {
      return io.grpc.stub.ClientCalls.blockingV2ServerStreamingCall(
          getChannel(), getGetJobResultsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * GetJobSummary counts a job's answered inputs by province and by carrier, largest first:
     * what a chart of the list shows. It reads the counts the job keeps as its batches are
     * stored, never the results, so it answers at once whatever the job's size. An unknown id is
     * NOT_FOUND (JOB_NOT_FOUND).
     * </pre>
     */
    public io.github.phonecheck.v1.JobSummary getJobSummary(io.github.phonecheck.v1.GetJobSummaryRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getGetJobSummaryMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * GetUsage reads the usage ledger: what callers spent each day (numbers billed, cache hits,
     * invalid inputs, repeats, calls), days counted in the server's --usage-timezone and kept
     * for --usage-retention. A caller reads its own rows; a key named in --admin-keys may name
     * another caller, or "*" for every caller (else PERMISSION_DENIED, USAGE_NOT_YOURS).
     * Without API keys every caller may read every row. Replicas write what they gathered
     * every second; the replica answering writes its own first.
     * </pre>
     */
    public io.github.phonecheck.v1.GetUsageResponse getUsage(io.github.phonecheck.v1.GetUsageRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getGetUsageMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * CreateUpload keeps a list file on this server for an hour, to look at before it becomes a
     * job: the client streams the file's bytes (a TXT, CSV or TSV list, gzipped or not, or an
     * Excel or OpenDocument workbook, up to the server's --max-upload) with its name in the first
     * message, and gets back how the server reads it: the format found, the sheets, the columns,
     * the number column and the first rows. A file without a number is INVALID_ARGUMENT
     * (NO_NUMBERS); one that cannot be read as a list, INVALID_ARGUMENT (LIST_UNREADABLE); one
     * past the limit, INVALID_ARGUMENT (UPLOAD_TOO_LARGE). CreateJobRequest.upload_id makes it a
     * job, and with CreateJobRequest.validate_only tells what that would bill. An upload belongs
     * to the caller's key name, is kept by the replica that took it, and is gone an hour after it
     * was made or once a job is made of it.
     * Over HTTP the body is a multipart/form-data upload whose `file` part is the list (`curl -F
     * file=&#64;list.xlsx`), or CreateUploadRequest JSON objects with the bytes in base64.
     * </pre>
     */
    @io.grpc.ExperimentalApi("https://github.com/grpc/grpc-java/issues/10918")
    public io.grpc.stub.BlockingClientCall<io.github.phonecheck.v1.CreateUploadRequest, io.github.phonecheck.v1.Upload>
        createUpload() {
      return io.grpc.stub.ClientCalls.blockingClientStreamingCall(
          getChannel(), getCreateUploadMethod(), getCallOptions());
    }

    /**
     * <pre>
     * GetUpload reads an upload again as read_options say (another sheet, another number
     * column, the first row as data or as a header): the preview CreateUpload answered, read
     * that way. An id that is unknown, not the caller's, expired, made into a job or kept by
     * another replica is NOT_FOUND (UPLOAD_NOT_FOUND).
     * </pre>
     */
    public io.github.phonecheck.v1.Upload getUpload(io.github.phonecheck.v1.GetUploadRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getGetUploadMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * GetFileBuild tells how far a workbook or zip being built for an HTTP download has got.
     * Such a file (GET /v1/jobs/{id}/results with Accept asking for Excel or a zip) is written
     * whole before its first byte can leave, which for a million rows takes seconds; the client
     * names the download with a token of its own in the `Phonecheck-Build` header and asks here
     * meanwhile. Builds are counted by the replica building them, until a minute after they end:
     * any other token, or another caller's, is NOT_FOUND (BUILD_NOT_FOUND).
     * </pre>
     */
    public io.github.phonecheck.v1.FileBuild getFileBuild(io.github.phonecheck.v1.GetFileBuildRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getGetFileBuildMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do limited synchronous rpc calls to service PhoneCheck.
   * <pre>
   * PhoneCheck checks the line status of mainland China mobile numbers.
   * Every method is also served as HTTP/JSON on the server's --http-listen, at the path its
   * google.api.http option gives, in proto3's canonical JSON with these field names. Errors are a
   * google.rpc.Status with the HTTP status of the standard mapping. A server-streaming method
   * answers NDJSON (`application/x-ndjson`): a line `{"result": MESSAGE}` per message, and a last
   * line `{"error": google.rpc.Status}` if it fails after it started; with `Accept:
   * text/event-stream` it answers Server-Sent Events instead.
   * </pre>
   */
  public static final class PhoneCheckBlockingStub
      extends io.grpc.stub.AbstractBlockingStub<PhoneCheckBlockingStub> {
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
    public io.github.phonecheck.v1.CheckResponse check(io.github.phonecheck.v1.CheckRequest request) {
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
     * Over HTTP the answer is NDJSON: one line `{"result": CheckStreamResponse}` per message as each
     * batch finishes, and a last line `{"error": google.rpc.Status}` if the stream fails after it
     * started.
     * </pre>
     */
    public java.util.Iterator<io.github.phonecheck.v1.CheckStreamResponse> checkStream(
        io.github.phonecheck.v1.CheckStreamRequest request) {
      return io.grpc.stub.ClientCalls.blockingServerStreamingCall(
          getChannel(), getCheckStreamMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * GetJob tells a job's state and progress. An unknown id is NOT_FOUND (JOB_NOT_FOUND). With
     * API keys, a job belongs to the name of the key that created it: every job call made with
     * a key of another name finds it NOT_FOUND, and ListJobs lists only the caller's own jobs.
     * </pre>
     */
    public io.github.phonecheck.v1.Job getJob(io.github.phonecheck.v1.GetJobRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getGetJobMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListJobs lists the jobs, newest first, a page at a time.
     * </pre>
     */
    public io.github.phonecheck.v1.ListJobsResponse listJobs(io.github.phonecheck.v1.ListJobsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListJobsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * CancelJob stops a queued or running job: numbers not yet sent upstream are not sent (and
     * not billed); the results already stored stay readable. Cancelling a job that has ended
     * changes nothing and returns it as it is.
     * </pre>
     */
    public io.github.phonecheck.v1.Job cancelJob(io.github.phonecheck.v1.CancelJobRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getCancelJobMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ResumeJob continues a FAILED or CANCELLED job (for example once the upstream account's
     * quota is topped up), and retries the failed numbers of a SUCCEEDED one: the numbers
     * already answered are kept and not billed again; numbers that failed or were never sent
     * are checked. Resuming a job that is queued, running, or succeeded without failures
     * changes nothing.
     * </pre>
     */
    public io.github.phonecheck.v1.Job resumeJob(io.github.phonecheck.v1.ResumeJobRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getResumeJobMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * DeleteJob removes a job and its inputs and results from the server's disk. A running job
     * is cancelled first.
     * </pre>
     */
    public io.github.phonecheck.v1.DeleteJobResponse deleteJob(io.github.phonecheck.v1.DeleteJobRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getDeleteJobMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * WatchJob streams the job's progress: the job as it is now, then again whenever it
     * changes (at most a few times a second), until it ends; the last message has its final
     * state. If the server stops first, the stream ends early with the job still running (it
     * resumes when the server starts again): watch again then.
     * Over HTTP the answer is NDJSON as for CheckStream, or, with `Accept: text/event-stream` (as a
     * browser's EventSource sends), Server-Sent Events: each Job a `message` event, a failure an
     * `error` event carrying a google.rpc.Status.
     * </pre>
     */
    public java.util.Iterator<io.github.phonecheck.v1.Job> watchJob(
        io.github.phonecheck.v1.WatchJobRequest request) {
      return io.grpc.stub.ClientCalls.blockingServerStreamingCall(
          getChannel(), getWatchJobMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * GetJobResults streams a job's results in input order, starting at from_index, so an
     * interrupted download resumes where it stopped. It streams the results stored so far:
     * for a job still queued or running, inputs not yet answered end the stream early (the
     * last index received + 1 is where to resume). For a job that had failed or was cancelled
     * when the call began, the stream goes on to the last input: each input never sent comes
     * with no status and an error whose ErrorInfo reason is NOT_CHECKED (ABORTED for a failed
     * job, CANCELLED for a cancelled one); ResumeJob checks them.
     * Over HTTP the answer is NDJSON as for CheckStream (or Server-Sent Events when asked for),
     * or, by `Accept`, a file with each row whole: CSV (`text/csv`), an Excel workbook
     * (`application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`), or one CSV per status
     * in a zip (`application/zip`).
     * </pre>
     */
    public java.util.Iterator<io.github.phonecheck.v1.GetJobResultsResponse> getJobResults(
        io.github.phonecheck.v1.GetJobResultsRequest request) {
      return io.grpc.stub.ClientCalls.blockingServerStreamingCall(
          getChannel(), getGetJobResultsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * GetJobSummary counts a job's answered inputs by province and by carrier, largest first:
     * what a chart of the list shows. It reads the counts the job keeps as its batches are
     * stored, never the results, so it answers at once whatever the job's size. An unknown id is
     * NOT_FOUND (JOB_NOT_FOUND).
     * </pre>
     */
    public io.github.phonecheck.v1.JobSummary getJobSummary(io.github.phonecheck.v1.GetJobSummaryRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getGetJobSummaryMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * GetUsage reads the usage ledger: what callers spent each day (numbers billed, cache hits,
     * invalid inputs, repeats, calls), days counted in the server's --usage-timezone and kept
     * for --usage-retention. A caller reads its own rows; a key named in --admin-keys may name
     * another caller, or "*" for every caller (else PERMISSION_DENIED, USAGE_NOT_YOURS).
     * Without API keys every caller may read every row. Replicas write what they gathered
     * every second; the replica answering writes its own first.
     * </pre>
     */
    public io.github.phonecheck.v1.GetUsageResponse getUsage(io.github.phonecheck.v1.GetUsageRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getGetUsageMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * GetUpload reads an upload again as read_options say (another sheet, another number
     * column, the first row as data or as a header): the preview CreateUpload answered, read
     * that way. An id that is unknown, not the caller's, expired, made into a job or kept by
     * another replica is NOT_FOUND (UPLOAD_NOT_FOUND).
     * </pre>
     */
    public io.github.phonecheck.v1.Upload getUpload(io.github.phonecheck.v1.GetUploadRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getGetUploadMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * GetFileBuild tells how far a workbook or zip being built for an HTTP download has got.
     * Such a file (GET /v1/jobs/{id}/results with Accept asking for Excel or a zip) is written
     * whole before its first byte can leave, which for a million rows takes seconds; the client
     * names the download with a token of its own in the `Phonecheck-Build` header and asks here
     * meanwhile. Builds are counted by the replica building them, until a minute after they end:
     * any other token, or another caller's, is NOT_FOUND (BUILD_NOT_FOUND).
     * </pre>
     */
    public io.github.phonecheck.v1.FileBuild getFileBuild(io.github.phonecheck.v1.GetFileBuildRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getGetFileBuildMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do ListenableFuture-style rpc calls to service PhoneCheck.
   * <pre>
   * PhoneCheck checks the line status of mainland China mobile numbers.
   * Every method is also served as HTTP/JSON on the server's --http-listen, at the path its
   * google.api.http option gives, in proto3's canonical JSON with these field names. Errors are a
   * google.rpc.Status with the HTTP status of the standard mapping. A server-streaming method
   * answers NDJSON (`application/x-ndjson`): a line `{"result": MESSAGE}` per message, and a last
   * line `{"error": google.rpc.Status}` if it fails after it started; with `Accept:
   * text/event-stream` it answers Server-Sent Events instead.
   * </pre>
   */
  public static final class PhoneCheckFutureStub
      extends io.grpc.stub.AbstractFutureStub<PhoneCheckFutureStub> {
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
    public com.google.common.util.concurrent.ListenableFuture<io.github.phonecheck.v1.CheckResponse> check(
        io.github.phonecheck.v1.CheckRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getCheckMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * GetJob tells a job's state and progress. An unknown id is NOT_FOUND (JOB_NOT_FOUND). With
     * API keys, a job belongs to the name of the key that created it: every job call made with
     * a key of another name finds it NOT_FOUND, and ListJobs lists only the caller's own jobs.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<io.github.phonecheck.v1.Job> getJob(
        io.github.phonecheck.v1.GetJobRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getGetJobMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * ListJobs lists the jobs, newest first, a page at a time.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<io.github.phonecheck.v1.ListJobsResponse> listJobs(
        io.github.phonecheck.v1.ListJobsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListJobsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * CancelJob stops a queued or running job: numbers not yet sent upstream are not sent (and
     * not billed); the results already stored stay readable. Cancelling a job that has ended
     * changes nothing and returns it as it is.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<io.github.phonecheck.v1.Job> cancelJob(
        io.github.phonecheck.v1.CancelJobRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getCancelJobMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * ResumeJob continues a FAILED or CANCELLED job (for example once the upstream account's
     * quota is topped up), and retries the failed numbers of a SUCCEEDED one: the numbers
     * already answered are kept and not billed again; numbers that failed or were never sent
     * are checked. Resuming a job that is queued, running, or succeeded without failures
     * changes nothing.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<io.github.phonecheck.v1.Job> resumeJob(
        io.github.phonecheck.v1.ResumeJobRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getResumeJobMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * DeleteJob removes a job and its inputs and results from the server's disk. A running job
     * is cancelled first.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<io.github.phonecheck.v1.DeleteJobResponse> deleteJob(
        io.github.phonecheck.v1.DeleteJobRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getDeleteJobMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * GetJobSummary counts a job's answered inputs by province and by carrier, largest first:
     * what a chart of the list shows. It reads the counts the job keeps as its batches are
     * stored, never the results, so it answers at once whatever the job's size. An unknown id is
     * NOT_FOUND (JOB_NOT_FOUND).
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<io.github.phonecheck.v1.JobSummary> getJobSummary(
        io.github.phonecheck.v1.GetJobSummaryRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getGetJobSummaryMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * GetUsage reads the usage ledger: what callers spent each day (numbers billed, cache hits,
     * invalid inputs, repeats, calls), days counted in the server's --usage-timezone and kept
     * for --usage-retention. A caller reads its own rows; a key named in --admin-keys may name
     * another caller, or "*" for every caller (else PERMISSION_DENIED, USAGE_NOT_YOURS).
     * Without API keys every caller may read every row. Replicas write what they gathered
     * every second; the replica answering writes its own first.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<io.github.phonecheck.v1.GetUsageResponse> getUsage(
        io.github.phonecheck.v1.GetUsageRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getGetUsageMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * GetUpload reads an upload again as read_options say (another sheet, another number
     * column, the first row as data or as a header): the preview CreateUpload answered, read
     * that way. An id that is unknown, not the caller's, expired, made into a job or kept by
     * another replica is NOT_FOUND (UPLOAD_NOT_FOUND).
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<io.github.phonecheck.v1.Upload> getUpload(
        io.github.phonecheck.v1.GetUploadRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getGetUploadMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * GetFileBuild tells how far a workbook or zip being built for an HTTP download has got.
     * Such a file (GET /v1/jobs/{id}/results with Accept asking for Excel or a zip) is written
     * whole before its first byte can leave, which for a million rows takes seconds; the client
     * names the download with a token of its own in the `Phonecheck-Build` header and asks here
     * meanwhile. Builds are counted by the replica building them, until a minute after they end:
     * any other token, or another caller's, is NOT_FOUND (BUILD_NOT_FOUND).
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<io.github.phonecheck.v1.FileBuild> getFileBuild(
        io.github.phonecheck.v1.GetFileBuildRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getGetFileBuildMethod(), getCallOptions()), request);
    }
  }

  private static final int METHODID_CHECK = 0;
  private static final int METHODID_CHECK_STREAM = 1;
  private static final int METHODID_GET_JOB = 2;
  private static final int METHODID_LIST_JOBS = 3;
  private static final int METHODID_CANCEL_JOB = 4;
  private static final int METHODID_RESUME_JOB = 5;
  private static final int METHODID_DELETE_JOB = 6;
  private static final int METHODID_WATCH_JOB = 7;
  private static final int METHODID_GET_JOB_RESULTS = 8;
  private static final int METHODID_GET_JOB_SUMMARY = 9;
  private static final int METHODID_GET_USAGE = 10;
  private static final int METHODID_GET_UPLOAD = 11;
  private static final int METHODID_GET_FILE_BUILD = 12;
  private static final int METHODID_CHECK_BULK = 13;
  private static final int METHODID_CREATE_JOB = 14;
  private static final int METHODID_CREATE_UPLOAD = 15;

  private static final class MethodHandlers<Req, Resp> implements
      io.grpc.stub.ServerCalls.UnaryMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ServerStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ClientStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.BidiStreamingMethod<Req, Resp> {
    private final AsyncService serviceImpl;
    private final int methodId;

    MethodHandlers(AsyncService serviceImpl, int methodId) {
      this.serviceImpl = serviceImpl;
      this.methodId = methodId;
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public void invoke(Req request, io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        case METHODID_CHECK:
          serviceImpl.check((io.github.phonecheck.v1.CheckRequest) request,
              (io.grpc.stub.StreamObserver<io.github.phonecheck.v1.CheckResponse>) responseObserver);
          break;
        case METHODID_CHECK_STREAM:
          serviceImpl.checkStream((io.github.phonecheck.v1.CheckStreamRequest) request,
              (io.grpc.stub.StreamObserver<io.github.phonecheck.v1.CheckStreamResponse>) responseObserver);
          break;
        case METHODID_GET_JOB:
          serviceImpl.getJob((io.github.phonecheck.v1.GetJobRequest) request,
              (io.grpc.stub.StreamObserver<io.github.phonecheck.v1.Job>) responseObserver);
          break;
        case METHODID_LIST_JOBS:
          serviceImpl.listJobs((io.github.phonecheck.v1.ListJobsRequest) request,
              (io.grpc.stub.StreamObserver<io.github.phonecheck.v1.ListJobsResponse>) responseObserver);
          break;
        case METHODID_CANCEL_JOB:
          serviceImpl.cancelJob((io.github.phonecheck.v1.CancelJobRequest) request,
              (io.grpc.stub.StreamObserver<io.github.phonecheck.v1.Job>) responseObserver);
          break;
        case METHODID_RESUME_JOB:
          serviceImpl.resumeJob((io.github.phonecheck.v1.ResumeJobRequest) request,
              (io.grpc.stub.StreamObserver<io.github.phonecheck.v1.Job>) responseObserver);
          break;
        case METHODID_DELETE_JOB:
          serviceImpl.deleteJob((io.github.phonecheck.v1.DeleteJobRequest) request,
              (io.grpc.stub.StreamObserver<io.github.phonecheck.v1.DeleteJobResponse>) responseObserver);
          break;
        case METHODID_WATCH_JOB:
          serviceImpl.watchJob((io.github.phonecheck.v1.WatchJobRequest) request,
              (io.grpc.stub.StreamObserver<io.github.phonecheck.v1.Job>) responseObserver);
          break;
        case METHODID_GET_JOB_RESULTS:
          serviceImpl.getJobResults((io.github.phonecheck.v1.GetJobResultsRequest) request,
              (io.grpc.stub.StreamObserver<io.github.phonecheck.v1.GetJobResultsResponse>) responseObserver);
          break;
        case METHODID_GET_JOB_SUMMARY:
          serviceImpl.getJobSummary((io.github.phonecheck.v1.GetJobSummaryRequest) request,
              (io.grpc.stub.StreamObserver<io.github.phonecheck.v1.JobSummary>) responseObserver);
          break;
        case METHODID_GET_USAGE:
          serviceImpl.getUsage((io.github.phonecheck.v1.GetUsageRequest) request,
              (io.grpc.stub.StreamObserver<io.github.phonecheck.v1.GetUsageResponse>) responseObserver);
          break;
        case METHODID_GET_UPLOAD:
          serviceImpl.getUpload((io.github.phonecheck.v1.GetUploadRequest) request,
              (io.grpc.stub.StreamObserver<io.github.phonecheck.v1.Upload>) responseObserver);
          break;
        case METHODID_GET_FILE_BUILD:
          serviceImpl.getFileBuild((io.github.phonecheck.v1.GetFileBuildRequest) request,
              (io.grpc.stub.StreamObserver<io.github.phonecheck.v1.FileBuild>) responseObserver);
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
              (io.grpc.stub.StreamObserver<io.github.phonecheck.v1.CheckBulkResponse>) responseObserver);
        case METHODID_CREATE_JOB:
          return (io.grpc.stub.StreamObserver<Req>) serviceImpl.createJob(
              (io.grpc.stub.StreamObserver<io.github.phonecheck.v1.Job>) responseObserver);
        case METHODID_CREATE_UPLOAD:
          return (io.grpc.stub.StreamObserver<Req>) serviceImpl.createUpload(
              (io.grpc.stub.StreamObserver<io.github.phonecheck.v1.Upload>) responseObserver);
        default:
          throw new AssertionError();
      }
    }
  }

  public static final io.grpc.ServerServiceDefinition bindService(AsyncService service) {
    return io.grpc.ServerServiceDefinition.builder(getServiceDescriptor())
        .addMethod(
          getCheckMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              io.github.phonecheck.v1.CheckRequest,
              io.github.phonecheck.v1.CheckResponse>(
                service, METHODID_CHECK)))
        .addMethod(
          getCheckStreamMethod(),
          io.grpc.stub.ServerCalls.asyncServerStreamingCall(
            new MethodHandlers<
              io.github.phonecheck.v1.CheckStreamRequest,
              io.github.phonecheck.v1.CheckStreamResponse>(
                service, METHODID_CHECK_STREAM)))
        .addMethod(
          getCheckBulkMethod(),
          io.grpc.stub.ServerCalls.asyncBidiStreamingCall(
            new MethodHandlers<
              io.github.phonecheck.v1.CheckBulkRequest,
              io.github.phonecheck.v1.CheckBulkResponse>(
                service, METHODID_CHECK_BULK)))
        .addMethod(
          getCreateJobMethod(),
          io.grpc.stub.ServerCalls.asyncClientStreamingCall(
            new MethodHandlers<
              io.github.phonecheck.v1.CreateJobRequest,
              io.github.phonecheck.v1.Job>(
                service, METHODID_CREATE_JOB)))
        .addMethod(
          getGetJobMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              io.github.phonecheck.v1.GetJobRequest,
              io.github.phonecheck.v1.Job>(
                service, METHODID_GET_JOB)))
        .addMethod(
          getListJobsMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              io.github.phonecheck.v1.ListJobsRequest,
              io.github.phonecheck.v1.ListJobsResponse>(
                service, METHODID_LIST_JOBS)))
        .addMethod(
          getCancelJobMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              io.github.phonecheck.v1.CancelJobRequest,
              io.github.phonecheck.v1.Job>(
                service, METHODID_CANCEL_JOB)))
        .addMethod(
          getResumeJobMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              io.github.phonecheck.v1.ResumeJobRequest,
              io.github.phonecheck.v1.Job>(
                service, METHODID_RESUME_JOB)))
        .addMethod(
          getDeleteJobMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              io.github.phonecheck.v1.DeleteJobRequest,
              io.github.phonecheck.v1.DeleteJobResponse>(
                service, METHODID_DELETE_JOB)))
        .addMethod(
          getWatchJobMethod(),
          io.grpc.stub.ServerCalls.asyncServerStreamingCall(
            new MethodHandlers<
              io.github.phonecheck.v1.WatchJobRequest,
              io.github.phonecheck.v1.Job>(
                service, METHODID_WATCH_JOB)))
        .addMethod(
          getGetJobResultsMethod(),
          io.grpc.stub.ServerCalls.asyncServerStreamingCall(
            new MethodHandlers<
              io.github.phonecheck.v1.GetJobResultsRequest,
              io.github.phonecheck.v1.GetJobResultsResponse>(
                service, METHODID_GET_JOB_RESULTS)))
        .addMethod(
          getGetJobSummaryMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              io.github.phonecheck.v1.GetJobSummaryRequest,
              io.github.phonecheck.v1.JobSummary>(
                service, METHODID_GET_JOB_SUMMARY)))
        .addMethod(
          getGetUsageMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              io.github.phonecheck.v1.GetUsageRequest,
              io.github.phonecheck.v1.GetUsageResponse>(
                service, METHODID_GET_USAGE)))
        .addMethod(
          getCreateUploadMethod(),
          io.grpc.stub.ServerCalls.asyncClientStreamingCall(
            new MethodHandlers<
              io.github.phonecheck.v1.CreateUploadRequest,
              io.github.phonecheck.v1.Upload>(
                service, METHODID_CREATE_UPLOAD)))
        .addMethod(
          getGetUploadMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              io.github.phonecheck.v1.GetUploadRequest,
              io.github.phonecheck.v1.Upload>(
                service, METHODID_GET_UPLOAD)))
        .addMethod(
          getGetFileBuildMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              io.github.phonecheck.v1.GetFileBuildRequest,
              io.github.phonecheck.v1.FileBuild>(
                service, METHODID_GET_FILE_BUILD)))
        .build();
  }

  private static abstract class PhoneCheckBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoFileDescriptorSupplier, io.grpc.protobuf.ProtoServiceDescriptorSupplier {
    PhoneCheckBaseDescriptorSupplier() {}

    @java.lang.Override
    public com.google.protobuf.Descriptors.FileDescriptor getFileDescriptor() {
      return io.github.phonecheck.v1.PhoneCheckProto.getDescriptor();
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
    private final java.lang.String methodName;

    PhoneCheckMethodDescriptorSupplier(java.lang.String methodName) {
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
              .addMethod(getCreateJobMethod())
              .addMethod(getGetJobMethod())
              .addMethod(getListJobsMethod())
              .addMethod(getCancelJobMethod())
              .addMethod(getResumeJobMethod())
              .addMethod(getDeleteJobMethod())
              .addMethod(getWatchJobMethod())
              .addMethod(getGetJobResultsMethod())
              .addMethod(getGetJobSummaryMethod())
              .addMethod(getGetUsageMethod())
              .addMethod(getCreateUploadMethod())
              .addMethod(getGetUploadMethod())
              .addMethod(getGetFileBuildMethod())
              .build();
        }
      }
    }
    return result;
  }
}
