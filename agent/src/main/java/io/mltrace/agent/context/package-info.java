/**
 * The application's trace context, read for the bridge ({@link io.mltrace.bootstrap.TraceContext}) so that step
 * spans join the trace of the request that started a training job. The application's OpenTelemetry API is read by
 * reflection through the training thread's context class loader: it is not mltrace's (shaded) copy, and may be bridged
 * to the OpenTelemetry Java agent's context.
 */
package io.mltrace.agent.context;
