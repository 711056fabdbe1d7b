/**
 * Training jobs with injected ground truth, for the accounting tests: a data loader that sleeps a known time per
 * batch, {@code System.gc()} in chosen steps, and a training listener that spins a known time per batch.
 */
package io.mltrace.examples.groundtruth;
