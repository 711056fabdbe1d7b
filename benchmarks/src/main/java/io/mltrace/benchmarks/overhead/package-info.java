/**
 * The step-time overhead of the agent on real DJL and DL4J training jobs, per mode, and the cost of attaching.
 *
 * <p>{@link io.mltrace.benchmarks.overhead.StepTimeJob} (DJL) and
 * {@link io.mltrace.benchmarks.overhead.Dl4jStepTimeJob} (DL4J) train the examples' MLP and time every step
 * themselves (the figure does not depend on the agent); with {@code --lockstep true} they take one step per turn
 * ({@code StepGate}). {@link io.mltrace.benchmarks.overhead.OverheadHarness} compares a job with and without the
 * agent: by default in lockstep pairs ({@code LockstepPair}: both JVMs at once, taking turns step by step, the
 * median of the per-step ratios), or sequentially (one JVM after the other); and it attaches to running jobs to
 * measure the attach pause. Usage and results: {@code docs/benchmarks.md}, issue 8.
 */
package io.mltrace.benchmarks.overhead;
