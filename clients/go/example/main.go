// Command example calls a phonecheck server the way a Go backend would: Check, CheckStream,
// CheckBulk, a deadline, an API key, and errors read by their ErrorInfo reason and RetryInfo.
//
//	go run ./example [HOST:PORT]      # default 127.0.0.1:50051 (phonecheck serve --demo)
//
// PHONECHECK_API_KEY, when set, is sent with every call (a server with --api-keys-file).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"sort"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/phonecheck/phonecheck/clients/go/phonecheck"
	phonecheckv1 "github.com/phonecheck/phonecheck/clients/go/phonecheck/v1"
)

func main() {
	target := phonecheck.DefaultTarget
	if len(os.Args) > 1 {
		target = os.Args[1]
	}
	conn, err := phonecheck.Dial(target, phonecheck.WithAPIKey(os.Getenv("PHONECHECK_API_KEY")))
	if err != nil {
		log.Fatalf("connect to %s: %v", target, err)
	}
	defer conn.Close()
	if err := run(context.Background(), phonecheckv1.NewPhoneCheckClient(conn)); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, client phonecheckv1.PhoneCheckClient) error {
	response, err := check(ctx, client, []string{"+86 131-1111-1111", "12345"})
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	for _, r := range response.Results {
		fmt.Printf("%d %q: %s %s %s %s %s\n", r.Index, r.Input, r.Status, r.StatusName, r.Area, r.Carrier, r.InvalidReason)
	}
	fmt.Printf("billed %d, from cache %d, invalid %d\n", response.Summary.Billed, response.Summary.CacheHits, response.Summary.Invalid)

	streamed, summary, err := checkStream(ctx, client, []string{"13800138000", "13900139000", "13800138000"})
	if err != nil {
		return fmt.Errorf("check stream: %w", err)
	}
	fmt.Printf("stream: %d results, %d duplicate(s)\n", len(streamed), summary.Duplicates)

	bulk, summary, err := checkBulk(ctx, client, [][]string{{"13700137000", "13600136000"}, {"13500135000", "12345"}})
	if err != nil {
		return fmt.Errorf("check bulk: %w", err)
	}
	fmt.Printf("bulk: %d results, %d invalid\n", len(bulk), summary.Invalid)

	// A deadline: the demo upstream answers 19900000004 only after a minute.
	_, err = checkWithin(ctx, client, []string{"19900000004"}, 500*time.Millisecond)
	fmt.Printf("slow number with a 500ms deadline: %s\n", phonecheck.Details(err).Code)

	// Errors by reason: the demo upstream's "QPS exceeded" and "quota used up" numbers.
	for _, number := range []string{"19900000429", "19900000102"} {
		_, err := check(ctx, client, []string{number})
		details := phonecheck.Details(err)
		switch {
		case details.Code == codes.ResourceExhausted && details.Reason == "UPSTREAM_QUOTA_EXHAUSTED":
			fmt.Printf("%s: quota used up upstream (%s); top up the account\n", number, details.QuotaViolations[0].GetSubject())
		case details.HasRetry:
			fmt.Printf("%s: %s, try again in %s\n", number, details.Reason, details.RetryDelay)
		default:
			return fmt.Errorf("%s: %w", number, err)
		}
	}
	return nil
}

// check makes one Check call with a 10-second deadline: results in input order, and a summary.
func check(ctx context.Context, client phonecheckv1.PhoneCheckClient, mobiles []string) (*phonecheckv1.CheckResponse, error) {
	return checkWithin(ctx, client, mobiles, 10*time.Second)
}

func checkWithin(ctx context.Context, client phonecheckv1.PhoneCheckClient, mobiles []string, deadline time.Duration) (*phonecheckv1.CheckResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	return client.Check(ctx, &phonecheckv1.CheckRequest{Mobiles: mobiles})
}

// checkStream reads a CheckStream to its end; results arrive as batches finish, so they are put
// back in input order by index.
func checkStream(ctx context.Context, client phonecheckv1.PhoneCheckClient, mobiles []string) ([]*phonecheckv1.PhoneResult, *phonecheckv1.CheckSummary, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	stream, err := client.CheckStream(ctx, &phonecheckv1.CheckStreamRequest{Mobiles: mobiles})
	if err != nil {
		return nil, nil, err
	}
	return collect(stream.Recv)
}

// checkBulk sends chunks on a CheckBulk stream from a goroutine while it reads results, as a client
// streaming the rows of a large file would; each chunk element is one input.
func checkBulk(ctx context.Context, client phonecheckv1.PhoneCheckClient, chunks [][]string) ([]*phonecheckv1.PhoneResult, *phonecheckv1.CheckSummary, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	stream, err := client.CheckBulk(ctx)
	if err != nil {
		return nil, nil, err
	}
	sent := make(chan error, 1)
	go func() {
		for _, chunk := range chunks {
			if err := stream.Send(&phonecheckv1.CheckBulkRequest{Mobiles: chunk}); err != nil {
				sent <- err
				return
			}
		}
		sent <- stream.CloseSend()
	}()
	results, summary, err := collect(stream.Recv)
	if sendErr := <-sent; err == nil && sendErr != nil && !errors.Is(sendErr, io.EOF) {
		err = sendErr
	}
	return results, summary, err
}

// answers are the messages of CheckStream and CheckBulk: results, and a summary on the last.
type answers interface {
	GetResults() []*phonecheckv1.PhoneResult
	GetSummary() *phonecheckv1.CheckSummary
}

// collect reads a stream of answers to its end and puts the results back in input order by
// index (they arrive in the order their upstream batches finish).
func collect[M answers](recv func() (M, error)) ([]*phonecheckv1.PhoneResult, *phonecheckv1.CheckSummary, error) {
	var results []*phonecheckv1.PhoneResult
	var summary *phonecheckv1.CheckSummary
	for {
		message, err := recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		results = append(results, message.GetResults()...)
		if s := message.GetSummary(); s != nil {
			summary = s
		}
	}
	sort.Slice(results, func(i, j int) bool { return results[i].Index < results[j].Index })
	return results, summary, nil
}
