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
  /** The default of {@link #timedStepEvery(int)}. */
  public static final int DEFAULT_TIMED_STEP_EVERY = 10;
  /** Every n-th counted step times all its ops (0: none); see {@link #timedStepEvery(int)}. */
  private static volatile int timedStepEvery = DEFAULT_TIMED_STEP_EVERY;
  /**
   * What head sampling by count adds to a step's number: the framework's iteration count plus one, less the step's
   * number, as the last step whose iteration advanced showed ({@link #alignToIteration}); 0 when no step carried one.
   */
  private static volatile long iterationOffset;
  private static volatile long lastIteration = -1;

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

  /**
   * Every {@code n}-th step of a thread that is not detailed times all its ops, as a thread's first steps do (0:
   * none): no span records, two clock reads and the span path per op, so a measured split of each phase between
   * the framework and its ops, without a detailed step's recording in it. The collector learns from these steps how
   * counted steps' phases spend the time their estimates leave over. Applies from the next step that opens.
   */
  public static void timedStepEvery(int n) {
    timedStepEvery = Math.max(0, n);
  }

  static int timedStepEvery() {
    return timedStepEvery;
  }

  /**
   * Step {@code stepNumber} runs the framework's iteration {@code iteration} (DL4J's count, {@link StepIteration}):
   * from the next step on, head sampling by count ({@code sample_every=N}) details the steps whose iteration plus one
   * is a multiple of N, not whose number is. Why: a cluster job's workers then detail the same global iterations
   * (whose steps share one trace), even when their step numbers differ (an agent attached to one worker later, a
   * job resumed from a saved network). Learned only while the iteration advances: a count that stays put (DL4J's
   * gradient sharing leaves it at 0) leaves the step numbers in charge. Windows by number stay step numbers.
   *
   * <p>Called once per step on the training thread: no lock. Two training threads racing here can leave the offset
   * of either one's step; both name iterations of the same job.
   */
  public static void alignToIteration(long stepNumber, long iteration) {
    if (iteration > lastIteration) {
      lastIteration = iteration;
      iterationOffset = iteration + 1 - stepNumber;
    }
  }

  /** A step's number as head sampling by count reads it: moved onto the framework's iterations when known. */
  static long countedNumber(long stepNumber) {
    return stepNumber + iterationOffset;
  }

  /** Forgets the iterations seen (tests). */
  static synchronized void resetIterations() {
    lastIteration = -1;
    iterationOffset = 0;
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
    if (p.detailsByNumber(stepNumber, iterationOffset) || stepNumber == timeSampledStep) {
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
    return policy.detailsByNumber(stepNumber, iterationOffset) || stepNumber == timeSampledStep;
  }
}
