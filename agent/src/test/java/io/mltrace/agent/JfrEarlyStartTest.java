package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class JfrEarlyStartTest {
  @Test
  void jfrStartsBeforeTheOptionsOnlyWhereNothingNamesJvmEvents() {
    assertFalse(JfrEarlyStart.jvmEventsNamed(null, null, null));
    assertFalse(JfrEarlyStart.jvmEventsNamed("output=/tmp/out,mode=full", null, null));
    // Named anywhere, on or off: the options decide, after they are read.
    assertTrue(JfrEarlyStart.jvmEventsNamed("output=/tmp/out,jvm_events=off", null, null));
    assertTrue(JfrEarlyStart.jvmEventsNamed("jvm_events=on", null, null));
    assertTrue(JfrEarlyStart.jvmEventsNamed(null, "off", null));
    assertTrue(JfrEarlyStart.jvmEventsNamed("", null, "off"));
  }
}
