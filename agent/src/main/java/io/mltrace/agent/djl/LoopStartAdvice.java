package io.mltrace.agent.djl;

import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.dataset.DataIterable;
import io.mltrace.agent.instrument.HookId;
import io.mltrace.bootstrap.EngineProfile;
import io.mltrace.bootstrap.HookHealth;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.ThreadRecorder;
import io.mltrace.bootstrap.TimedBatches;
import net.bytebuddy.asm.Advice;

/**
 * {@code Trainer.iterateDataset}: a new pass over the data; a step left open by the previous loop is dropped, and
 * an engine profiler started for it is stopped (its trace discarded). The batches it returns are recorded as data
 * fetches whatever the dataset: DJL's {@code DataIterable} is hooked itself, any other iterable (a dataset's own
 * {@code getData}) is handed to the loop wrapped ({@link TimedBatches}).
 */
final class LoopStartAdvice {
  private LoopStartAdvice() {}

  @Advice.OnMethodEnter(suppress = Throwable.class)
  static void enter(@HookId int hook) {
    if (HookHealth.isOff(hook)) {
      return;
    }
    ThreadRecorder current = Recorder.current();
    if (EngineProfile.profiling(current)) {
      try {
        String file = EngineProfile.fileFor(current);
        JniUtils.stopProfile(file);
        java.nio.file.Files.deleteIfExists(java.nio.file.Paths.get(file));
      } catch (Throwable ignored) {
        // Nothing was running.
      }
    }
    Recorder.loopStart();
  }

  @Advice.OnMethodExit(suppress = Throwable.class)
  static void exit(@HookId int hook, @Advice.Return(readOnly = false) Iterable<?> batches) {
    if (!HookHealth.isOff(hook) && Recorder.isEnabled() && !(batches instanceof DataIterable)) {
      batches = TimedBatches.wrap(batches);
    }
  }
}
