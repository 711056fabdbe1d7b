/**
 * Zero-code custom spans: user methods named by the {@code spans} option ({@code class#method:category}, with
 * {@code *} wildcards, entries separated by {@code ;}) become spans of the chosen category, so that a user can mark
 * a data loader or a callback without changing code. The OpenTelemetry agent's
 * {@code otel.instrumentation.methods.include} is the precedent. {@link io.mltrace.agent.custom.CustomSpans} parses the
 * option and turns each entry into a {@link io.mltrace.agent.instrument.Hook}; one advice serves them all, with the
 * span kind bound per hook ({@code Advice.withCustomMapping()}) and the name taken from the method.
 */
package io.mltrace.agent.custom;
