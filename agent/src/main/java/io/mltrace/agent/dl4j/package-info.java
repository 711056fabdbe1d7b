/**
 * Instrumentation of Deeplearning4j and ND4J (1.0.0-M2.1, native CPU backend), matched by class and method name so
 * that the agent has no runtime dependency on them.
 *
 * <p>What becomes what: {@code Solver.optimize} (one call per iteration, for both network kinds) is the
 * {@code optimize} phase whose end closes the step and opens the next, so that steps tile the loop; batch fetches
 * ({@code DataSetIterator.next/hasNext}, including {@code AsyncDataSetIterator}'s wait for its prefetch thread)
 * are {@code etl} data spans; {@code ffToLayerActivationsInWs} is {@code forward}, {@code calcBackpropGradients}
 * is {@code backward}, {@code BaseMultiLayerUpdater.update} and {@code StepFunction.step} are {@code updater};
 * each layer's {@code activate}/{@code backpropGradient} is a layer span named {@code Type[index]}; every op
 * reaching {@code NativeOpExecutioner} is an op span with its name, shapes, data type and FLOPs; the network's
 * {@code output(...)} is a root span outside any step. Each step's memory: workspace allocations
 * ({@code Nd4jWorkspace.alloc}) and detached buffer allocations ({@code OpaqueDataBuffer.allocateDataBuffer}) are
 * flows of the step; ND4J's off-heap, workspace and resident levels are gauges read when it closes
 * ({@code Dl4jMemory}, {@code Nd4jLevels}), installed once DL4J's first hook applies. Buffers outside workspaces
 * ({@code DeallocatorService.pickObject}, {@code BaseDataBuffer.close}) are tensors in {@code TensorLife}: the live
 * level, the step's flows, their creation sites.
 *
 * <p>Advice classes are inlined into DL4J's and ND4J's classes: they may reference only public bootstrap bridge
 * types ({@code io.mltrace.bootstrap}), DL4J/ND4J/JavaCPP types and {@code java.base}. Every advice suppresses
 * {@link java.lang.Throwable}: a failure inside mltrace never reaches the training job.
 */
package io.mltrace.agent.dl4j;
