/**
 * OpenTelemetry export: one trace per sampled step over OTLP gRPC or HTTP/protobuf ({@link
 * io.mltrace.exporters.otel.OtlpTraceSink}), one per tree of spans outside steps ({@code OutsideTrees}, rate-bounded),
 * a cluster job's steps of one iteration in one trace under the iteration's own span ({@code ChosenIds}), always-on step metrics over OTLP and a Prometheus scrape endpoint
 * ({@link io.mltrace.exporters.otel.MetricsSink}), configured by the agent's options and the standard
 * {@code OTEL_*} variables ({@link io.mltrace.exporters.otel.OtlpSettings}).
 *
 * <p>Threads: the sinks are called on the collector thread and never wait there. Trace conversion and export run
 * on the {@code mltrace-otlp} thread behind a queue bounded in spans; metric export runs on the SDK's reader
 * threads. Inside the agent jar the SDK and its dependencies are relocated under {@code io.mltrace.shaded}.
 *
 * <p>Attribute names: {@code ml.step.number}, {@code ml.framework}, {@code ml.thread.name}, {@code ml.step.flops},
 * {@code ml.step.ops}, {@code ml.breakdown.<category>_ns} on the step span; {@code ml.kind} on every span;
 * {@code ml.op.name}, {@code ml.op.flops}, {@code ml.op.bytes}, {@code ml.op.input_shapes} on op spans;
 * {@code ml.memory.<series>} on the step span for each memory series the step measured; {@code ml.step.iteration} and
 * {@code spark.partition.id} where the step carries them (the partition also on every span of such a step, and on a
 * span that read its own task's); {@code ml.span.category} on spans outside steps. Memory metrics carry the
 * series as the {@code series} attribute ({@link io.mltrace.exporters.otel.MemoryMetrics}).
 */
package io.mltrace.exporters.otel;
