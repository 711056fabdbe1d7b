package io.mltrace.agent.instrument;

import static net.bytebuddy.matcher.ElementMatchers.isMethod;

import io.mltrace.bootstrap.HookHealth;
import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.ThreadRecorder;
import java.util.function.BooleanSupplier;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.asm.AsmVisitorWrapper;
import net.bytebuddy.dynamic.ClassFileLocator;
import net.bytebuddy.implementation.Implementation;
import net.bytebuddy.pool.TypePool;

/**
 * Byte Buddy's advice weaving run on a class of the agent's own, whose woven bytes are thrown away: the classes that
 * weaving loads are loaded, and its hot methods are compiled, before the first framework class needs them. Without
 * it the first hooked class (DJL's {@code JniUtils}, ND4J's {@code NativeOpExecutioner}: hundreds of methods) is
 * woven by interpreted code on the application's thread: 170-250 ms on this project's VM, 80-145 ms after one round
 * here. Runs on the thread that builds the hooks ({@link Installer.Prepared}), while premain starts JFR.
 */
final class TransformWarmUp {
  private TransformWarmUp() {}

  /**
   * Weaves {@link Target} once, then again until {@code enough} says so; returns the rounds done (0: the first
   * failed, and the hooks weave as they would have without it). Never throws.
   */
  static int run(BooleanSupplier enough) {
    int rounds = 0;
    try {
      ClassFileLocator locator = ClassFileLocator.ForClassLoader.of(TransformWarmUp.class.getClassLoader());
      TypePool pool = new TypePool.Default.WithLazyResolution(new TypePool.CacheProvider.Simple(), locator,
          TypePool.Default.ReaderMode.FAST);
      Advice advice = Advice.withCustomMapping().bind(HookId.class, 0)
          .to(pool.describe(WarmUpAdvice.class.getName()).resolve(), locator);
      ByteBuddy byteBuddy = new ByteBuddy().with(Implementation.Context.Disabled.Factory.INSTANCE);
      do {
        byteBuddy.decorate(pool.describe(Target.class.getName()).resolve(), locator)
            .visit(new AsmVisitorWrapper.ForDeclaredMethods().invokable(isMethod(), advice))
            .make().getBytes();
        rounds++;
      } while (!enough.getAsBoolean());
    } catch (RuntimeException | LinkageError e) {
      // Only a warm-up: the hooks weave the same way without it, more slowly.
    }
    return rounds;
  }

  /** The shape of the op advice ({@code OpAdvice}) on purpose, for the same weaving work: never run, only woven. */
  static final class WarmUpAdvice {
    private WarmUpAdvice() {}

    @Advice.OnMethodEnter(suppress = Throwable.class)
    static ThreadRecorder enter(@HookId int hook) {
      return HookHealth.isOff(hook) ? null : Recorder.enterOp();
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    static void exit(@Advice.Enter ThreadRecorder tr, @Advice.Origin("#m") String name,
        @Advice.Argument(0) Object first) {
      Recorder.markOpEnd(tr);
      if (tr == null) {
        return;
      }
      Recorder.exitOp(tr, Kind.OP_OTHER, name, 0, 0, first instanceof long[] ? (long[]) first : null, null, null);
    }
  }

  /** Methods shaped like a framework's JNI wrappers; never called. */
  @SuppressWarnings("unused")
  static final class Target {
    private Target() {}

    static Object op0(Object a, Object b) { return a == null ? b : a; }
    static Object op1(Object a, long b) { return b > 0 ? a : null; }
    static Object op2(Object a, int[] b, boolean c) { return c && b.length > 0 ? a : null; }
    static Object op3(Object a, Object b, Object c) { return a != null ? b : c; }
    static long op4(Object a) { return a == null ? 0 : a.hashCode(); }
    static void op5(Object a, Object b) { if (a == b) { throw new IllegalStateException(); } }
    static Object op6(Object a, float b) { return b > 0 ? a : String.valueOf(b); }
    static Object op7(Object a, double b, double c) { return b > c ? a : null; }
    static Object op8(Object a, long[] b) { return b.length == 0 ? a : b; }
    static Object op9(Object a, Object b, long c, boolean d) { return d ? a : c > 0 ? b : null; }
  }
}
