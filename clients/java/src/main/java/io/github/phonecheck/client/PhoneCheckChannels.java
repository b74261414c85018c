package io.github.phonecheck.client;

import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;

/**
 * Channels to a phonecheck server and the API key interceptor.
 *
 * <p>The key goes in call metadata rather than in call credentials, because gRPC only sends
 * call credentials over TLS and a phonecheck server is often reached in plaintext on loopback or
 * behind a TLS-terminating proxy. Use it as {@code
 * PhoneCheckGrpc.newBlockingStub(channel).withInterceptors(PhoneCheckChannels.apiKey(key))}.
 */
public final class PhoneCheckChannels {
  /** Where {@code phonecheck serve} listens unless told otherwise. */
  public static final String DEFAULT_TARGET = "127.0.0.1:50051";

  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private PhoneCheckChannels() {}

  /** A plaintext channel to {@code target} (HOST:PORT); shut it down when done. */
  public static ManagedChannel plaintext(String target) {
    return ManagedChannelBuilder.forTarget(target)
        .usePlaintext()
        .userAgent("phonecheck-java/" + Version.VERSION)
        .build();
  }

  /** A TLS channel to {@code target}, trusting the JVM's certificate authorities. */
  public static ManagedChannel tls(String target) {
    return ManagedChannelBuilder.forTarget(target)
        .useTransportSecurity()
        .userAgent("phonecheck-java/" + Version.VERSION)
        .build();
  }

  /**
   * An interceptor that sends {@code authorization: Bearer KEY} with every call, for a server
   * started with --api-keys-file.
   */
  public static ClientInterceptor apiKey(String key) {
    Metadata headers = new Metadata();
    headers.put(AUTHORIZATION, "Bearer " + key);
    return MetadataUtils.newAttachHeadersInterceptor(headers);
  }
}
