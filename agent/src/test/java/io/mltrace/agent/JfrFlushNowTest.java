package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.lang.instrument.Instrumentation;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The flush on demand where it cannot be made: it says so (false), throws nothing, and tries to open JFR's module
 * once. The working flush, on JDK 17 and 25, is {@code ExitWaitIT}'s (a real agent's {@code Instrumentation}).
 */
class JfrFlushNowTest {

  /** An {@code Instrumentation} that answers {@code isModifiableModule} and records {@code redefineModule} calls. */
  private static Instrumentation instrumentation(boolean modifiable, List<String> calls) {
    return (Instrumentation) Proxy.newProxyInstance(Instrumentation.class.getClassLoader(),
        new Class<?>[] {Instrumentation.class}, (proxy, method, args) -> {
          calls.add(method.getName());
          switch (method.getName()) {
            case "isModifiableModule":
              return modifiable;
            case "redefineModule":
              @SuppressWarnings("unchecked")
              Map<String, Set<Module>> exports = (Map<String, Set<Module>>) args[2];
              calls.add("exports " + new java.util.TreeSet<>(exports.keySet()));
              return null; // exports nothing: the internals stay closed to this test's module
            default:
              throw new UnsupportedOperationException(method.getName());
          }
        });
  }

  @Test
  void aModuleThatCannotBeChangedGivesNoFlush() {
    List<String> calls = new ArrayList<>();
    java.util.function.BooleanSupplier flush = JfrFlushNow.lazy(instrumentation(false, calls));
    assertFalse(flush.getAsBoolean());
    assertFalse(flush.getAsBoolean());
    assertEquals(List.of("isModifiableModule"), calls, "asked once, changed nothing");
  }

  @Test
  void internalsStillClosedGiveNoFlushAndAreOpenedOnce() {
    List<String> calls = new ArrayList<>();
    java.util.function.BooleanSupplier flush = JfrFlushNow.lazy(instrumentation(true, calls));
    assertFalse(flush.getAsBoolean(), "the reflective call is refused: no flush, no exception");
    assertFalse(flush.getAsBoolean());
    assertEquals(3, calls.size(), "one isModifiableModule, one redefineModule: " + calls);
    assertEquals("exports [jdk.jfr.internal" + (Runtime.version().feature() >= 25 ? ", jdk.jfr.internal.util" : "")
        + "]", calls.get(2), "the packages this JDK has");
  }
}
