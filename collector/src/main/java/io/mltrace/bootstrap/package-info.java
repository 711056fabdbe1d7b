/**
 * The recording bridge: the only mltrace classes that instrumented framework code calls.
 *
 * <p><b>Class loading.</b> The agent appends these classes to the bootstrap class path so that advice inlined into a
 * class of any class loader can reach them. They therefore depend on nothing but {@code java.base} (enforced by
 * {@code BootstrapDependenciesTest}), and they hold no exporter, no Byte Buddy and no OpenTelemetry type.
 *
 * <p><b>Who calls what.</b> {@link io.mltrace.bootstrap.Recorder} is the hot path: an instrumented method calls an
 * {@code enter} method and an {@code exit} method on its own thread. {@link io.mltrace.bootstrap.ThreadRegistry}
 * finds the thread's {@link io.mltrace.bootstrap.ThreadRecorder}; the collector drains each recorder's ring from
 * one thread. {@link io.mltrace.bootstrap.Sampling} decides per step whether it is detailed, under the one
 * {@link io.mltrace.bootstrap.SamplingPolicy} that the agent's {@code DetailControl} installs. No allocation, no
 * lock, no call into an exporter on the hot path; when a ring is full the record is dropped and counted, and the
 * training thread never waits. {@link io.mltrace.bootstrap.TensorLife} (tensor lifetimes) keeps to this in counted
 * steps; it allocates (a weak reference, a stack walk) only in steps that capture creation sites, and takes a lock
 * only for ND4J's collectable buffers and for the rare close of a tensor that outlived its step.
 *
 * <p>{@link io.mltrace.bootstrap.ShutdownEntry} is the one bridge class that a JDK class calls: the agent weaves a call
 * to it into {@code java.lang.Shutdown.exit}, so that the last steps are read before the JVM's shutdown hooks run.
 *
 * <p><b>The record layout: the contract between the bridge and the collector.</b> A record is
 * {@link io.mltrace.bootstrap.Slots#WIDTH} longs and an interned name:
 * <ul>
 *   <li>{@code HEADER}: bits 0-7 the {@link io.mltrace.bootstrap.Kind}; bits 8-19 the rank (4 bits each) of up to
 *       three input tensors; bits 20-27 the {@link io.mltrace.bootstrap.DataTypes} code of the first input; bit 28
 *       {@code FLAG_ESTIMATE} (time and FLOPs estimated, not measured); bit 29 {@code FLAG_OP_TIME} (the dimension
 *       slots carry op time, below).</li>
 *   <li>{@code START}, {@code END}: {@link System#nanoTime()}. {@code SPAN_ID}: unique per process (thread index in
 *       bits 40 and up). {@code PARENT_ID}: the enclosing span, or the step's span id, or 0.
 *       {@code STEP_ID}: the step's span id (0: outside steps); in a step record, the step number.</li>
 *   <li>Span records: {@code FLOPS}, {@code BYTES}, then {@code DIMS}..: the input dimensions, tensor after
 *       tensor, as many as the header's ranks say (at most {@code MAX_DIMS} in all).</li>
 *   <li>Span records with {@code FLAG_OP_TIME} and {@code Kind.STEP_OPS} records: {@code OP_TIME} GEMM, copy and
 *       other ns of the ops that ran inside the span without records of their own, then {@code OP_TIME_ESTIMATED}
 *       the estimated part of each; {@code STEP_OPS} adds {@code CHECK_ESTIMATED_NS} and
 *       {@code CHECK_MEASURED_NS}, written just before its step record.</li>
 *   <li>Step records ({@code Kind.STEP}): {@code FLOPS}, {@code STEP_OP_COUNT}, {@code STEP_DETAILED},
 *       {@code STEP_DROPPED}, then {@code STEP_ATTRIBUTE_COUNT} framework attributes ({@code ATTR_*}), then
 *       {@code STEP_OPENING_NS}: mltrace's own time at the step's start.</li>
 *   <li>Memory records ({@code Kind.STEP_MEMORY}, {@code MEMORY_SITE}, {@code MEMORY_HOLDER}): their slots are in
 *       {@link io.mltrace.bootstrap.MemorySlots}.</li>
 * </ul>
 * A step's records all precede its step record in its thread's ring; the step record closes them.
 */
package io.mltrace.bootstrap;
