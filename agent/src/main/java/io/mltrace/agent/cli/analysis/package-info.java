/**
 * Analyses that read a finished run's files back ({@code summary.json}, and {@code trace.json} where present):
 * {@code mltrace diff A B} compares two runs quantity by quantity (per category, phase, op, GPU kernel, memory)
 * and says which changes stand out of the runs' own step-to-step noise; {@code mltrace check} is a CI gate over
 * bounds such as {@code data <= 10%}; {@code mltrace analyze} fits case-study runs (LSTM, Transformer, CNN, inference
 * sweep) against analytic FLOPs models and writes {@code docs/case-studies.md} with its figures.
 *
 * <p>This runs in the command-line JVM only, never in a traced application. {@link
 * io.mltrace.agent.cli.analysis.JsonReader} is the project's only JSON reader: the agent jar carries no JSON
 * library. Per-step values (after a warm-up that is left out) are what every test here works on: a change is
 * significant when a Mann-Whitney U test finds the two runs' values apart, the change exceeds each run's drift
 * between its halves, and it is large enough to matter (see {@link io.mltrace.agent.cli.analysis.RunDiff}).
 */
package io.mltrace.agent.cli.analysis;
