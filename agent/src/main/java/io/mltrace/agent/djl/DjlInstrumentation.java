package io.mltrace.agent.djl;

import static net.bytebuddy.matcher.ElementMatchers.isBridge;
import static net.bytebuddy.matcher.ElementMatchers.isStatic;
import static net.bytebuddy.matcher.ElementMatchers.nameStartsWith;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.not;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import java.lang.instrument.Instrumentation;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.dynamic.DynamicType;
import net.bytebuddy.utility.JavaModule;

/**
 * Installs the DJL hooks: the training step ({@code Trainer.step} ends an iteration), the data fetch, the
 * {@code EasyTrain.trainBatch} phase, backward, and the GEMM-like calls of the PyTorch engine's {@code JniUtils}
 * (the Java methods around the native calls: native methods cannot take advice).
 */
public final class DjlInstrumentation {
  private DjlInstrumentation() {}

  public static void install(Instrumentation inst, boolean attached) {
    ClassLoader agentLoader = DjlInstrumentation.class.getClassLoader();
    AgentBuilder.Transformer.ForAdvice advice = new AgentBuilder.Transformer.ForAdvice().include(agentLoader);
    new AgentBuilder.Default()
        .disableClassFormatChanges()
        .with(AgentBuilder.RedefinitionStrategy.RETRANSFORMATION)
        .with(AgentBuilder.TypeStrategy.Default.DECORATE)
        .with(new OneLineErrors())
        .ignore(nameStartsWith("io.mltrace.").or(nameStartsWith("java.")).or(nameStartsWith("jdk."))
            .or(nameStartsWith("sun.")).or(nameStartsWith("net.bytebuddy.")))
        .type(named("ai.djl.pytorch.jni.JniUtils"))
        .transform(advice
            .advice(named("linear").and(isStatic()).and(takesArguments(3)), LinearAdvice.class.getName())
            .advice(named("matmul").or(named("bmm")).or(named("dot")).and(isStatic()).and(takesArguments(2)),
                MatmulAdvice.class.getName()))
        .type(named("ai.djl.training.EasyTrain"))
        .transform(advice.advice(named("trainBatch").and(isStatic()), TrainBatchAdvice.class.getName()))
        .type(named("ai.djl.training.Trainer"))
        .transform(advice
            .advice(named("step").and(takesArguments(0)), StepEndAdvice.class.getName())
            .advice(named("iterateDataset"), LoopStartAdvice.class.getName()))
        .type(named("ai.djl.training.dataset.DataIterable"))
        .transform(advice.advice(named("next").and(takesArguments(0)).and(not(isBridge())),
            DataAdvice.class.getName()))
        .type(named("ai.djl.pytorch.engine.PtGradientCollector"))
        .transform(advice.advice(named("backward").and(takesArguments(1)), BackwardAdvice.class.getName()))
        .installOn(inst);
  }

  /** Reports each type that could not be instrumented, once, on one line. */
  static final class OneLineErrors extends AgentBuilder.Listener.Adapter {
    private final Set<String> reported = ConcurrentHashMap.newKeySet();

    @Override
    public void onError(String typeName, ClassLoader classLoader, JavaModule module, boolean loaded,
        Throwable throwable) {
      if (reported.add(typeName)) {
        System.err.println("mltrace: could not instrument " + typeName + ": " + throwable);
      }
    }

    @Override
    public void onTransformation(TypeDescription typeDescription, ClassLoader classLoader, JavaModule module,
        boolean loaded, DynamicType dynamicType) {
      // Intentionally quiet.
    }
  }
}
