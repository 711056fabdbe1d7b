package io.mltrace.agent.djl;

import static net.bytebuddy.matcher.ElementMatchers.declaresMethod;
import static net.bytebuddy.matcher.ElementMatchers.hasSuperType;
import static net.bytebuddy.matcher.ElementMatchers.isAbstract;
import static net.bytebuddy.matcher.ElementMatchers.isBridge;
import static net.bytebuddy.matcher.ElementMatchers.isConstructor;
import static net.bytebuddy.matcher.ElementMatchers.isInterface;
import static net.bytebuddy.matcher.ElementMatchers.isPublic;
import static net.bytebuddy.matcher.ElementMatchers.isStatic;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.namedOneOf;
import static net.bytebuddy.matcher.ElementMatchers.not;
import static net.bytebuddy.matcher.ElementMatchers.returns;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.mltrace.agent.instrument.FrameworkInstrumentation;
import io.mltrace.agent.instrument.Hook;
import io.mltrace.bootstrap.GemmShapes;
import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.ModelMemory;
import io.mltrace.bootstrap.TensorLife;
import java.util.ArrayList;
import java.util.List;
import net.bytebuddy.description.method.MethodDescription;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * The DJL hooks (PyTorch engine), by class and method name.
 *
 * <p>Training: the step ({@code Trainer.step} ends an iteration), its phases (data, forward, loss, backward,
 * optimizer, listener callbacks, and {@code EasyTrain.trainBatch} around forward, loss and backward), the model's
 * blocks as layers, and every tensor operation at {@code JniUtils}, the Java methods around the engine's native
 * calls (native methods cannot take advice): GEMM-like ones with shapes, type and FLOPs, copies with bytes, the
 * rest as other compute. Tensor lifetimes: {@code PtNDArray}'s constructors and {@code close} ({@code TensorLife}).
 * Inference: {@code Predictor.batchPredict} as a root span with the translator's pre- and
 * post-processing and the model forward inside. Evaluation ({@code Trainer.evaluate}, {@code EasyTrain}'s validation)
 * as root spans too, so that a validation pass between two training iterations counts in neither.
 */
public final class DjlInstrumentation implements FrameworkInstrumentation {
  static final String JNI_UTILS = "ai.djl.pytorch.jni.JniUtils";
  static final String PT_NDARRAY = "ai.djl.pytorch.engine.PtNDArray";
  static final String NDLIST = "ai.djl.ndarray.NDList";
  static final String PT_NDMANAGER = "ai.djl.pytorch.engine.PtNDManager";
  static final String EVALUATOR = "ai.djl.training.evaluator.Evaluator";
  /** The root of an evaluator's update, its name in {@code outside_steps}. */
  static final String UPDATE_ACCUMULATOR = "updateAccumulator";

  /** JniUtils methods with their own advice: not generic ops. */
  static final String[] GEMM_OPS = {"linear", "matmul", "bmm", "dot", "convolution", "lstm", "gru", "rnn"};
  /** JniUtils methods that return arrays but are no compute op (gradient handles) or have their own advice. */
  static final String[] NOT_OPS = {"getGradient", "detachGradient", "to", "createNdFromByteBuffer",
      "moduleGetParams"};
  /** JniUtils methods that return nothing but change an array in place. */
  static final String[] IN_PLACE_OPS = {"addi", "subi", "muli", "divi", "remainderi", "powi", "signi", "negi",
      "indexSet", "indexAdvPut", "booleanMaskSet", "zeroGrad", "sgdUpdate", "adamUpdate"};

  @Override
  public String name() {
    return "djl";
  }

  @Override
  public List<String> ownPackages() {
    return List.of("ai.djl.");
  }

  @Override
  public List<String> familySupertypes() {
    return FAMILIES;
  }

  /** The supertypes its family hooks match below. */
  static final List<String> FAMILIES = List.of("ai.djl.translate.Batchifier", "ai.djl.training.loss.Loss", EVALUATOR,
      "ai.djl.Model", "ai.djl.translate.PreProcessor", "ai.djl.translate.PostProcessor");

  private final boolean memory;

  /** The hooks, with the tensor lifetimes ({@code memory=on}, the default). */
  public DjlInstrumentation() {
    this(true);
  }

  /** The hooks; {@code memory} false leaves the tensor hooks out ({@code memory=off}). */
  public DjlInstrumentation(boolean memory) {
    this.memory = memory;
    if (memory) {
      ModelMemory.install(new DjlModelMemory());
      TensorLife.labelHoldersWith(new DjlManagerLabels());
      TensorLife.countElementsWith(new DjlTensorElements());
    }
  }

  @Override
  public List<Hook> hooks() {
    List<Hook> hooks = new ArrayList<>(timingHooks());
    if (memory) {
      // Tensor lifetimes (memory per step, the leak finder).
      hooks.add(Hook.on(PT_NDARRAY)
          .methods("<init>(manager, handle)", isConstructor().and(takesArgument(0, named(PT_NDMANAGER)))
              .and(takesArgument(1, long.class)))
          .advice(ArrayCreatedAdvice.class));
      hooks.add(Hook.on(PT_NDARRAY)
          .methods("close()", named("close").and(takesArguments(0)))
          .advice(ArrayClosedAdvice.class));
    }
    return hooks;
  }

  /** Ops, layers, the step and its phases. */
  private List<Hook> timingHooks() {
    return List.of(
        // ---- ops --------------------------------------------------------------------------------------------
        jni("linear(3)", named("linear").and(takesArguments(3)).and(arrays(0, 1)), GemmAdvice.class)
            .bind(BoundGemmForm.class, GemmShapes.LINEAR),
        jni("matmul|bmm|dot(2)", namedOneOf("matmul", "bmm", "dot").and(takesArguments(2)).and(arrays(0, 1)),
            GemmAdvice.class).bind(BoundGemmForm.class, GemmShapes.MATMUL),
        jni("convolution(7)", named("convolution").and(takesArguments(7)).and(arrays(0, 1)), ConvolutionAdvice.class),
        jni("lstm", named("lstm").and(recurrentArguments()), RecurrentAdvice.class),
        jni("gru|rnn", namedOneOf("gru", "rnn").and(recurrentArguments()), RecurrentAdvice.class),
        jni("to(3)", named("to").and(takesArguments(3)).and(takesArgument(0, named(PT_NDARRAY))),
            CopyAdvice.class),
        jni("set|createNdFromByteBuffer", namedOneOf("set", "createNdFromByteBuffer")
            .and(takesArgument(1, named("java.nio.ByteBuffer"))), HostCopyAdvice.class),
        jni("getByteBuffer", named("getByteBuffer"), ReadOutAdvice.class),
        jni("other ops", otherOps(), OpAdvice.class),
        // ---- layers -----------------------------------------------------------------------------------------
        Hook.on("ai.djl.nn.AbstractBaseBlock")
            .methods("forward(4)", named("forward").and(takesArguments(4)).and(takesArgument(1, named(NDLIST))))
            .advice(LayerAdvice.class),
        // ---- training step and phases -----------------------------------------------------------------------
        Hook.on("ai.djl.training.Trainer")
            .methods("step()", named("step").and(takesArguments(0)))
            .advice(StepEndAdvice.class),
        Hook.on("ai.djl.training.Trainer")
            .methods("iterateDataset", named("iterateDataset").and(returns(named("java.lang.Iterable"))))
            .advice(LoopStartAdvice.class),
        Hook.on("ai.djl.training.Trainer")
            .methods("forward", named("forward").and(takesArgument(0, named(NDLIST))))
            .stepPart(Kind.PHASE, "forward"),
        Hook.on("ai.djl.training.Trainer")
            .methods("notifyListeners", named("notifyListeners"))
            .span(Kind.PHASE, "listeners"),
        Hook.on("ai.djl.training.dataset.DataIterable")
            .methods("next()", named("next").and(takesArguments(0)).and(not(isBridge())))
            .stepPart(Kind.DATA, "data"),
        Hook.on("ai.djl.training.dataset.DataIterable")
            .methods("hasNext()", named("hasNext").and(takesArguments(0)))
            .stepPart(Kind.DATA, "data"),
        Hook.on("ai.djl.training.dataset.Batch")
            .methods("close()", named("close").and(takesArguments(0)))
            .span(Kind.DATA, "batch.close"),
        Hook.onSubtypesOf("ai.djl.translate.Batchifier", "Batchifier implementations",
                implementing("ai.djl.translate.Batchifier", "batchify"))
            .methods("batchify", named("batchify").and(not(isAbstract())))
            .span(Kind.PHASE, "batchify"),
        Hook.on("ai.djl.training.EasyTrain")
            .methods("trainBatch", named("trainBatch").and(isStatic()))
            .stepPart(Kind.PHASE, "trainBatch"),
        Hook.onSubtypesOf("ai.djl.training.loss.Loss", "Loss subclasses",
                implementing("ai.djl.training.loss.Loss", "evaluate"))
            .methods("evaluate(2)", named("evaluate").and(takesArguments(2)).and(not(isAbstract()))
                .and(not(isBridge())))
            .advice(LossAdvice.class),
        Hook.on("ai.djl.pytorch.engine.PtGradientCollector")
            .methods("backward(1)", named("backward").and(takesArguments(1)))
            .advice(BackwardAdvice.class),
        // ---- evaluation between training steps: roots outside any step ----------------------------------------
        // A validation pass a training loop runs between two iterations is in neither of them: without these it was
        // billed to the next step (as its forward compute). EasyTrain's pass (its batch fetches included), one
        // validation batch of it, and the forward call a hand-written loop makes.
        Hook.on("ai.djl.training.EasyTrain")
            .methods("evaluateDataset", named("evaluateDataset").and(isStatic()))
            .root(Kind.INFERENCE, "evaluateDataset"),
        Hook.on("ai.djl.training.EasyTrain")
            .methods("validateBatch", named("validateBatch").and(isStatic()))
            .root(Kind.INFERENCE, "validateBatch"),
        Hook.on("ai.djl.training.Trainer")
            .methods("evaluate(NDList)", named("evaluate").and(takesArguments(1))
                .and(takesArgument(0, named(NDLIST))))
            .root(Kind.INFERENCE, "evaluate"),
        // The evaluators' accumulators a loop updates after Trainer.evaluate (the validation accuracy; the trainer's
        // loss is an evaluator too): without these roots their ops ran in the step the pass's last root had opened,
        // which the next root abandoned, so the pass lost their time. Inside a span (EasyTrain's listeners call it in
        // trainBatch every step; an evaluation root) it records nothing; after a phase of the iteration (a loop's own
        // call before Trainer.step) it is a span of the step. DJL 0.17 has only the first.
        Hook.onSubtypesOf(EVALUATOR, "Evaluator implementations", implementing(EVALUATOR, "updateAccumulator"))
            .methods("updateAccumulator(3)", named("updateAccumulator").and(takesArguments(3))
                .and(not(isAbstract())))
            .rootOutsideSpans(Kind.INFERENCE, UPDATE_ACCUMULATOR),
        Hook.onSubtypesOf(EVALUATOR, "Evaluator implementations", implementing(EVALUATOR, "updateAccumulators"))
            .methods("updateAccumulators(3)", named("updateAccumulators").and(takesArguments(3))
                .and(not(isAbstract())))
            .rootOutsideSpans(Kind.INFERENCE, UPDATE_ACCUMULATOR),
        // A checkpoint a loop saves between two iterations: without this root its write was the next step's input
        // time (data).
        Hook.onSubtypesOf("ai.djl.Model", "Model implementations", implementing("ai.djl.Model", "save"))
            .methods("save(Path, String)", named("save").and(takesArguments(2)).and(not(isAbstract())))
            .root(Kind.INFERENCE, "save"),
        // ---- inference --------------------------------------------------------------------------------------
        Hook.on("ai.djl.inference.Predictor")
            .methods("batchPredict", named("batchPredict").and(takesArguments(1)))
            .root(Kind.INFERENCE, "predict"),
        Hook.on("ai.djl.inference.Predictor")
            .methods("predictInternal", named("predictInternal"))
            .span(Kind.PHASE, "forward"),
        Hook.onSubtypesOf("ai.djl.translate.PreProcessor", "PreProcessor implementations",
                implementing("ai.djl.translate.PreProcessor", "processInput"))
            .methods("processInput", named("processInput").and(takesArguments(2)).and(not(isAbstract()))
                .and(not(isBridge())))
            .span(Kind.PHASE, "preprocess"),
        Hook.onSubtypesOf("ai.djl.translate.PostProcessor", "PostProcessor implementations",
                implementing("ai.djl.translate.PostProcessor", "processOutput"))
            .methods("processOutput", named("processOutput").and(takesArguments(2)).and(not(isAbstract()))
                .and(not(isBridge())))
            .span(Kind.PHASE, "postprocess"));
  }

  /**
   * The advice casts these arguments to DJL arrays: a version whose signature differs does not match, and the
   * hook is reported as skipped instead of recording wrong values.
   */
  private static ElementMatcher.Junction<MethodDescription> arrays(int first, int second) {
    return takesArgument(first, named(PT_NDARRAY)).and(takesArgument(second, named(PT_NDARRAY)));
  }

  /** {@code lstm/gru/rnn(input, hx, params, ...)}: the advice reads the input array and the weight list. */
  private static ElementMatcher.Junction<MethodDescription> recurrentArguments() {
    return takesArgument(0, named(PT_NDARRAY)).and(takesArgument(2, named(NDLIST)));
  }

  /** A hook on a public static method of {@code JniUtils}. */
  private static Hook jni(String label, ElementMatcher.Junction<MethodDescription> methods, Class<?> advice) {
    return Hook.on(JNI_UTILS)
        .methods(label, methods.and(isStatic()).and(isPublic()))
        .advice(advice);
  }

  /**
   * Every other op: methods that return an array or a list of arrays, or change an array in place, and take a
   * DJL type first. Metadata reads (shape, type, device) return other types and are not matched, so the advice's
   * own shape reads are never recorded as ops.
   */
  static ElementMatcher.Junction<MethodDescription> otherOps() {
    return not(namedOneOf(GEMM_OPS)).and(not(namedOneOf(NOT_OPS)))
        .and(returns(named(PT_NDARRAY)).or(returns(named(NDLIST))).or(namedOneOf(IN_PLACE_OPS)))
        .and(not(takesArguments(0)))
        .and(takesArgument(0, net.bytebuddy.matcher.ElementMatchers.nameStartsWith("ai.djl.")));
  }

  /** Concrete classes below {@code superType} that declare {@code method} themselves. */
  private static ElementMatcher.Junction<net.bytebuddy.description.type.TypeDescription> implementing(
      String superType, String method) {
    // The cheap declared-method test first: the super type walk only runs for the few classes that pass it.
    return declaresMethod(named(method).and(not(isAbstract()))).and(not(isInterface()))
        .and(hasSuperType(named(superType)));
  }
}
