package io.mltrace.examples;

/** {@code --name value} command-line arguments of the example jobs; a missing name gives the fallback. */
public final class Args {
  private Args() {}

  public static String string(String[] args, String name, String fallback) {
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equals(name)) {
        return args[i + 1];
      }
    }
    return fallback;
  }

  public static int integer(String[] args, String name, int fallback) {
    return Integer.parseInt(string(args, name, String.valueOf(fallback)));
  }

  public static long longValue(String[] args, String name, long fallback) {
    return Long.parseLong(string(args, name, String.valueOf(fallback)));
  }
}
