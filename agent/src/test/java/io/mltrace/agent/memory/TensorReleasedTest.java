package io.mltrace.agent.memory;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The frameworks' "already freed" test, found by name: DJL's {@code isReleased}, ND4J's {@code wasClosed}. */
class TensorReleasedTest {
  public static final class DjlLike {
    boolean released;

    public boolean isReleased() {
      return released;
    }
  }

  public static final class Nd4jLike {
    public boolean wasClosed() {
      return true;
    }
  }

  public static final class Failing {
    public boolean wasClosed() {
      throw new IllegalStateException("closed twice");
    }
  }

  @Test
  void asksTheTensorsOwnFlagAndSaysNotFreedOtherwise() {
    DjlLike djl = new DjlLike();
    assertFalse(TensorReleased.released(djl));
    djl.released = true;
    assertTrue(TensorReleased.released(djl));
    assertTrue(TensorReleased.released(new Nd4jLike()));
    assertFalse(TensorReleased.released(new Object()), "no such method: not freed");
    assertFalse(TensorReleased.released(new Failing()), "a failing check: not freed");
  }
}
