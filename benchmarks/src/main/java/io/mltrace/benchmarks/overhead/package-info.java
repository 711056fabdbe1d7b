/**
 * The step-time overhead of the agent and of its peers on real DJL and DL4J training jobs, and the cost of
 * attaching.
 *
 * <p>The jobs: {@link io.mltrace.benchmarks.overhead.StepTimeJob} (DJL: the examples' MLP, CNN, LSTM) and
 * {@link io.mltrace.benchmarks.overhead.Dl4jStepTimeJob} (DL4J: MLP, CNN) train and time every step themselves
 * (the figure does not depend on the agent); with {@code --lockstep true} they take one step per turn
 * ({@code StepGate}). The harness, {@link io.mltrace.benchmarks.overhead.OverheadHarness}, in parts:
 * {@code HarnessOptions} (the command line), {@code Job}, {@code Arm}, {@code Comparison}, {@code Comparisons} and
 * {@code Peer} (the catalogue of what runs on each side, as typed values), {@code Launcher} and
 * {@code LockstepPair} (process control: command lines, pairs of JVMs taking turns, their CPU, memory and
 * start-up), the methods (one {@code Experiment} each: {@code LockstepExperiment}, {@code SequentialExperiment},
 * {@code AttachDidExperiment}, {@code PeerExperiment}; and {@code AttachPauseExperiment}), {@code Stats} and
 * {@code MarkdownTable} / {@code PeersSection} (the output, and the generated section of docs/benchmarks.md).
 * Usage and results: {@code docs/benchmarks.md}, issues 8 and 18.
 */
package io.mltrace.benchmarks.overhead;
