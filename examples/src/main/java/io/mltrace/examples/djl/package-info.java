/**
 * DJL training jobs on synthetic data, run fully offline on the PyTorch engine (CPU): the demo and the agent's
 * integration tests run them in a child JVM.
 */
package io.mltrace.examples.djl;
