/**
 * JFR out: mltrace's steps and spans as custom JFR events ({@code mltrace.Step}, {@code mltrace.Span},
 * {@code mltrace.StepMemory}), so that a
 * recording taken with {@code jcmd <pid> JFR.start} shows them in JDK Mission Control and
 * {@code jfr print --events 'mltrace.*'}; and the {@code jfr=<file>} option, which records them (with the JVM's GC and
 * safepoint events) into a file written at exit.
 *
 * <p>Events are committed on the collector thread as soon as a step's record is drained (an early sink: it does not
 * wait for JVM events, so that a recording stopped at exit misses as little as possible). JFR's own start time of an event is its
 * emission time; the span's real interval is in the {@code startNanoTime} and {@code duration} fields (JFR events
 * cannot be back-dated). {@code shouldCommit()} is checked first: without a recording that enables them, they cost
 * one check per step.
 *
 * <p>A step's memory is an event of its own, {@code mltrace.StepMemory} (a field per memory series, -1 when not
 * measured), committed from the complete step rather than on {@code mltrace.Step}: the heap after GC and the GPU
 * series come from JFR's and CUPTI's records, which reach the collector after the step's record, so the early
 * {@code mltrace.Step} cannot carry them. One event per step keeps the cost at one commit.
 */
package io.mltrace.exporters.jfr;
