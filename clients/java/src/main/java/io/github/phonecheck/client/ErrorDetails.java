package io.github.phonecheck.client;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import com.google.rpc.QuotaFailure;
import com.google.rpc.RetryInfo;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a failed call's status carries, read once. Branch on {@link #reason()} (a stable
 * UPPER_SNAKE name such as UPSTREAM_QUOTA_EXHAUSTED, listed in the service's docs/errors.md), not
 * on the message, which may change between releases.
 *
 * @param code the gRPC status code
 * @param message the human-readable message
 * @param reason ErrorInfo's reason; empty when the status has no ErrorInfo (a client-side
 *     deadline, say)
 * @param domain ErrorInfo's domain: "phonecheck" for the service's own errors
 * @param metadata ErrorInfo's metadata, such as upstreamCode
 * @param retryDelay RetryInfo's delay: wait this long before trying again; empty when retrying
 *     will not help
 * @param quotaViolations QuotaFailure's entries, such as the upstream account's used-up quota
 * @param fieldViolations BadRequest's entries: which request field was wrong, and why
 */
public record ErrorDetails(
    Status.Code code,
    String message,
    Optional<String> reason,
    Optional<String> domain,
    Map<String, String> metadata,
    Optional<Duration> retryDelay,
    List<QuotaFailure.Violation> quotaViolations,
    List<BadRequest.FieldViolation> fieldViolations) {

  /** Reads a failed call's exception ({@code StatusRuntimeException} or its checked twin). */
  public static ErrorDetails of(Throwable error) {
    Status status = Status.fromThrowable(error);
    String message = status.getDescription() == null ? "" : status.getDescription();
    com.google.rpc.Status rich = StatusProto.fromThrowable(error);
    Optional<String> reason = Optional.empty();
    Optional<String> domain = Optional.empty();
    Map<String, String> metadata = Map.of();
    Optional<Duration> retryDelay = Optional.empty();
    List<QuotaFailure.Violation> quota = new ArrayList<>();
    List<BadRequest.FieldViolation> fields = new ArrayList<>();
    for (Any detail : rich == null ? List.<Any>of() : rich.getDetailsList()) {
      try {
        if (detail.is(ErrorInfo.class)) {
          ErrorInfo info = detail.unpack(ErrorInfo.class);
          reason = Optional.of(info.getReason());
          domain = Optional.of(info.getDomain());
          metadata = Map.copyOf(info.getMetadataMap());
        } else if (detail.is(RetryInfo.class)) {
          com.google.protobuf.Duration delay = detail.unpack(RetryInfo.class).getRetryDelay();
          retryDelay = Optional.of(Duration.ofSeconds(delay.getSeconds(), delay.getNanos()));
        } else if (detail.is(QuotaFailure.class)) {
          quota.addAll(detail.unpack(QuotaFailure.class).getViolationsList());
        } else if (detail.is(BadRequest.class)) {
          fields.addAll(detail.unpack(BadRequest.class).getFieldViolationsList());
        }
      } catch (InvalidProtocolBufferException malformed) {
        // A detail that does not decode tells the caller nothing; the rest still do.
      }
    }
    return new ErrorDetails(
        status.getCode(),
        message,
        reason,
        domain,
        metadata,
        retryDelay,
        List.copyOf(quota),
        List.copyOf(fields));
  }
}
