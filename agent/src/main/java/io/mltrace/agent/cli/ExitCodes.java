package io.mltrace.agent.cli;

/**
 * Exit codes of every command of the command line (attach, trace, status, stop, diff, check, analyze, help), in one
 * place; scripts may rely on them (listed in the README and in {@code help}). Compile-time constants: using one
 * loads no class.
 */
public final class ExitCodes {
  public static final int OK = 0;
  /**
   * The agent answered with an error (the message says why), something unexpected failed, or (check) a bound is
   * violated.
   */
  public static final int FAILED = 1;
  /** Bad arguments. */
  public static final int USAGE = 2;
  /** No such process, or the process is not a Java VM. */
  public static final int NO_JVM = 3;
  /** The process belongs to another user. */
  public static final int NOT_PERMITTED = 4;
  /** The JVM refused the attach or the agent (attach disabled, dynamic agents disabled, no jdk.attach). */
  public static final int REFUSED = 5;
  /** mltrace is not loaded in that JVM (status, stop). */
  public static final int NOT_LOADED = 6;
  /** A trace window did not complete: the job ended, a stop came, or the timeout passed. */
  public static final int INCOMPLETE = 7;

  private ExitCodes() {}
}
