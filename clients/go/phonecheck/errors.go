package phonecheck

import (
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ErrorDetails is what a failed call's status says, read once so that callers branch on the
// reason (a stable UPPER_SNAKE name, listed in the service's docs/errors.md) rather than on
// message text.
type ErrorDetails struct {
	// Code is the gRPC status code; codes.Unknown for an error that is not a gRPC status.
	Code codes.Code
	// Message is the human-readable message; it may change between releases.
	Message string
	// Reason is the google.rpc.ErrorInfo reason, such as UPSTREAM_QUOTA_EXHAUSTED; empty when
	// the status carries no ErrorInfo (a status made by the client library, say).
	Reason string
	// Domain is ErrorInfo's domain: "phonecheck" for the service's own errors.
	Domain string
	// Metadata is ErrorInfo's metadata, such as upstreamCode; never nil.
	Metadata map[string]string
	// RetryDelay is how long RetryInfo asks the caller to wait before trying again; HasRetry
	// tells whether the status carried a RetryInfo at all (a zero delay means at once).
	RetryDelay time.Duration
	// HasRetry is true when the status carries a RetryInfo: the call may succeed later.
	HasRetry bool
	// QuotaViolations are QuotaFailure's entries (an upstream quota used up, for one).
	QuotaViolations []*errdetails.QuotaFailure_Violation
	// FieldViolations are BadRequest's entries: which request field was wrong and why.
	FieldViolations []*errdetails.BadRequest_FieldViolation
}

// Details reads err's gRPC status and its google.rpc details. A nil err gives Code OK.
func Details(err error) ErrorDetails {
	st, _ := status.FromError(err)
	details := ErrorDetails{Code: st.Code(), Message: st.Message(), Metadata: map[string]string{}}
	for _, detail := range st.Details() {
		switch d := detail.(type) {
		case *errdetails.ErrorInfo:
			details.Reason, details.Domain = d.GetReason(), d.GetDomain()
			for k, v := range d.GetMetadata() {
				details.Metadata[k] = v
			}
		case *errdetails.RetryInfo:
			details.HasRetry = true
			details.RetryDelay = d.GetRetryDelay().AsDuration()
		case *errdetails.QuotaFailure:
			details.QuotaViolations = append(details.QuotaViolations, d.GetViolations()...)
		case *errdetails.BadRequest:
			details.FieldViolations = append(details.FieldViolations, d.GetFieldViolations()...)
		}
	}
	return details
}
