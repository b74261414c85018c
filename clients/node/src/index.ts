// phonecheck-client: the generated phonecheck.v1 API (ts-proto messages, an @grpc/grpc-js
// client), `connect` with an API key, and `errorDetails` for a failed call's google.rpc details.
export * from "./gen/phonecheck/v1/phonecheck";
export {
  BadRequest,
  BadRequest_FieldViolation,
  ErrorInfo,
  QuotaFailure,
  QuotaFailure_Violation,
  RetryInfo,
} from "./gen/google/rpc/error_details";
export { connect, ConnectOptions, DEFAULT_TARGET } from "./channel";
export { ErrorDetails, errorDetails } from "./errors";
export { VERSION } from "./version";
