package io.mltrace.benchmarks.overhead;

/**
 * Two arms run as a pair, side A against side B: the ratio of A's step times to B's is the comparison's figure.
 *
 * @param name the comparison's name on the command line and in tables
 */
record Comparison(String name, Arm a, Arm b) {}
