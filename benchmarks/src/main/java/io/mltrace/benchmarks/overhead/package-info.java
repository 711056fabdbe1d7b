/**
 * The step-time overhead of the agent on a real DJL training job, per mode, and the cost of attaching to it.
 *
 * <p>{@link io.mltrace.benchmarks.overhead.StepTimeJob} trains the example MLP and times every step itself (the
 * figure does not depend on the agent). {@link io.mltrace.benchmarks.overhead.OverheadHarness} runs it in
 * interleaved pairs (without, with the agent; the order alternates), reports the median and spread of the per-pair
 * ratios, and attaches to running jobs to measure the attach pause. Usage and results: {@code docs/benchmarks.md}.
 */
package io.mltrace.benchmarks.overhead;
