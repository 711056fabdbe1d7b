package io.mltrace.agent.djl;

import ai.djl.pytorch.jni.JniUtils;
import io.mltrace.agent.instrument.HookId;
import io.mltrace.bootstrap.EngineProfile;
import io.mltrace.bootstrap.HookHealth;
import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.ModelMemory;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.ThreadRecorder;
import net.bytebuddy.asm.Advice;

/**
 * {@code Trainer.step()}: the optimizer update, which ends a training iteration.
 *
 * <p>With {@code djl_profile_every}, PyTorch's own profiler runs during chosen steps: it is started right after the
 * step before them ends, and stopped (its trace merged into the step by {@link Recorder#mergeProfile}) before this
 * step's optimizer phase begins. The engine calls sit in their own try blocks: with another engine (no
 * {@code JniUtils}) they fail alone and the step is still closed.
 */
final class StepEndAdvice {
  private StepEndAdvice() {}

  @Advice.OnMethodEnter(suppress = Throwable.class)
  static ThreadRecorder enter(@HookId int hook) {
    if (HookHealth.isOff(hook)) {
      return null;
    }
    ThreadRecorder current = Recorder.current();
    if (EngineProfile.profiling(current)) {
      // The profiler's own cost (writing and reading its trace) shows as a phase of the step, not as a gap.
      ThreadRecorder span = Recorder.enterSpan();
      try {
        String file = EngineProfile.fileFor(current);
        JniUtils.stopProfile(file);
        EngineProfile.mergeInto(current, file);
      } catch (Throwable ignored) {
        // No profile for this step; the recording goes on.
      } finally {
        Recorder.exitSpan(span, Kind.PHASE, "engine_profiler");
      }
    }
    return Recorder.enterStepEnd();
  }

  @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
  static void exit(@Advice.Enter ThreadRecorder tr, @Advice.This Object trainer) {
    if (tr != null) {
      ModelMemory.stepEnding(trainer); // every so many steps: parameters, gradients, optimizer state
    }
    Recorder.exitStepEnd(tr, "optimizer");
    if (EngineProfile.profiling(tr)) {
      try {
        JniUtils.startProfile(false, false, false);
        EngineProfile.started(tr, System.nanoTime());
      } catch (Throwable ignored) {
        // The next step is recorded without the engine's profile (and gets the backward estimate instead).
      }
    }
  }
}
