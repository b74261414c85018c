// Package phonecheck connects Go programs to a phonecheck server: Dial opens a connection that
// sends an API key and a user agent with every call, and Details reads what a failed call's
// status carries (its ErrorInfo reason, RetryInfo delay, QuotaFailure and BadRequest). The
// generated API itself is in the v1 package (phonecheckv1).
package phonecheck

import (
	"context"
	"crypto/tls"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
)

// DefaultTarget is where `phonecheck serve` listens unless told otherwise.
const DefaultTarget = "127.0.0.1:50051"

// Option changes how Dial connects.
type Option func(*dialConfig)

type dialConfig struct {
	apiKey string
	tls    *tls.Config
	extra  []grpc.DialOption
}

// WithAPIKey sends `authorization: Bearer KEY` with every call, for a server started with
// --api-keys-file. An empty key sends nothing.
func WithAPIKey(key string) Option { return func(c *dialConfig) { c.apiKey = key } }

// WithTLS connects over TLS with this configuration; without it the connection is plaintext,
// which suits a server on loopback or behind a TLS-terminating proxy.
func WithTLS(config *tls.Config) Option { return func(c *dialConfig) { c.tls = config } }

// WithDialOptions passes grpc-go options through (keepalive, interceptors, a resolver…).
func WithDialOptions(options ...grpc.DialOption) Option {
	return func(c *dialConfig) { c.extra = append(c.extra, options...) }
}

// Dial opens a lazy connection to target (HOST:PORT, or any grpc-go target such as
// dns:///phonecheck.internal:50051); pass it to phonecheckv1.NewPhoneCheckClient.
func Dial(target string, options ...Option) (*grpc.ClientConn, error) {
	var config dialConfig
	for _, option := range options {
		option(&config)
	}
	transport := insecure.NewCredentials()
	if config.tls != nil {
		transport = credentials.NewTLS(config.tls)
	}
	dial := []grpc.DialOption{
		grpc.WithTransportCredentials(transport),
		grpc.WithUserAgent("phonecheck-go/" + Version),
	}
	if config.apiKey != "" {
		key := config.apiKey
		dial = append(dial,
			grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
				return invoker(withKey(ctx, key), method, req, reply, cc, opts...)
			}),
			grpc.WithChainStreamInterceptor(func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
				return streamer(withKey(ctx, key), desc, cc, method, opts...)
			}),
		)
	}
	return grpc.NewClient(target, append(dial, config.extra...)...)
}

func withKey(ctx context.Context, key string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+key)
}
