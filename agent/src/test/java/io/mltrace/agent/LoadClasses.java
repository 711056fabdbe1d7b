package io.mltrace.agent;

/**
 * A child JVM's main for {@link DjlVersionRangeIT}: loads (without initializing, so no native library is needed)
 * each class named in the arguments, so that the agent transforms it, and prints one line per class.
 */
public final class LoadClasses {
  private LoadClasses() {}

  public static void main(String[] args) {
    for (String name : args) {
      try {
        Class.forName(name, false, LoadClasses.class.getClassLoader());
        System.out.println("loaded " + name);
      } catch (Throwable t) {
        System.out.println("missing " + name + ": " + t);
      }
    }
  }
}
