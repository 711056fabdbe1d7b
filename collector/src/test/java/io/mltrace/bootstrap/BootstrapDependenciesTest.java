package io.mltrace.bootstrap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The bridge sits on the bootstrap class path, where only {@code java.base} is certain to be: a class of it that
 * imported anything else (another mltrace package, a library, {@code java.management}) would fail there, in the
 * application's framework code. Also checks that no fully qualified name sneaks such a type in.
 */
class BootstrapDependenciesTest {
  private static final Pattern IMPORT = Pattern.compile("^import (static )?([\\w.]+)\\.[\\w*]+;", Pattern.MULTILINE);
  /** Fully qualified names outside java.base, in code (comments are left out before matching). */
  private static final Pattern QUALIFIED = Pattern.compile(
      "\\b(io\\.mltrace\\.(?!bootstrap\\b)\\w+|java\\.lang\\.management|javax\\.\\w+|jdk\\.\\w+|com\\.sun\\.\\w+|sun\\.\\w+)\\.\\w");

  @Test
  void theBridgeUsesJavaBaseOnly() throws IOException {
    Path dir = Paths.get("src/main/java/io/mltrace/bootstrap");
    List<String> bad = new ArrayList<>();
    List<Path> sources;
    try (Stream<Path> files = Files.list(dir)) {
      sources = files.filter(p -> p.toString().endsWith(".java")).collect(Collectors.toList());
    }
    assertTrue(sources.size() > 10, "the bridge's sources are here: " + dir.toAbsolutePath());
    for (Path f : sources) {
      String text = Files.readString(f);
      Matcher m = IMPORT.matcher(text);
      while (m.find()) {
        String pkg = m.group(2);
        if (!javaBase(pkg)) {
          bad.add(f.getFileName() + ": import " + pkg);
        }
      }
      Matcher q = QUALIFIED.matcher(withoutComments(text));
      while (q.find()) {
        bad.add(f.getFileName() + ": " + q.group());
      }
    }
    assertEquals(List.of(), bad);
  }

  private static String withoutComments(String source) {
    return source.replaceAll("(?s)/\\*.*?\\*/", "").replaceAll("//[^\\n]*", "");
  }

  private static boolean javaBase(String pkg) {
    ModuleLayer boot = ModuleLayer.boot();
    return boot.findModule("java.base").orElseThrow().getPackages().contains(pkg)
        || pkg.startsWith("java.") && boot.findModule("java.base").orElseThrow().getPackages().stream()
            .anyMatch(p -> p.equals(pkg.substring(0, pkg.lastIndexOf('.'))));
  }
}
