package io.mltrace.agent.djl;

import ai.djl.pytorch.jni.JniUtils;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.ThreadRecorder;
import net.bytebuddy.asm.Advice;

/**
 * {@code Trainer.iterateDataset}: a new pass over the data; a step left open by the previous loop is dropped, and
 * an engine profiler started for it is stopped (its trace discarded).
 */
final class LoopStartAdvice {
  private LoopStartAdvice() {}

  @Advice.OnMethodEnter(suppress = Throwable.class)
  static void enter() {
    ThreadRecorder current = Recorder.current();
    if (Recorder.profiling(current)) {
      try {
        String file = Recorder.profileFile(current);
        JniUtils.stopProfile(file);
        java.nio.file.Files.deleteIfExists(java.nio.file.Paths.get(file));
      } catch (Throwable ignored) {
        // Nothing was running.
      }
    }
    Recorder.loopStart();
  }
}
