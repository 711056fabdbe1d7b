/**
 * The agent: entry points ({@link io.mltrace.agent.MltraceAgent}), options ({@link io.mltrace.agent.AgentOptions}),
 * and the wiring of recorder, collector, exporters and instrumentation ({@link io.mltrace.agent.AgentRuntime}).
 *
 * <p>Class loaders: {@code MltraceAgent} is loaded by the system class loader from the agent jar. Before it touches
 * anything else it appends the {@code io.mltrace.bootstrap} classes to the bootstrap class path
 * ({@link io.mltrace.agent.BootstrapJar}), so that advice inlined into framework classes of any loader reaches the
 * same {@code Recorder}. Byte Buddy is shaded under {@code io.mltrace.shaded}.
 */
package io.mltrace.agent;
