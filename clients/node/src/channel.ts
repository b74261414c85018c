// A PhoneCheck client that sends the API key and a user agent with every call.
//
// The key goes in call metadata through an interceptor rather than in call credentials, because
// gRPC only sends call credentials over TLS and a phonecheck server is often reached in
// plaintext on loopback or behind a TLS-terminating proxy.
import { ChannelCredentials, ClientOptions, credentials, InterceptingCall, Interceptor } from "@grpc/grpc-js";

import { PhoneCheckClient } from "./gen/phonecheck/v1/phonecheck";
import { VERSION } from "./version";

/** Where `phonecheck serve` listens unless told otherwise. */
export const DEFAULT_TARGET = "127.0.0.1:50051";

/** How {@link connect} connects. */
export interface ConnectOptions {
  /** Sent as `authorization: Bearer KEY` with every call (a server with --api-keys-file). */
  apiKey?: string;
  /** TLS credentials such as `credentials.createSsl()`; plaintext when absent. */
  credentials?: ChannelCredentials;
  /** Further @grpc/grpc-js client options (channel arguments, more interceptors). */
  options?: ClientOptions;
}

function apiKeyInterceptor(key: string): Interceptor {
  return (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set("authorization", `Bearer ${key}`);
        next(metadata, listener);
      },
    });
}

/** A PhoneCheck client for `target` (HOST:PORT); close it with `client.close()`. */
export function connect(target: string = DEFAULT_TARGET, options: ConnectOptions = {}): PhoneCheckClient {
  const clientOptions: ClientOptions = {
    "grpc.primary_user_agent": `phonecheck-node/${VERSION}`,
    ...options.options,
  };
  if (options.apiKey) {
    clientOptions.interceptors = [apiKeyInterceptor(options.apiKey), ...(options.options?.interceptors ?? [])];
  }
  return new PhoneCheckClient(target, options.credentials ?? credentials.createInsecure(), clientOptions);
}
