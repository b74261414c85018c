package io.github.phonecheck.example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.phonecheck.client.ErrorDetails;
import io.github.phonecheck.client.PhoneCheckChannels;
import io.github.phonecheck.v1.CheckResponse;
import io.github.phonecheck.v1.NumberStatus;
import io.github.phonecheck.v1.PhoneResult;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/**
 * The example against a real demo server named by PHONECHECK_TARGET (with PHONECHECK_API_KEY when
 * it requires keys); skipped, saying so, without one. clients/test.sh starts one.
 */
@EnabledIfEnvironmentVariable(
    named = "PHONECHECK_TARGET",
    matches = ".+",
    disabledReason = "PHONECHECK_TARGET is not set: start `phonecheck serve --demo` and set it to its HOST:PORT")
class ExampleTest {
  private static final String TARGET = System.getenv("PHONECHECK_TARGET");
  private static final String KEY = System.getenv("PHONECHECK_API_KEY");
  private static ManagedChannel channel;
  private static Example example;

  @BeforeAll
  static void connect() {
    channel = PhoneCheckChannels.plaintext(TARGET);
    example = new Example(channel, KEY);
  }

  @AfterAll
  static void close() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void checkAnswersEveryInputInOrder() {
    CheckResponse response = example.check(List.of("+86 131-1111-1111", "12345"));
    List<PhoneResult> results = response.getResultsList();
    assertEquals(List.of(0, 1), results.stream().map(PhoneResult::getIndex).toList());
    assertEquals(NumberStatus.NUMBER_STATUS_REAL, results.get(0).getStatus());
    assertEquals(
        List.of("13111111111", "山西-临汾", "中国联通"),
        List.of(results.get(0).getMobile(), results.get(0).getArea(), results.get(0).getCarrier()));
    assertEquals(NumberStatus.NUMBER_STATUS_INVALID, results.get(1).getStatus());
    assertTrue(results.get(1).getInvalidReason().contains("11 digits"));
    assertEquals(2, response.getSummary().getTotal());
    assertEquals(1, response.getSummary().getInvalid());
  }

  @Test
  void checkStreamAndCheckBulkAnswerEveryInput() throws Exception {
    Example.Answers streamed = example.checkStream(List.of("13800138000", "13900139000", "13800138000"));
    assertEquals(List.of(0, 1, 2), streamed.results().stream().map(PhoneResult::getIndex).toList());
    assertTrue(streamed.results().get(2).getDuplicate());
    assertEquals(1, streamed.summary().getDuplicates());

    Example.Answers bulk =
        example.checkBulk(List.of(List.of("13700137000", "13600136000"), List.of("13500135000", "12345")));
    assertEquals(List.of(0, 1, 2, 3), bulk.results().stream().map(PhoneResult::getIndex).toList());
    assertEquals(NumberStatus.NUMBER_STATUS_INVALID, bulk.results().get(3).getStatus());
    assertEquals(4, bulk.summary().getTotal());
    assertEquals(1, bulk.summary().getInvalid());
  }

  @Test
  void aDeadlineEndsASlowCall() {
    StatusRuntimeException error =
        assertThrows(StatusRuntimeException.class, () -> example.checkWithin(List.of("19900000004"), 500));
    assertEquals(Status.Code.DEADLINE_EXCEEDED, ErrorDetails.of(error).code());
  }

  @Test
  void errorsCarryReasonRetryQuotaAndBadRequest() {
    ErrorDetails details =
        ErrorDetails.of(assertThrows(StatusRuntimeException.class, () -> example.check(List.of("19900000429"))));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, details.code());
    assertEquals(Optional.of("UPSTREAM_RATE_LIMITED"), details.reason());
    assertEquals(Optional.of("phonecheck"), details.domain());
    assertEquals("429", details.metadata().get("upstreamCode"));
    assertTrue(details.retryDelay().isPresent() && !details.retryDelay().get().isZero());

    details = ErrorDetails.of(assertThrows(StatusRuntimeException.class, () -> example.check(List.of("19900000102"))));
    assertEquals(Optional.of("UPSTREAM_QUOTA_EXHAUSTED"), details.reason());
    assertEquals("upstream-account", details.quotaViolations().get(0).getSubject());
    assertFalse(details.retryDelay().isPresent());

    details = ErrorDetails.of(assertThrows(StatusRuntimeException.class, () -> example.check(List.of())));
    assertEquals(Optional.of("NO_NUMBERS"), details.reason());
    assertEquals("mobiles", details.fieldViolations().get(0).getField());
  }

  @Test
  void aWrongApiKeyIsRefused() {
    assumeTrue(KEY != null && !KEY.isEmpty(), "PHONECHECK_API_KEY names a key of a server started with --api-keys-file");
    Example wrong = new Example(channel, KEY + "-wrong");
    ErrorDetails details =
        ErrorDetails.of(assertThrows(StatusRuntimeException.class, () -> wrong.check(List.of("13111111111"))));
    assertEquals(Status.Code.UNAUTHENTICATED, details.code());
    assertEquals(Optional.of("API_KEY_INVALID"), details.reason());
  }

  @Test
  void theTourRunsToTheEnd() throws Exception {
    example.run();
  }
}
