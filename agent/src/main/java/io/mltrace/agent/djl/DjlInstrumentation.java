package io.mltrace.agent.djl;

import static net.bytebuddy.matcher.ElementMatchers.isBridge;
import static net.bytebuddy.matcher.ElementMatchers.isStatic;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.not;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.mltrace.agent.instrument.FrameworkInstrumentation;
import io.mltrace.agent.instrument.Hook;
import java.util.List;

/**
 * The DJL hooks: the training step ({@code Trainer.step} ends an iteration), the data fetch, the
 * {@code EasyTrain.trainBatch} phase, backward, and the GEMM-like calls of the PyTorch engine's {@code JniUtils}
 * (the Java methods around the native calls: native methods cannot take advice).
 */
public final class DjlInstrumentation implements FrameworkInstrumentation {
  static final String JNI_UTILS = "ai.djl.pytorch.jni.JniUtils";
  static final String NDARRAY = "ai.djl.ndarray.NDArray";
  static final String SHAPE = "ai.djl.ndarray.types.Shape";

  @Override
  public String name() {
    return "djl";
  }

  @Override
  public List<Hook> hooks() {
    return List.of(
        Hook.on(JNI_UTILS)
            .methods("linear(3)", named("linear").and(isStatic()).and(takesArguments(3)))
            .advice(LinearAdvice.class)
            .requires(NDARRAY, "getShape").requires(SHAPE, "getShape"),
        Hook.on(JNI_UTILS)
            .methods("matmul|bmm|dot(2)",
                named("matmul").or(named("bmm")).or(named("dot")).and(isStatic()).and(takesArguments(2)))
            .advice(MatmulAdvice.class)
            .requires(NDARRAY, "getShape").requires(SHAPE, "getShape"),
        Hook.on("ai.djl.training.EasyTrain")
            .methods("trainBatch", named("trainBatch").and(isStatic()))
            .advice(TrainBatchAdvice.class),
        Hook.on("ai.djl.training.Trainer")
            .methods("step()", named("step").and(takesArguments(0)))
            .advice(StepEndAdvice.class),
        Hook.on("ai.djl.training.Trainer")
            .methods("iterateDataset", named("iterateDataset"))
            .advice(LoopStartAdvice.class),
        Hook.on("ai.djl.training.dataset.DataIterable")
            .methods("next()", named("next").and(takesArguments(0)).and(not(isBridge())))
            .advice(DataAdvice.class),
        Hook.on("ai.djl.training.dataset.DataIterable")
            .methods("hasNext()", named("hasNext").and(takesArguments(0)))
            .advice(DataAdvice.class),
        Hook.on("ai.djl.training.dataset.Batch")
            .methods("close()", named("close").and(takesArguments(0)))
            .advice(BatchCloseAdvice.class),
        Hook.on("ai.djl.pytorch.engine.PtGradientCollector")
            .methods("backward(1)", named("backward").and(takesArguments(1)))
            .advice(BackwardAdvice.class));
  }
}
