/**
 * The command line's attach path: {@code list}, {@code attach}, {@code trace}, {@code status}, {@code stop}.
 *
 * <p>This is the only code that uses the {@code jdk.attach} module (the Attach API); it runs in the command-line
 * JVM, never in a target. A command reaches a running agent by loading the agent jar again
 * ({@code VirtualMachine.loadAgent}) with {@code command=...}: the agent's {@code agentmain} sees it is already
 * running and executes the command instead of installing. The answer and the agent's state come back as
 * {@code mltrace.agent.*} system properties of the target (see {@code control.AgentStatus}).
 *
 * <p>Before any attach, {@link io.mltrace.agent.cli.attach.TargetCheck} makes sure the pid is a live JVM of this
 * user: HotSpot's attach handshake sends SIGQUIT, which would kill a process that is not a JVM.
 *
 * <p>The Attach API reaches only this machine's JVMs: {@code attach --app ID --hosts ...} (RemoteAttach) runs the
 * same command on each host of a cluster through the cluster's remote shell (ssh), in parallel, each bounded in time.
 */
package io.mltrace.agent.cli.attach;
