package io.mltrace.examples;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * {@code --stop-file PATH}: a training loop that ends early when told, so that a run can be as long as the work
 * beside it needs and a twin can then train exactly as long (the attach tests: commands run while the job trains,
 * and the job's final loss is compared with an unattached twin's). Once the file exists, training ends after the
 * step it names (a number of steps), or after the current one when it names none. A loop that can stop only between
 * epochs ends after the first epoch that reaches that step.
 */
public final class StopFile {
  private static final long NOW = 0;
  private final Path path;
  /** The step the file named, once read; -1: not read yet. */
  private long at = -1;

  private StopFile(Path path) {
    this.path = path;
  }

  /** The job's stop file, or one that never stops it when {@code --stop-file} is absent. */
  public static StopFile of(String[] args) {
    String p = Args.string(args, "--stop-file", null);
    return new StopFile(p == null ? null : Paths.get(p));
  }

  /** True when training ends after {@code stepsDone} steps. One file check per call until the file appears. */
  public boolean reached(long stepsDone) {
    if (path == null) {
      return false;
    }
    if (at < 0) {
      if (!Files.exists(path)) {
        return false;
      }
      try {
        String text = new String(Files.readAllBytes(path), StandardCharsets.US_ASCII).trim();
        at = text.isEmpty() ? NOW : Long.parseLong(text);
      } catch (IOException | NumberFormatException e) {
        at = NOW;
      }
    }
    return stepsDone >= at;
  }
}
