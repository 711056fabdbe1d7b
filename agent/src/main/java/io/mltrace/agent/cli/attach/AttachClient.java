package io.mltrace.agent.cli.attach;

import io.mltrace.agent.cli.ExitCodes;
import com.sun.tools.attach.AgentInitializationException;
import com.sun.tools.attach.AgentLoadException;
import com.sun.tools.attach.AttachNotSupportedException;
import com.sun.tools.attach.VirtualMachine;
import io.mltrace.agent.control.AgentStatus;
import java.io.IOException;
import java.util.Properties;
import java.util.UUID;

/** One attach connection to a target JVM (Attach API), with its failures turned into exit codes and one line. */
final class AttachClient implements AutoCloseable {
  final long pid;
  private final VirtualMachine vm;

  private AttachClient(long pid, VirtualMachine vm) {
    this.pid = pid;
    this.vm = vm;
  }

  /** Checks the pid ({@link TargetCheck}), then attaches. */
  static AttachClient connect(long pid) throws CliFailure {
    TargetCheck.check(pid);
    try {
      return new AttachClient(pid, VirtualMachine.attach(String.valueOf(pid)));
    } catch (AttachNotSupportedException | IOException e) {
      if (ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true)) {
        throw new CliFailure(ExitCodes.NO_JVM, "process " + pid + " exited");
      }
      throw new CliFailure(ExitCodes.REFUSED, "JVM " + pid + " refused the attach (is it running with"
          + " -XX:+DisableAttachMechanism, or in another container or /tmp?): " + e.getMessage());
    }
  }

  Properties systemProperties() throws CliFailure {
    try {
      return vm.getSystemProperties();
    } catch (IOException e) {
      throw gone(e);
    }
  }

  Properties agentProperties() throws CliFailure {
    try {
      return vm.getAgentProperties();
    } catch (IOException e) {
      throw gone(e);
    }
  }

  /** True when mltrace runs in the target. */
  boolean agentLoaded() throws CliFailure {
    return systemProperties().getProperty(AgentStatus.VERSION) != null;
  }

  /**
   * Loads the agent jar with {@code args} plus a reply token, and returns the agent's answer (the text after
   * {@code ok}); an {@code error} answer throws with {@link ExitCodes#FAILED}.
   */
  String loadAgent(String agentJar, String args) throws CliFailure {
    String token = UUID.randomUUID().toString();
    String full = (args.isEmpty() ? "" : args + ",") + "reply=" + token;
    try {
      vm.loadAgent(agentJar, full);
    } catch (AgentLoadException e) {
      throw new CliFailure(ExitCodes.REFUSED, "JVM " + pid + " refused to load the agent: " + e.getMessage());
    } catch (AgentInitializationException e) {
      throw new CliFailure(ExitCodes.REFUSED, "the agent failed to start in JVM " + pid + " (return code "
          + e.returnValue() + "); see the target's stderr");
    } catch (IOException e) {
      throw gone(e);
    }
    String reply = systemProperties().getProperty(AgentStatus.REPLY, "");
    if (!reply.startsWith(token + " ")) {
      throw new CliFailure(ExitCodes.FAILED, "the agent in JVM " + pid + " did not answer; see the target's stderr");
    }
    String rest = reply.substring(token.length() + 1);
    if (rest.startsWith("ok ")) {
      return rest.substring(3);
    }
    throw new CliFailure(ExitCodes.FAILED, "JVM " + pid + ": " + rest.replaceFirst("^error ", ""));
  }

  private CliFailure gone(IOException e) {
    if (ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true)) {
      return new CliFailure(ExitCodes.NO_JVM, "process " + pid + " exited");
    }
    return new CliFailure(ExitCodes.FAILED, "lost the connection to JVM " + pid + ": " + e);
  }

  @Override
  public void close() {
    try {
      vm.detach();
    } catch (IOException e) {
      // The target is gone or closed the connection: nothing to release.
    }
  }
}
