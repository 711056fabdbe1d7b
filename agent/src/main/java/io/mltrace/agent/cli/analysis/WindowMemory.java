package io.mltrace.agent.cli.analysis;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a memory window ({@code mltrace trace <pid> --memory}) found, as lines for the terminal: the creation sites
 * of the tensors that outlived their step, as of the window's last step that took sites, and the run's leak
 * suspects with their growth per step. Read back from the window's {@code summary.json}, so what is printed is what
 * was written.
 */
public final class WindowMemory {
  private WindowMemory() {}

  /** The lines; one line saying why when the summary cannot be read or holds no sites. */
  public static List<String> describe(Path summary) {
    List<String> lines = new ArrayList<>();
    Map<String, Object> root;
    try {
      root = JsonReader.object(JsonReader.parse(summary));
    } catch (IOException | RuntimeException e) {
      lines.add("memory: cannot read " + summary + ": " + e.getMessage());
      return lines;
    }
    List<Object> lastSites = List.of();
    long lastStep = -1;
    for (Object s : JsonReader.array(root.get("steps"))) {
      Map<String, Object> step = JsonReader.object(s);
      List<Object> sites = JsonReader.array(JsonReader.object(step.get("memory")).get("sites"));
      if (!sites.isEmpty()) {
        lastSites = sites;
        lastStep = (long) JsonReader.number(step, "step", -1);
      }
    }
    if (lastSites.isEmpty()) {
      lines.add("memory: no tensor outlived its step in the window");
    } else {
      lines.add("memory: tensors alive past their step, by creation site, at step " + lastStep + ":");
      for (Object o : lastSites) {
        Map<String, Object> site = JsonReader.object(o);
        lines.add(String.format(Locale.ROOT, "  %,d B in %d tensors  %s", (long) JsonReader.number(site, "bytes", 0),
            (long) JsonReader.number(site, "count", 0), JsonReader.string(site, "site")));
      }
    }
    List<Object> leaks = JsonReader.array(root.get("leaks"));
    if (leaks.isEmpty()) {
      lines.add("memory: no leak suspect so far");
    }
    for (Object o : leaks) {
      Map<String, Object> leak = JsonReader.object(o);
      List<Object> sites = JsonReader.array(leak.get("sites"));
      lines.add(String.format(Locale.ROOT, "memory: leak suspect %s: %+,d B/step since step %d%s",
          JsonReader.string(leak, "series"), (long) JsonReader.number(leak, "bytes_per_step", 0),
          (long) JsonReader.number(leak, "first_seen_step", 0), sites.isEmpty() ? ""
              : "; top site " + JsonReader.string(JsonReader.object(sites.get(0)), "site")));
    }
    return lines;
  }
}
