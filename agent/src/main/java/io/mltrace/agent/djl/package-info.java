/**
 * Instrumentation of DJL (PyTorch engine), matched by class and method name so that the agent has no runtime
 * dependency on DJL.
 *
 * <p>Advice classes are inlined into DJL's classes: they may reference only public bootstrap bridge types
 * ({@code io.mltrace.bootstrap}), DJL's own types and {@code java.base}. Every advice suppresses
 * {@link java.lang.Throwable}: a failure inside mltrace never reaches the training job.
 */
package io.mltrace.agent.djl;
