/**
 * The collector and the step model. {@link io.mltrace.collector.Collector} drains the per-thread rings of
 * {@link io.mltrace.bootstrap.Recorder} on its own daemon thread, rebuilds spans ({@code SpanRecords}), closes steps
 * and, with {@code StepAssembler}, turns each into one finished {@link io.mltrace.collector.Step}: its spans as a
 * {@link io.mltrace.collector.SpanTree}, typed {@link io.mltrace.collector.ActivityKind}s, its time breakdown
 * ({@link io.mltrace.collector.StepAccounting}) and estimates, the JVM and GPU activities placed in it, its GPU facts
 * ({@link io.mltrace.collector.StepGpu}: {@link io.mltrace.collector.GpuTimeline},
 * {@link io.mltrace.collector.GpuIdleSplit}, {@link io.mltrace.collector.LaunchStats}) and the JVM's state at its end
 * ({@link io.mltrace.collector.JvmFacts}), each computed once. {@link io.mltrace.collector.StepSink}s (the
 * exporters) receive it; those that lay a step out read it as a {@link io.mltrace.collector.StepVisitor}.
 *
 * <p>Nothing here runs on a training thread. A slow sink delays only the collector thread; the rings it drains
 * drop and count records rather than block their producers. A {@code Step} is immutable once delivered, so an
 * exporter's own thread may read it.
 */
package io.mltrace.collector;
