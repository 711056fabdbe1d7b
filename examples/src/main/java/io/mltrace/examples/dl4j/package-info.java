/**
 * Deeplearning4j training jobs on ND4J's native CPU backend, offline, on synthetic learnable data: an MLP, a small
 * CNN and an LSTM ({@link io.mltrace.examples.dl4j.Dl4jTraining}). The integration tests and benchmarks run them.
 */
package io.mltrace.examples.dl4j;
