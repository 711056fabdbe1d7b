/**
 * DJL training jobs on synthetic data, run fully offline on the PyTorch engine (CPU): the demo and the agent's
 * integration tests run them in a child JVM. The case-study jobs ({@code AlexNetTraining}, {@code LstmLanguageModel},
 * {@code TransformerEncoderTraining}, {@code CnnInferenceSweep}; {@code ./mltrace case-studies}) take their sizes as
 * options, so that {@code mltrace analyze} can fit FLOPs and time against them.
 */
package io.mltrace.examples.djl;
