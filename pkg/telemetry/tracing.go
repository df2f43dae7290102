package telemetry

import (
	"context"
	"fmt"
	"net/http"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
)

// TracingOptions configures OpenTelemetry tracing.
type TracingOptions struct {
	// Endpoint is the OTLP/gRPC collector address (host:port). Empty turns
	// tracing off.
	Endpoint string
	// Insecure sends spans without TLS, for a collector on the same host.
	Insecure bool
	// Service names the service in every span.
	Service string
}

// SetupTracing installs the global tracer provider and the W3C trace
// context propagator, so spans continue across the gateway's gRPC hop into
// the core. It returns a function that flushes and stops the exporter. With
// no endpoint it installs only the propagator and returns a no-op.
func SetupTracing(ctx context.Context, opts TracingOptions) (func(context.Context) error, error) {
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(
		propagation.TraceContext{}, propagation.Baggage{},
	))
	if opts.Endpoint == "" {
		return func(context.Context) error { return nil }, nil
	}

	clientOpts := []otlptracegrpc.Option{otlptracegrpc.WithEndpoint(opts.Endpoint)}
	if opts.Insecure {
		clientOpts = append(clientOpts, otlptracegrpc.WithInsecure())
	}
	exporter, err := otlptracegrpc.New(ctx, clientOpts...)
	if err != nil {
		return nil, fmt.Errorf("otlp trace exporter: %w", err)
	}
	provider := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exporter),
		sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName(opts.Service))),
	)
	otel.SetTracerProvider(provider)
	return provider.Shutdown, nil
}

// GRPCServerTracing continues the caller's trace in a gRPC server.
func GRPCServerTracing() grpc.ServerOption {
	return grpc.StatsHandler(otelgrpc.NewServerHandler())
}

// GRPCClientTracing sends the current trace with every call of a client
// connection.
func GRPCClientTracing() grpc.DialOption {
	return grpc.WithStatsHandler(otelgrpc.NewClientHandler())
}

// StartHTTPSpan continues the trace of an incoming HTTP request, or starts
// one, in a span named after the route pattern. The returned function ends
// the span with the response status.
func StartHTTPSpan(r *http.Request, route string) (context.Context, func(status int)) {
	ctx := otel.GetTextMapPropagator().Extract(r.Context(), propagation.HeaderCarrier(r.Header))
	ctx, span := otel.Tracer(tracerName).Start(ctx, r.Method+" "+route,
		trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(
			attribute.String("http.request.method", r.Method),
			attribute.String("http.route", route),
		))
	return ctx, func(status int) {
		span.SetAttributes(attribute.Int("http.response.status_code", status))
		if status >= 500 {
			span.SetStatus(codes.Error, http.StatusText(status))
		}
		span.End()
	}
}

const tracerName = "github.com/craevidence/scim-provisioning/pkg/telemetry"
