package io.mltrace.agent.custom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The {@code spans} option: what it accepts, and the one-line reason for what it does not. */
class CustomSpansTest {
  @Test
  void entriesBecomeOneHookEach() {
    assertEquals(0, CustomSpans.parse("").size());
    assertEquals(2, CustomSpans.parse("com.acme.Loader#load*:data; com.acme.Hooks$Inner#on*:framework;").size());
    assertEquals(1, CustomSpans.parse("com.acme.*#*:gemm").size());
  }

  @Test
  void wildcardsMatchAnyRunOfCharactersAndNothingElseIsSpecial() {
    assertTrue("com.acme.data.Loader".matches(CustomSpans.glob("com.acme.*")));
    assertTrue("loadBatch".matches(CustomSpans.glob("load*")));
    assertTrue("Loader$1".matches(CustomSpans.glob("*$1")));
    assertFalse("comXacme.Loader".matches(CustomSpans.glob("com.acme.*")), "a dot is a dot");
    assertFalse("com.acme.Loader".matches(CustomSpans.glob("com.acme.Load")));
  }

  @Test
  void aBadEntryIsNamedWithWhatIsAccepted() {
    IllegalArgumentException noMethod = assertThrows(IllegalArgumentException.class,
        () -> CustomSpans.parse("com.acme.Loader:data"));
    assertTrue(noMethod.getMessage().contains("'com.acme.Loader:data'"), noMethod.getMessage());
    assertTrue(noMethod.getMessage().contains("CLASS#METHOD:CATEGORY"), noMethod.getMessage());
    IllegalArgumentException category = assertThrows(IllegalArgumentException.class,
        () -> CustomSpans.parse("com.acme.Loader#load:loading"));
    assertTrue(category.getMessage().contains("data, framework, gemm, other_compute, memcpy"), category.getMessage());
    assertThrows(IllegalArgumentException.class, () -> CustomSpans.parse("com.acme.Loader#lo(ad:data"));
    assertThrows(IllegalArgumentException.class, () -> CustomSpans.parse("#load:data"));
    assertThrows(IllegalArgumentException.class, () -> CustomSpans.parse("com.acme.Loader#:data"));
  }

  @Test
  void theNameCheckAcceptsWhatTheRegularExpressionItReplacedAccepted() {
    String[] samples = {"com.acme.Loader", "com.acme.*", "Loader$1", "*", "load_2", "a.b", "lo(ad", "a-b", "a b",
        "é", "ab\u0661", "", ".", "x\ty", "a#b", "a:b", "Ä"};
    for (String s : samples) {
      assertEquals(s.matches("[\\w.$*]+"), CustomSpans.namePattern(s, true), "class pattern '" + s + "'");
      assertEquals(s.matches("[\\w$*]+"), CustomSpans.namePattern(s, false), "method pattern '" + s + "'");
    }
  }

  @Test
  void theHooksAreBuiltWhenFirstAskedForOneAnEntry() {
    CustomSpans spans = CustomSpans.parse("com.acme.Loader#load*:data; com.acme.*#mul:gemm");
    assertEquals(2, spans.hooks().size());
    assertTrue(spans.hooks() == spans.hooks(), "built once");
    assertEquals(List.of("com.acme.Loader", "com.acme."), spans.namedPackages());
  }
}
