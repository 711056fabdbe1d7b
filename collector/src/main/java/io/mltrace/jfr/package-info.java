/**
 * JVM events in: a JFR {@code RecordingStream} inside the agent reads GC pauses, safepoints, JIT compilations,
 * class loading, thread waits, allocation stalls and execution samples, converts each once to the agent's clock
 * ({@link java.lang.System#nanoTime()}) and hands them to the collector as
 * {@link io.mltrace.collector.ExternalActivity}s ({@link io.mltrace.jfr.JfrSource}).
 *
 * <p>Threads: the stream's own thread runs the handlers, which only convert and enqueue (bounded; overflow is
 * counted); the collector thread drains the queue.
 */
package io.mltrace.jfr;
