/**
 * How much the agent records, and how that changes while a job runs.
 *
 * <ul>
 *   <li>{@link io.mltrace.agent.control.DetailPolicy}: a mode ({@code off}, {@code default}, {@code full}), head
 *       sampling (every n-th step, or one step per interval), tail sampling (keep the trace of steps slower than a
 *       percentile of recent steps) and whether ops write spans. It is applied to the bootstrap
 *       {@code Recorder}, whose {@code isSampled} takes the per-step decision when a step opens.</li>
 *   <li>{@link io.mltrace.agent.control.DetailControl}: the one owner of the recorder's detail switches; a
 *       reconfiguration, the overhead guard, an on-demand window and {@code stop} all go through it.</li>
 *   <li>Sinks on the collector thread: {@link io.mltrace.agent.control.TailFilter} (decides which detailed steps
 *       reach the trace file), {@link io.mltrace.agent.control.OverheadGuard} (estimates the hot path's share of
 *       step time and lowers detail past a budget), {@link io.mltrace.agent.control.WindowSinks} (the on-demand
 *       windows of {@code mltrace trace}).</li>
 *   <li>{@link io.mltrace.agent.control.AgentStatus}: what the command line reads back, published as
 *       {@code mltrace.agent.*} system properties of the target JVM.</li>
 * </ul>
 *
 * <p>Nothing here runs on a training thread except the recorder reads that {@code DetailControl} sets up.
 */
package io.mltrace.agent.control;
