// What a failed call's status carries, read once. Branch on `reason` (a stable UPPER_SNAKE name
// such as UPSTREAM_QUOTA_EXHAUSTED, listed in the service's docs/errors.md), not on the message.
import { ServiceError, status as Code } from "@grpc/grpc-js";

import {
  BadRequest,
  BadRequest_FieldViolation,
  ErrorInfo,
  QuotaFailure,
  QuotaFailure_Violation,
  RetryInfo,
} from "./gen/google/rpc/error_details";
import { Status } from "./gen/google/rpc/status";

/** A failed call's code, message and google.rpc details. */
export interface ErrorDetails {
  /** The gRPC status code. */
  code: Code;
  /** The human-readable message; it may change between releases. */
  message: string;
  /** ErrorInfo's reason; undefined when the status has no ErrorInfo (a client-side deadline). */
  reason?: string;
  /** ErrorInfo's domain: "phonecheck" for the service's own errors. */
  domain?: string;
  /** ErrorInfo's metadata, such as upstreamCode. */
  metadata: Record<string, string>;
  /** RetryInfo's delay in milliseconds; undefined when retrying will not help. */
  retryDelayMs?: number;
  /** QuotaFailure's entries, such as the upstream account's used-up quota. */
  quotaViolations: QuotaFailure_Violation[];
  /** BadRequest's entries: which request field was wrong, and why. */
  fieldViolations: BadRequest_FieldViolation[];
}

/** Reads a failed call's status and its `grpc-status-details-bin` details. */
export function errorDetails(error: ServiceError): ErrorDetails {
  const details: ErrorDetails = {
    code: error.code ?? Code.UNKNOWN,
    message: error.details ?? error.message,
    metadata: {},
    quotaViolations: [],
    fieldViolations: [],
  };
  const encoded = error.metadata?.get("grpc-status-details-bin")[0];
  if (!(encoded instanceof Buffer)) {
    return details;
  }
  for (const any of Status.decode(encoded).details) {
    const type = any.typeUrl.slice(any.typeUrl.lastIndexOf("/") + 1);
    if (type === "google.rpc.ErrorInfo") {
      const info = ErrorInfo.decode(any.value);
      details.reason = info.reason;
      details.domain = info.domain;
      details.metadata = { ...info.metadata };
    } else if (type === "google.rpc.RetryInfo") {
      const delay = RetryInfo.decode(any.value).retryDelay;
      details.retryDelayMs = delay ? delay.seconds * 1000 + delay.nanos / 1e6 : 0;
    } else if (type === "google.rpc.QuotaFailure") {
      details.quotaViolations.push(...QuotaFailure.decode(any.value).violations);
    } else if (type === "google.rpc.BadRequest") {
      details.fieldViolations.push(...BadRequest.decode(any.value).fieldViolations);
    }
  }
  return details;
}
