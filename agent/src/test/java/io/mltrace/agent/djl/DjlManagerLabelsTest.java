package io.mltrace.agent.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The label of a step's surviving arrays' holder. The unit tests' class path has no PyTorch native library, so the
 * managers here are stand-ins with the two methods the labels read; real DJL managers are labelled in
 * {@code DjlMemoryLeakIT} (a job's named manager, DJL's {@code batch}).
 */
class DjlManagerLabelsTest {
  private final DjlManagerLabels labels = new DjlManagerLabels();

  /** Shaped like DJL's {@code NDManager}: a name (made up when none was given) and a parent. */
  public static final class Manager {
    private static int made;
    private final Manager parent;
    private String name = "uid-63222416125730-" + made++;

    Manager(Manager parent) {
      this.parent = parent;
    }

    public String getName() {
      return name;
    }

    public Manager getParentManager() {
      return parent;
    }
  }

  @Test
  void aNamedManagerIsItsNameAndAnUnnamedOneIsPlacedUnderItsNearestNamedParent() {
    Manager system = new Manager(null);
    assertEquals("(unnamed)", labels.label(system), "no named parent either");
    Manager cache = new Manager(system);
    cache.name = "cache";
    assertEquals("cache", labels.label(cache));
    Manager scratch = new Manager(new Manager(cache));
    assertEquals("(unnamed under cache)", labels.label(scratch), "two levels up");
  }

  @Test
  void generatedNamesAreToldFromAUsersOnes() {
    assertTrue(DjlManagerLabels.isGenerated("uid-63222416125730-3"));
    assertTrue(DjlManagerLabels.isGenerated(UUID.randomUUID().toString()));
    assertFalse(DjlManagerLabels.isGenerated("uid-cache"));
    assertFalse(DjlManagerLabels.isGenerated("batch"));
  }

  @Test
  void anObjectThatIsNoManagerIsUnnamedAndNothingIsThrown() {
    assertEquals("(unnamed)", labels.label(new Object()));
  }
}
