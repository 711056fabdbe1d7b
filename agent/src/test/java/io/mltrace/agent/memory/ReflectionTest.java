package io.mltrace.agent.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** What the model readers ask of a framework's objects: the answers stay right when they come from the cache. */
class ReflectionTest {
  /** Public through its interface only, as a framework's implementation class often is. */
  public interface Sized {
    long length();
  }

  private static final class Hidden implements Sized {
    @Override
    public long length() {
      return 42;
    }
  }

  @Test
  void hasAnswersAlikeEachTimeForPresentAndAbsentMethods() throws Exception {
    Object hidden = new Hidden();
    for (int i = 0; i < 3; i++) {
      assertTrue(Reflection.has(hidden, "length"));
      assertFalse(Reflection.has(hidden, "params"));
      assertEquals(42L, Reflection.call(hidden, "length"));
      assertNull(Reflection.call(hidden, "params"));
    }
    // The cache is per class: another class's answer is its own.
    assertTrue(Reflection.has(List.of(1), "size"));
    assertFalse(Reflection.has(List.of(1), "length"));
    assertFalse(Reflection.has(null, "length"));
  }
}
