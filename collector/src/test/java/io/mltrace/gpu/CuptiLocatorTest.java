package io.mltrace.gpu;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CuptiLocatorTest {
  @TempDir
  Path dir;

  @Test
  void findsALibcuptiInAFolderAndNothingInAnEmptyOne() throws Exception {
    Path empty = Files.createDirectory(dir.resolve("empty"));
    Path cuda = Files.createDirectory(dir.resolve("cuda"));
    Files.writeString(cuda.resolve("libcupti.so.13"), "not really a library");
    assertFalse(CuptiLocator.inFolders(List.of(empty, dir.resolve("missing"))));
    assertTrue(CuptiLocator.inFolders(List.of(empty, cuda)));
  }

  @Test
  void onlyTheNamesTheBridgeLoadsCount() throws Exception {
    Path other = Files.createDirectory(dir.resolve("other"));
    // dlopen("libcupti.so.12") does not open these: a hit here would load the bridge for nothing.
    Files.writeString(other.resolve("libcupti.so.11.8"), "x");
    Files.writeString(other.resolve("libcupti.so.2024.1.0"), "x");
    assertFalse(CuptiLocator.inFolders(List.of(other)));
    for (String name : CuptiLocator.NAMES) {
      Path one = Files.createDirectory(dir.resolve("with-" + name));
      Files.writeString(one.resolve(name), "x");
      assertTrue(CuptiLocator.inFolders(List.of(other, one)), name);
    }
  }

  @Test
  void seesALibcuptiAlreadyMappedInTheProcess() {
    assertTrue(CuptiLocator.mapped("7f00-7f10 r-xp 0 08:01 42 /opt/torch/lib/libcupti.so.12\n"));
    assertFalse(CuptiLocator.mapped("7f00-7f10 r-xp 0 08:01 42 /usr/lib/libc.so.6\n"));
  }

  @Test
  void theUsualFoldersAreSearched() {
    assertTrue(CuptiLocator.folders().contains(Path.of("/usr/local/cuda/extras/CUPTI/lib64")));
  }
}
