package io.mltrace.agent.dl4j;

import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.factory.Nd4j;

/**
 * ND4J's memory levels, read by direct calls (no reflection: a step's close pays a few plain calls, interpreted or
 * compiled). Loaded only once {@link Dl4jMemory} has checked that the agent's class loader sees the ND4J the job
 * runs, and first called when a step closes, when the job has initialised ND4J.
 */
final class Nd4jLevels {
  /** The CPU backend's one device. */
  private static final Integer DEVICE = 0;

  private Nd4jLevels() {}

  /** JavaCPP's tracked bytes plus ND4J's own tracker (workspaces, constant and shape buffers). */
  static long offheap() {
    return Nd4j.getMemoryManager().allocatedMemory(DEVICE);
  }

  /** The sizes of the calling thread's workspaces. */
  static long workspaces() {
    long bytes = 0;
    for (MemoryWorkspace w : Nd4j.getWorkspaceManager().getAllWorkspacesForCurrentThread()) {
      bytes += w.getCurrentSize();
    }
    return bytes;
  }

  /** The process's resident memory (a read of {@code /proc}: about 1 µs). */
  static long physical() {
    return Pointer.physicalBytes();
  }
}
