package io.mltrace.agent.instrument;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The weaving cache's files: what one JVM stores another reads, and what it refuses to read. */
class WovenCacheTest {
  @TempDir
  Path root;

  private static final byte[] ORIGINAL = "original class bytes".getBytes(StandardCharsets.UTF_8);
  private static final byte[] WOVEN = "woven class bytes".getBytes(StandardCharsets.UTF_8);

  @Test
  void whatOneJvmStoresTheNextReads() throws IOException {
    WovenCache first = WovenCache.open(root, "plan");
    assertFalse(first.warm(), "an empty cache");
    String key = WovenCache.key("ai/djl/pytorch/jni/JniUtils", ORIGINAL);
    String other = WovenCache.key("org/nd4j/Other", ORIGINAL);
    assertNull(first.lookup(key));
    first.store(key, WOVEN, "djl", "mltrace: djl hook x skipped: y");
    first.store(other, null, "", "");
    first.storeHooks(List.of(new String[] {"djl hook a", "djl hook a", "0"}, new String[] {"djl hook b", "djl hook b",
        "1"}));

    WovenCache second = WovenCache.open(root, "plan");
    assertTrue(second.warm());
    assertEquals(2, second.hooks().size());
    assertEquals("1", second.hooks().get(1)[2]);
    WovenCache.Entry e = second.lookup(key);
    assertNotNull(e);
    assertTrue(e.woven());
    assertEquals("djl", e.frameworks());
    assertEquals("mltrace: djl hook x skipped: y", e.notes());
    assertArrayEquals(WOVEN, second.read(key, e));
    assertFalse(second.lookup(other).woven(), "kept as unchanged");
    assertEquals(2, second.hits());

    byte[] changed = ORIGINAL.clone();
    changed[0]++;
    assertNull(second.lookup(WovenCache.key("ai/djl/pytorch/jni/JniUtils", changed)), "other bytes: a miss");
    assertNull(WovenCache.open(root, "another plan").lookup(key), "another plan: a miss");
  }

  @Test
  void aFolderOfAnotherPlanUnderTheSameNameIsRefused() throws IOException {
    WovenCache.open(root, "key", "agent 1\njava 17\n");
    assertNotNull(WovenCache.open(root, "key", "agent 1\njava 17\n"), "the same plan opens");
    IOException e = assertThrows(IOException.class, () -> WovenCache.open(root, "key", "agent 2\njava 17\n"));
    assertTrue(e.getMessage().contains("holds another plan"), e.getMessage());
  }

  @Test
  void aTornOrUnknownIndexLineIsIgnored() throws IOException {
    WovenCache first = WovenCache.open(root, "plan");
    String key = WovenCache.key("a/B", ORIGINAL);
    first.store(key, null, "", "");
    Path index = first.folder().resolve("index");
    // A JVM killed in the middle of its line; then one of a future format.
    Files.write(index, "c/D\t12\tabc\t-\t".getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND);
    Files.write(index, "\ne/F\t1\t2\t3\n".getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND);
    WovenCache second = WovenCache.open(root, "plan");
    assertNotNull(second.lookup(key));
    assertNull(second.lookup("c/D\t12\tabc"));
    assertNull(second.lookup("e/F\t1\t2"));
  }

  /** A plan with {@code a/B} woven into {@link #WOVEN}. */
  private WovenCache withOneWovenClass() throws IOException {
    WovenCache cache = WovenCache.open(root, "plan");
    cache.store(WovenCache.key("a/B", ORIGINAL), WOVEN, "", "");
    return cache;
  }

  @Test
  void aWovenFileOthersCanWriteIsNotRead() throws IOException {
    WovenCache first = withOneWovenClass();
    String key = WovenCache.key("a/B", ORIGINAL);
    WovenCache.Entry e = first.lookup(key);
    Path file = first.folder().resolve(e.file());
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));
    assertNull(first.read(key, e), "the class is woven afresh instead");
  }

  @Test
  void aWovenFileIsReadOnlyForTheClassItWasMadeFrom() throws IOException {
    WovenCache cache = withOneWovenClass();
    String key = WovenCache.key("a/B", ORIGINAL);
    WovenCache.Entry e = cache.lookup(key);
    assertArrayEquals(WOVEN, cache.read(key, e));
    // Another class whose file name would come out the same: its key is not the one the file starts with.
    assertNull(cache.read(WovenCache.key("c/D", ORIGINAL), e));
  }

  @Test
  void aPlanFolderOthersCanWriteIsRefused() throws IOException {
    Path plan = WovenCache.open(root, "plan").folder();
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(plan)));
    Files.setPosixFilePermissions(plan, PosixFilePermissions.fromString("rwxrwxrwx"));
    IOException e = assertThrows(IOException.class, () -> WovenCache.open(root, "plan"));
    assertTrue(e.getMessage().contains("open to other users"), e.getMessage());
  }

  @Test
  void onlyTheMostRecentlyOpenedPlansAreKept() throws IOException {
    for (int i = 0; i < WovenCache.MAX_PLANS + 3; i++) {
      WovenCache c = WovenCache.open(root, "plan" + i);
      c.store(WovenCache.key("a/B", ORIGINAL), WOVEN, "", "");
      // Folder times of one second apart, oldest first (a file system's times may be coarse).
      Files.setLastModifiedTime(c.folder(), FileTime.fromMillis(1_000_000L + 1000L * i));
      c.pruneOtherPlans();
    }
    try (var plans = Files.list(root)) {
      List<String> names = plans.map(p -> p.getFileName().toString()).sorted().toList();
      assertEquals(WovenCache.MAX_PLANS, names.size(), names::toString);
      assertFalse(names.contains("plan0") || names.contains("plan1") || names.contains("plan2"), names::toString);
      assertTrue(names.contains("plan" + (WovenCache.MAX_PLANS + 2)), names::toString);
    }
  }

  @Test
  void itsLinesReadAsFilesReadAllLinesReadsThem() throws IOException {
    String[] contents = {"", "a", "a\n", "a\nb", "a\nb\n", "a\n\nb\n", "\n", "a\r\nb\r\n", "é\tß\t.\n",
        "x\ty\t.\nhalf"};
    for (String text : contents) {
      Path f = Files.writeString(root.resolve("lines"), text, StandardCharsets.UTF_8);
      assertEquals(Files.readAllLines(f, StandardCharsets.UTF_8), WovenCache.lines(f), "'" + text + "'");
      assertArrayEquals(Files.readAllBytes(f), WovenCache.readAllBytes(f));
    }
  }
}
