package io.mltrace.examples.groundtruth;

import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Injected memory ground truth for a DL4J job, inside each training step ({@code iterationDone} runs inside
 * {@code Solver.optimize}):
 * <ul>
 *   <li>keeps {@code keepBytesPerStep} of heap per step reachable for the rest of the run (a heap leak of known
 *       size: 16 KiB arrays, so that no collector counts them in whole regions);</li>
 *   <li>in step {@code allocateStep}, allocates {@code allocateBytes} of heap once and drops it (a known
 *       allocation);</li>
 *   <li>in every step, creates an ND4J array of {@code detachedBytesPerStep} outside any workspace and drops it (a
 *       known detached allocation);</li>
 *   <li>with {@code reportWorkspaces}, prints ND4J's own account of the thread's workspaces after every step:
 *       {@code workspaces step <n> bytes <sum of getCurrentSize()>}.</li>
 * </ul>
 */
public final class Dl4jMemoryListener extends BaseTrainingListener {
  private static final int CHUNK = 16 << 10;

  private final long keepBytesPerStep;
  private final int allocateStep;
  private final int allocateBytes;
  private final boolean reportWorkspaces;
  private final long detachedBytesPerStep;
  private final List<byte[]> kept = new ArrayList<>();
  private int step;
  /** Where the one-off allocation goes, so that the JIT cannot drop it. */
  static volatile byte[] allocated;

  public Dl4jMemoryListener(long keepBytesPerStep, int allocateStep, int allocateBytes, long detachedBytesPerStep,
      boolean reportWorkspaces) {
    this.keepBytesPerStep = keepBytesPerStep;
    this.detachedBytesPerStep = detachedBytesPerStep;
    this.allocateStep = allocateStep;
    this.allocateBytes = allocateBytes;
    this.reportWorkspaces = reportWorkspaces;
  }

  @Override
  public void iterationDone(Model model, int iteration, int epoch) {
    step++;
    for (long b = 0; b < keepBytesPerStep; b += CHUNK) {
      kept.add(new byte[CHUNK - 16]); // 16 KiB with the array header (compressed class pointers)
    }
    if (step == allocateStep) {
      allocated = new byte[allocateBytes];
      allocated = null;
    }
    if (detachedBytesPerStep > 0) {
      try (MemoryWorkspace none = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
        Nd4j.createUninitialized(DataType.FLOAT, detachedBytesPerStep / 4).close();
      }
    }
    if (reportWorkspaces) {
      long bytes = 0;
      for (MemoryWorkspace w : Nd4j.getWorkspaceManager().getAllWorkspacesForCurrentThread()) {
        bytes += w.getCurrentSize();
      }
      System.out.println("workspaces step " + step + " bytes " + bytes);
    }
  }
}
