package io.github.phonecheck.example;

import io.github.phonecheck.client.ErrorDetails;
import io.github.phonecheck.client.PhoneCheckChannels;
import io.github.phonecheck.v1.CheckBulkRequest;
import io.github.phonecheck.v1.CheckBulkResponse;
import io.github.phonecheck.v1.CheckRequest;
import io.github.phonecheck.v1.CheckResponse;
import io.github.phonecheck.v1.CheckStreamRequest;
import io.github.phonecheck.v1.CheckStreamResponse;
import io.github.phonecheck.v1.CheckSummary;
import io.github.phonecheck.v1.PhoneCheckGrpc;
import io.github.phonecheck.v1.PhoneResult;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * phonecheck from Java: Check, CheckStream, CheckBulk, a deadline, an API key, and errors read by
 * their ErrorInfo reason and RetryInfo.
 *
 * <pre>
 * mvn -q test-compile exec:java -Dexec.classpathScope=test \
 *   -Dexec.mainClass=io.github.phonecheck.example.Example -Dexec.args=127.0.0.1:50051
 * </pre>
 *
 * <p>PHONECHECK_API_KEY, when set, is sent with every call (a server with --api-keys-file).
 */
public final class Example {
  /** The results of a streaming call, in input order, and its summary. */
  public record Answers(List<PhoneResult> results, CheckSummary summary) {}

  private final PhoneCheckGrpc.PhoneCheckBlockingStub blocking;
  private final PhoneCheckGrpc.PhoneCheckStub async;

  /** Stubs on {@code channel} that send {@code apiKey} when it is not null. */
  public Example(ManagedChannel channel, String apiKey) {
    PhoneCheckGrpc.PhoneCheckBlockingStub blocking = PhoneCheckGrpc.newBlockingStub(channel);
    PhoneCheckGrpc.PhoneCheckStub async = PhoneCheckGrpc.newStub(channel);
    if (apiKey != null && !apiKey.isEmpty()) {
      blocking = blocking.withInterceptors(PhoneCheckChannels.apiKey(apiKey));
      async = async.withInterceptors(PhoneCheckChannels.apiKey(apiKey));
    }
    this.blocking = blocking;
    this.async = async;
  }

  /** One Check call with a 10-second deadline: results in input order, and a summary. */
  public CheckResponse check(List<String> mobiles) {
    return checkWithin(mobiles, 10_000);
  }

  /** One Check call with a deadline of {@code millis}. */
  public CheckResponse checkWithin(List<String> mobiles, long millis) {
    return blocking
        .withDeadlineAfter(millis, TimeUnit.MILLISECONDS)
        .check(CheckRequest.newBuilder().addAllMobiles(mobiles).build());
  }

  /** A CheckStream call: results arrive as batches finish, so they are put back in order. */
  public Answers checkStream(List<String> mobiles) {
    List<PhoneResult> results = new ArrayList<>();
    CheckSummary summary = null;
    Iterator<CheckStreamResponse> stream =
        blocking
            .withDeadlineAfter(60, TimeUnit.SECONDS)
            .checkStream(CheckStreamRequest.newBuilder().addAllMobiles(mobiles).build());
    while (stream.hasNext()) {
      CheckStreamResponse message = stream.next();
      results.addAll(message.getResultsList());
      if (message.hasSummary()) {
        summary = message.getSummary();
      }
    }
    results.sort(Comparator.comparingInt(PhoneResult::getIndex));
    return new Answers(results, summary);
  }

  /**
   * A CheckBulk call: chunks are sent while results are read, as when streaming a large file;
   * each chunk element is one input.
   */
  public Answers checkBulk(List<List<String>> chunks) throws Exception {
    CompletableFuture<Answers> done = new CompletableFuture<>();
    List<PhoneResult> results = new ArrayList<>();
    CheckSummary[] summary = {null};
    StreamObserver<CheckBulkRequest> requests =
        async
            .withDeadlineAfter(60, TimeUnit.SECONDS)
            .checkBulk(
                new StreamObserver<CheckBulkResponse>() {
                  @Override
                  public void onNext(CheckBulkResponse message) {
                    results.addAll(message.getResultsList());
                    if (message.hasSummary()) {
                      summary[0] = message.getSummary();
                    }
                  }

                  @Override
                  public void onError(Throwable error) {
                    done.completeExceptionally(error);
                  }

                  @Override
                  public void onCompleted() {
                    results.sort(Comparator.comparingInt(PhoneResult::getIndex));
                    done.complete(new Answers(results, summary[0]));
                  }
                });
    for (List<String> chunk : chunks) {
      requests.onNext(CheckBulkRequest.newBuilder().addAllMobiles(chunk).build());
    }
    requests.onCompleted();
    return done.get(90, TimeUnit.SECONDS);
  }

  /** The whole tour, printed. */
  public void run() throws Exception {
    CheckResponse response = check(List.of("+86 131-1111-1111", "12345"));
    for (PhoneResult r : response.getResultsList()) {
      System.out.printf(
          "%d \"%s\": %s %s %s %s%n",
          r.getIndex(), r.getInput(), r.getStatus(), r.getArea(), r.getCarrier(), r.getInvalidReason());
    }
    Answers streamed = checkStream(List.of("13800138000", "13900139000", "13800138000"));
    System.out.printf(
        "stream: %d results, %d duplicate(s)%n",
        streamed.results().size(), streamed.summary().getDuplicates());
    Answers bulk =
        checkBulk(List.of(List.of("13700137000", "13600136000"), List.of("13500135000", "12345")));
    System.out.printf(
        "bulk: %d results, %d invalid%n", bulk.results().size(), bulk.summary().getInvalid());

    // A deadline: the demo upstream answers 19900000004 only after a minute.
    try {
      checkWithin(List.of("19900000004"), 500);
    } catch (StatusRuntimeException error) {
      System.out.printf("slow number with a 500 ms deadline: %s%n", ErrorDetails.of(error).code());
    }

    // Errors by reason: the demo upstream's "QPS exceeded" and "quota used up" numbers.
    for (String number : List.of("19900000429", "19900000102")) {
      try {
        check(List.of(number));
      } catch (StatusRuntimeException error) {
        ErrorDetails details = ErrorDetails.of(error);
        if (details.reason().orElse("").equals("UPSTREAM_QUOTA_EXHAUSTED")) {
          System.out.printf(
              "%s: quota used up upstream (%s); top up the account%n",
              number, details.quotaViolations().get(0).getSubject());
        } else if (details.retryDelay().isPresent()) {
          System.out.printf(
              "%s: %s, try again in %s%n",
              number, details.reason().orElse("?"), details.retryDelay().get());
        } else {
          throw error;
        }
      }
    }
  }

  /** Runs the tour against HOST:PORT (default 127.0.0.1:50051). */
  public static void main(String[] args) throws Exception {
    String target = args.length > 0 ? args[0] : PhoneCheckChannels.DEFAULT_TARGET;
    ManagedChannel channel = PhoneCheckChannels.plaintext(target);
    try {
      new Example(channel, System.getenv("PHONECHECK_API_KEY")).run();
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
