package io.mltrace.agent.dl4j;

import static net.bytebuddy.matcher.ElementMatchers.declaresMethod;
import static net.bytebuddy.matcher.ElementMatchers.hasSuperType;
import static net.bytebuddy.matcher.ElementMatchers.isBridge;
import static net.bytebuddy.matcher.ElementMatchers.isAbstract;
import static net.bytebuddy.matcher.ElementMatchers.isInterface;
import static net.bytebuddy.matcher.ElementMatchers.isStatic;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.namedOneOf;
import static net.bytebuddy.matcher.ElementMatchers.nameStartsWith;
import static net.bytebuddy.matcher.ElementMatchers.not;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import io.mltrace.agent.instrument.FrameworkInstrumentation;
import io.mltrace.agent.instrument.Hook;
import io.mltrace.bootstrap.Kind;
import io.mltrace.bootstrap.DetachedBuffers;
import io.mltrace.bootstrap.ModelMemory;
import io.mltrace.bootstrap.StepIteration;
import java.util.ArrayList;
import java.util.List;
import net.bytebuddy.description.method.MethodDescription;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * The Deeplearning4j / ND4J hooks (written against 1.0.0-M2.1; see the package documentation for what each
 * becomes). The installer checks each hook against the classes and methods its advice's bytecode calls, so a release
 * without them skips that hook with one stderr line.
 */
public final class Dl4jInstrumentation implements FrameworkInstrumentation {
  static final String MLN = "org.deeplearning4j.nn.multilayer.MultiLayerNetwork";
  static final String GRAPH = "org.deeplearning4j.nn.graph.ComputationGraph";
  static final String LAYER = "org.deeplearning4j.nn.api.Layer";
  static final String WORKSPACE_MGR = "org.deeplearning4j.nn.workspace.LayerWorkspaceMgr";
  static final String INDARRAY = "org.nd4j.linalg.api.ndarray.INDArray";
  static final String EXECUTIONER = "org.nd4j.linalg.cpu.nativecpu.ops.NativeOpExecutioner";
  static final String CUSTOM_OP = "org.nd4j.linalg.api.ops.CustomOp";
  static final String OP = "org.nd4j.linalg.api.ops.Op";
  static final String OP_CONTEXT = "org.nd4j.linalg.api.ops.OpContext";
  static final String DATA_SET_ITERATOR = "org.nd4j.linalg.dataset.api.iterator.DataSetIterator";
  static final String MULTI_DATA_SET_ITERATOR = "org.nd4j.linalg.dataset.api.iterator.MultiDataSetIterator";
  static final List<String> UNHOOKED = List.of("org.nd4j.linalg.api.ops.", "org.nd4j.autodiff.",
      "org.nd4j.linalg.cpu.nativecpu.bindings.", "org.bytedeco.", "org.nd4j.shade.", "org.nd4j.ir.", "org.nd4j.imports.",
      "org.nd4j.nativeblas.");
  static final String MEMORY_WORKSPACE = "org.nd4j.linalg.api.memory.MemoryWorkspace";
  static final String I_EVALUATION = "org.nd4j.evaluation.IEvaluation";
  static final String STEP_FUNCTION = "org.deeplearning4j.optimize.api.StepFunction";
  /** The supertypes its family hooks match below (its layers' hooks are confined to its own package). */
  static final List<String> FAMILIES = List.of(DATA_SET_ITERATOR, MULTI_DATA_SET_ITERATOR, STEP_FUNCTION,
      I_EVALUATION);
  static final String OPAQUE_DATA_BUFFER = "org.nd4j.nativeblas.OpaqueDataBuffer";
  /** ND4J's CPU backend frees a collected detached buffer here. */
  static final String CPU_DEALLOCATOR = "org.nd4j.linalg.cpu.nativecpu.buffer.CpuDeallocator";
  private final boolean memory;
  private final boolean tensors;

  /** The hooks, with the memory readings ({@code memory=on}, the default). */
  public Dl4jInstrumentation() {
    this(true);
  }

  /** The hooks; {@code memory} false leaves the memory levels off ({@code memory=off}). */
  public Dl4jInstrumentation(boolean memory) {
    this(memory, false);
  }

  /**
   * The hooks; {@code memory} false leaves the memory levels off ({@code memory=off}); {@code tensors} true follows
   * ND4J's buffers as tensors too ({@code memory=full}).
   */
  public Dl4jInstrumentation(boolean memory, boolean tensors) {
    this.memory = memory;
    StepIteration.install(new Dl4jIteration());
    if (memory) {
      ModelMemory.install(new Dl4jModelMemory());
      DetachedBuffers.follow();
    }
    this.tensors = tensors;
  }

  @Override
  public String name() {
    return "dl4j";
  }

  @Override
  public List<String> ownPackages() {
    return List.of("org.deeplearning4j.", "org.nd4j.");
  }

  @Override
  public List<String> familySupertypes() {
    return FAMILIES;
  }

  /** ND4J's thousands of op classes, SameDiff, the native bindings and shaded libraries: no hook matches there. */
  @Override
  public List<String> unhookedPackages() {
    return UNHOOKED;
  }

  @Override
  public List<Hook> hooks() {
    // activate(training, mgr), and activate(input, training, mgr), which recurrent layers override directly.
    ElementMatcher.Junction<MethodDescription> activate = named("activate").and(
        takesArguments(2).and(takesArgument(0, boolean.class)).and(takesArgument(1, named(WORKSPACE_MGR)))
            .or(takesArguments(3).and(takesArgument(0, named(INDARRAY))).and(takesArgument(1, boolean.class))
                .and(takesArgument(2, named(WORKSPACE_MGR)))));
    ElementMatcher.Junction<MethodDescription> backprop = named("backpropGradient").and(takesArguments(2))
        .and(takesArgument(0, named(INDARRAY))).and(takesArgument(1, named(WORKSPACE_MGR)));
    ElementMatcher.Junction<MethodDescription> fetch = named("next").and(takesArguments(0)).and(not(isBridge()))
        .or(named("hasNext").and(takesArguments(0)));
    ElementMatcher.Junction<MethodDescription> legacyExec = named("exec").and(takesArgument(1, named(OP_CONTEXT)))
        .and(not(takesArgument(0, named(OP)))).and(not(takesArgument(0, named(CUSTOM_OP))));
    List<Hook> hooks = new ArrayList<>(List.of(
        // Steps and phases.
        Hook.on("org.deeplearning4j.optimize.Solver")
            .methods("optimize(1)", named("optimize").and(takesArguments(1)))
            .advice(OptimizeAdvice.class),
        Hook.on(MLN)
            .methods("fit(DataSetIterator)", named("fit").and(takesArguments(1))
                .and(takesArgument(0, named(DATA_SET_ITERATOR))))
            .advice(FitLoopAdvice.class),
        Hook.on(GRAPH)
            .methods("fit(MultiDataSetIterator)", named("fit").and(takesArguments(1))
                .and(takesArgument(0, named(DATA_SET_ITERATOR)).or(takesArgument(0, named(MULTI_DATA_SET_ITERATOR)))))
            .advice(FitLoopAdvice.class),
        // One batch, as a loop the user wrote feeds it (every single-batch fit ends in these).
        Hook.on(MLN)
            .methods("fit(INDArray x4)", named("fit").and(takesArguments(4))
                .and(takesArgument(0, named(INDARRAY))).and(takesArgument(1, named(INDARRAY))))
            .advice(FitBatchAdvice.class),
        Hook.on(GRAPH)
            .methods("fit(INDArray[] x4)", named("fit").and(takesArguments(4))) // the graph's only 4-argument fit
            .advice(FitBatchAdvice.class),
        Hook.onSubtypesOf(DATA_SET_ITERATOR, "DataSetIterator+", concrete(DATA_SET_ITERATOR, fetch))
            .methods("next()|hasNext()", fetch)
            .advice(DataAdvice.class),
        Hook.onSubtypesOf(MULTI_DATA_SET_ITERATOR, "MultiDataSetIterator+",
            concrete(MULTI_DATA_SET_ITERATOR, fetch))
            .methods("next()|hasNext()", fetch)
            .advice(DataAdvice.class),
        Hook.on(MLN)
            .methods("ffToLayerActivationsInWs", named("ffToLayerActivationsInWs"))
            .span(Kind.PHASE, "forward"),
        Hook.on(GRAPH)
            .methods("ffToLayerActivationsInWS", named("ffToLayerActivationsInWS"))
            .span(Kind.PHASE, "forward"),
        Hook.on(MLN)
            .methods("calcBackpropGradients", named("calcBackpropGradients"))
            .span(Kind.PHASE, "backward"),
        Hook.on(GRAPH)
            .methods("calcBackpropGradients", named("calcBackpropGradients"))
            .span(Kind.PHASE, "backward"),
        Hook.on("org.deeplearning4j.nn.updater.BaseMultiLayerUpdater")
            .methods("update(6)", named("update").and(takesArguments(6)))
            .span(Kind.PHASE, "updater"),
        Hook.onSubtypesOf(STEP_FUNCTION, "StepFunction+", concrete(STEP_FUNCTION,
                named("step").and(takesArguments(2))))
            .methods("step(2)", named("step").and(takesArguments(2)))
            .span(Kind.PHASE, "updater"),
        // Inference.
        Hook.on(MLN)
            .methods("output(5)", named("output").and(takesArguments(5))
                .and(takesArgument(4, named(MEMORY_WORKSPACE))))
            .advice(OutputAdvice.class),
        // The graph's three terminal output methods (they do not call each other).
        Hook.on(GRAPH)
            .methods("output(5)|output(boolean, boolean, INDArray...)|output(List, ...)", named("output").and(
                takesArguments(5).and(takesArgument(4, named(MEMORY_WORKSPACE)))
                    .or(takesArguments(3).and(takesArgument(0, boolean.class)).and(takesArgument(1, boolean.class)))
                    .or(takesArguments(4).and(takesArgument(0, named("java.util.List"))))))
            .advice(OutputAdvice.class),
        // Layers.
        Hook.onTypes("Layer+.activate", layers(activate))
            .methods("activate(2|3)", activate)
            .advice(LayerActivateAdvice.class),
        Hook.onTypes("Layer+.backpropGradient", layers(backprop))
            .methods("backpropGradient(2)", backprop)
            .advice(LayerBackpropAdvice.class),
        // Ops, at the executioner just before the native calls.
        Hook.on(EXECUTIONER)
            .methods("exec(CustomOp, OpContext)", named("exec").and(takesArguments(2))
                .and(takesArgument(0, named(CUSTOM_OP))).and(takesArgument(1, named(OP_CONTEXT))))
            .advice(CustomOpAdvice.class),
        Hook.on(EXECUTIONER)
            .methods("exec(XxxOp, OpContext...)", legacyExec)
            .advice(LegacyOpAdvice.class),
        // Memory.
        Hook.on("org.nd4j.linalg.api.memory.abstracts.Nd4jWorkspace")
            .methods("alloc(4)", named("alloc").and(takesArguments(4)).and(takesArgument(0, long.class)))
            .advice(WorkspaceAllocAdvice.class),
        Hook.on(OPAQUE_DATA_BUFFER)
            .methods("allocateDataBuffer(3)", named("allocateDataBuffer").and(takesArguments(3))
                .and(takesArgument(0, long.class)))
            .advice(DetachedAllocAdvice.class)));
    if (memory) {
      hooks.add(Hook.on(OPAQUE_DATA_BUFFER)
          .methods("closeBuffer()", named("closeBuffer").and(takesArguments(0)))
          .advice(DetachedFreedAdvice.Closed.class));
      hooks.add(Hook.on(CPU_DEALLOCATOR)
          .methods("deallocate()", named("deallocate").and(takesArguments(0)))
          .advice(DetachedFreedAdvice.Deallocated.class));
      hooks.addAll(tensors ? tensorHooks(BufferCreatedAdvice.class, BufferClosedAdvice.class)
          : tensorHooks(BufferCreatedInStepAdvice.class, BufferClosedInStepAdvice.class));
    }
    hooks.addAll(evaluationHooks());
    // A checkpoint a loop saves between two iterations (net.save, ModelSerializer.writeModel: every overload ends in
    // the one that writes a stream; nested calls are spans of the outermost), as evaluation is: without this root
    // its write was the next step's input time (data).
    hooks.add(Hook.on("org.deeplearning4j.util.ModelSerializer")
        .methods("writeModel(...)", named("writeModel").and(isStatic()))
        .root(Kind.INFERENCE, "save"));
    return hooks;
  }

  /**
   * Evaluation between training steps, as roots outside any step: without them a validation pass in a loop that
   * calls {@code fit(DataSet)} was billed to the next step as its input time (it runs before the step's first
   * phase). Every {@code evaluate*}, {@code evaluateROC*} and {@code evaluateRegression} ends in
   * {@code doEvaluation}; {@code score(DataSet)} in {@code score(.., boolean)}. Nested calls are spans of the
   * outermost one.
   */
  private static List<Hook> evaluationHooks() {
    List<Hook> hooks = new ArrayList<>();
    // An evaluation a loop fills itself (eval(labels, network.output(x)) per batch, the validation accuracy): without
    // this root its ops ran in the step the output root's end had opened, which the next root abandoned, so the pass
    // lost their time. Inside a span (evaluate(...), a listener during fit) it records nothing: its caller's time.
    hooks.add(Hook.onSubtypesOf(I_EVALUATION, "IEvaluation implementations",
            concrete(I_EVALUATION, evalOfArrays()))
        .methods("eval|evalTimeSeries(INDArray, INDArray, ...)", evalOfArrays())
        .rootOutsideSpans(Kind.INFERENCE, "eval"));
    for (String network : List.of(MLN, GRAPH)) {
      // The user's call is the outermost root: evaluate(...) builds its evaluations (on the first call, loading
      // their classes) before it calls doEvaluation, which DL4J's own callers (listeners, early stopping) call.
      hooks.add(Hook.on(network)
          .methods("evaluate*|doEvaluation", nameStartsWith("evaluate").or(named("doEvaluation")))
          .root(Kind.INFERENCE, "evaluate"));
      hooks.add(Hook.on(network)
          .methods("score(DataSet|MultiDataSet, boolean)", named("score").and(takesArguments(2))
              .and(takesArgument(1, boolean.class)))
          .root(Kind.INFERENCE, "score"));
    }
    return hooks;
  }

  /** {@code eval} and {@code evalTimeSeries} of labels and predictions (not {@code eval(int, int)}, one sample). */
  private static ElementMatcher.Junction<MethodDescription> evalOfArrays() {
    return namedOneOf("eval", "evalTimeSeries").and(not(isAbstract())).and(takesArgument(0, named(INDARRAY)))
        .and(takesArgument(1, named(INDARRAY)));
  }

  /**
   * Buffers outside workspaces, created and closed: with {@code memory=full} followed to their end, closed or
   * collected ({@code TensorLife.createdCollectable}: the level of live tensors, and each step's survivors); by
   * default within their step only ({@code TensorLife.createdInStep}: the step's survivors only).
   */
  private static List<Hook> tensorHooks(Class<?> createdAdvice, Class<?> closedAdvice) {
    return List.of(
        Hook.on("org.nd4j.linalg.api.memory.deallocation.DeallocatorService")
            .methods("pickObject(1)", named("pickObject").and(takesArguments(1)))
            .advice(createdAdvice),
        Hook.on("org.nd4j.linalg.api.buffer.BaseDataBuffer")
            .methods("close()", named("close").and(takesArguments(0)))
            .advice(closedAdvice));
  }

  /** ND4J's native buffers: its package is otherwise unhooked ({@link #UNHOOKED}), this one class is hooked. */
  @Override
  public List<String> namedPackages() {
    return List.of(OPAQUE_DATA_BUFFER);
  }

  /**
   * The memory levels that need ND4J's classes (off-heap, resident, workspace bytes) are read through the first
   * loader that DL4J's hooks apply in: a job without DL4J never touches JavaCPP.
   */
  @Override
  public void applied(ClassLoader loader) {
    if (memory) {
      Dl4jMemory.install(loader);
    }
  }

  /**
   * Classes (not interfaces) below {@code superType} that declare a method the matcher accepts. ND4J's op classes,
   * JavaCPP's bindings and the other {@link #UNHOOKED} packages never reach this walk: the installer rejects them
   * by name.
   */
  private static ElementMatcher.Junction<TypeDescription> concrete(String superType,
      ElementMatcher<? super MethodDescription> method) {
    return not(isInterface()).and(declaresMethod(method)).and(hasSuperType(named(superType)))
        .and(not(named(superType)));
  }

  /** Layers: DL4J's own ({@code org.deeplearning4j.nn.layers}); the ops of other layers are still recorded. */
  private static ElementMatcher.Junction<TypeDescription> layers(ElementMatcher<? super MethodDescription> method) {
    return nameStartsWith("org.deeplearning4j.nn.layers.").and(concrete(LAYER, method));
  }
}
