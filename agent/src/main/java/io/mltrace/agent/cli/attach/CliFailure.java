package io.mltrace.agent.cli.attach;

/** A command that cannot go on: its exit code and the one line that says why. */
final class CliFailure extends Exception {
  private static final long serialVersionUID = 1L;

  final int exitCode;

  CliFailure(int exitCode, String message) {
    super(message);
    this.exitCode = exitCode;
  }
}
