/**
 * The collector: drains the per-thread rings of {@link io.mltrace.bootstrap.Recorder} on its own daemon thread,
 * rebuilds spans, closes steps, computes each step's time breakdown ({@link io.mltrace.collector.StepAccounting})
 * and hands closed steps to {@link io.mltrace.collector.StepSink}s (the exporters).
 *
 * <p>Nothing here runs on a training thread. A slow sink delays only the collector thread; the rings it drains
 * drop and count records rather than block their producers.
 */
package io.mltrace.collector;
