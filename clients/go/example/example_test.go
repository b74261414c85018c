package main

import (
	"context"
	"os"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/phonecheck/phonecheck/clients/go/phonecheck"
	phonecheckv1 "github.com/phonecheck/phonecheck/clients/go/phonecheck/v1"
)

// client connects to the server named by PHONECHECK_TARGET (a `phonecheck serve --demo`), with
// PHONECHECK_API_KEY when set; without a target the tests are skipped and say so.
func client(t *testing.T) phonecheckv1.PhoneCheckClient {
	t.Helper()
	target := os.Getenv("PHONECHECK_TARGET")
	if target == "" {
		t.Skip("PHONECHECK_TARGET is not set: start `phonecheck serve --demo` and set it to its HOST:PORT")
	}
	conn, err := phonecheck.Dial(target, phonecheck.WithAPIKey(os.Getenv("PHONECHECK_API_KEY")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return phonecheckv1.NewPhoneCheckClient(conn)
}

func TestCheckAnswersEveryInputInOrder(t *testing.T) {
	response, err := check(context.Background(), client(t), []string{"+86 131-1111-1111", "12345"})
	if err != nil {
		t.Fatal(err)
	}
	r := response.Results
	if len(r) != 2 || r[0].Index != 0 || r[1].Index != 1 {
		t.Fatalf("results not one per input in order: %v", r)
	}
	if r[0].Status != phonecheckv1.NumberStatus_NUMBER_STATUS_REAL || r[0].Mobile != "13111111111" || r[0].Area != "山西-临汾" || r[0].Carrier != "中国联通" {
		t.Errorf("13111111111: %v", r[0])
	}
	if r[1].Status != phonecheckv1.NumberStatus_NUMBER_STATUS_INVALID || r[1].InvalidReason == "" {
		t.Errorf("12345: %v", r[1])
	}
	if response.Summary.Total != 2 || response.Summary.Invalid != 1 {
		t.Errorf("summary: %v", response.Summary)
	}
}

func TestCheckStreamAnswersEveryInput(t *testing.T) {
	results, summary, err := checkStream(context.Background(), client(t), []string{"13800138000", "13900139000", "13800138000"})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 3 || results[2].Index != 2 || !results[2].Duplicate || summary.Duplicates != 1 {
		t.Fatalf("results %v, summary %v", results, summary)
	}
}

func TestCheckBulkAnswersEveryChunkElement(t *testing.T) {
	results, summary, err := checkBulk(context.Background(), client(t), [][]string{{"13700137000", "13600136000"}, {"13500135000", "12345"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 4 || results[3].Index != 3 || results[3].Input != "12345" || results[3].Status != phonecheckv1.NumberStatus_NUMBER_STATUS_INVALID {
		t.Fatalf("results %v", results)
	}
	if summary.Total != 4 || summary.Invalid != 1 {
		t.Errorf("summary %v", summary)
	}
}

func TestADeadlineEndsASlowCall(t *testing.T) {
	started := time.Now()
	_, err := checkWithin(context.Background(), client(t), []string{"19900000004"}, 500*time.Millisecond)
	if code := phonecheck.Details(err).Code; code != codes.DeadlineExceeded {
		t.Fatalf("code %s, error %v", code, err)
	}
	if elapsed := time.Since(started); elapsed > 30*time.Second {
		t.Errorf("the deadline was not kept: %s", elapsed)
	}
}

func TestErrorsCarryReasonRetryAndQuota(t *testing.T) {
	c := client(t)
	_, err := check(context.Background(), c, []string{"19900000429"})
	details := phonecheck.Details(err)
	if details.Code != codes.ResourceExhausted || details.Reason != "UPSTREAM_RATE_LIMITED" || details.Domain != "phonecheck" {
		t.Errorf("429: %+v", details)
	}
	if !details.HasRetry || details.RetryDelay <= 0 || details.Metadata["upstreamCode"] != "429" {
		t.Errorf("429 without RetryInfo or upstreamCode: %+v", details)
	}

	_, err = check(context.Background(), c, []string{"19900000102"})
	details = phonecheck.Details(err)
	if details.Reason != "UPSTREAM_QUOTA_EXHAUSTED" || len(details.QuotaViolations) != 1 || details.QuotaViolations[0].GetSubject() != "upstream-account" {
		t.Errorf("102: %+v", details)
	}
	if details.HasRetry {
		t.Errorf("a used-up quota is not worth retrying: %+v", details)
	}
}

func TestAWrongAPIKeyIsRefused(t *testing.T) {
	target, key := os.Getenv("PHONECHECK_TARGET"), os.Getenv("PHONECHECK_API_KEY")
	if target == "" || key == "" {
		t.Skip("PHONECHECK_TARGET and PHONECHECK_API_KEY name a server started with --api-keys-file")
	}
	conn, err := phonecheck.Dial(target, phonecheck.WithAPIKey(key+"-wrong"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, err = check(context.Background(), phonecheckv1.NewPhoneCheckClient(conn), []string{"13111111111"})
	if details := phonecheck.Details(err); details.Code != codes.Unauthenticated || details.Reason != "API_KEY_INVALID" {
		t.Fatalf("%+v", details)
	}
}

func TestRunPrintsTheWholeTour(t *testing.T) {
	if err := run(context.Background(), client(t)); err != nil {
		t.Fatal(err)
	}
}
