package io.mltrace.benchmarks.overhead;

/**
 * {@code --name value} arguments of the jobs and the harness of this package. A class of its own, free of DJL and
 * DL4J types, because the harness runs without them on its class path.
 */
final class Args {
  private Args() {}

  static String stringArg(String[] args, String name, String fallback) {
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equals(name)) {
        return args[i + 1];
      }
    }
    return fallback;
  }

  static int intArg(String[] args, String name, int fallback) {
    return Integer.parseInt(stringArg(args, name, String.valueOf(fallback)));
  }
}
