package io.mltrace.bootstrap;

import java.util.function.UnaryOperator;

/**
 * The sampling decision: whether a step is detailed (its spans recorded) or counted (counters and its skeleton only),
 * taken once when the step opens, under the one {@link SamplingPolicy} in force.
 *
 * <p>Threads: any thread may read; in the agent only {@code DetailControl} installs a policy. The rules by time keep
 * two fields of their own (the last interval sample, the last step a rule by time chose), written by whichever
 * training thread opens a step: a benign race, at worst two threads both take one interval's sample.
 */
public final class Sampling {
  private static volatile SamplingPolicy policy = SamplingPolicy.DEFAULT;
  private static volatile long lastIntervalSample = Long.MIN_VALUE / 2;
  /** The last step that a rule by time (interval, window by time) detailed when it opened. */
  private static volatile long timeSampledStep = -1;

  private Sampling() {}

  /** The policy in force. */
  public static SamplingPolicy policy() {
    return policy;
  }

  /** Puts {@code next} in force from the next step that opens (and, for op switches, the next op). */
  public static synchronized void install(SamplingPolicy next) {
    if (next == null) {
      throw new NullPointerException("policy");
    }
    policy = next;
  }

  /** Installs a change of the policy in force (tests, benchmarks): {@code install(change.apply(policy()))}. */
  public static synchronized void update(UnaryOperator<SamplingPolicy> change) {
    install(change.apply(policy));
  }

  /**
   * The decision, taken once when a step opens: detailed when every step is (full mode, tail sampling), when it
   * falls in an on-demand window (by number or by time), or by head sampling (every n-th step, or the first step
   * after each interval).
   */
  public static boolean isSampled(long stepNumber, long now) {
    SamplingPolicy p = policy;
    if (p.detailsByNumber(stepNumber) || stepNumber == timeSampledStep) {
      return true;
    }
    boolean byTime = p.inTimeWindow(now);
    long interval = p.sampleIntervalNanos;
    if (!byTime && interval > 0 && now - lastIntervalSample >= interval) {
      lastIntervalSample = now;
      byTime = true;
    }
    if (byTime) {
      timeSampledStep = stepNumber;
    }
    return byTime;
  }

  /**
   * True when step {@code stepNumber} (1-based) records spans: by the rules that depend on the number alone, or
   * because the rules by time chose it when it opened. No side effect, so the GPU window ({@code GpuTracing}) and
   * the engine profiler may ask it at each step boundary.
   */
  public static boolean isSampled(long stepNumber) {
    return policy.detailsByNumber(stepNumber) || stepNumber == timeSampledStep;
  }
}
