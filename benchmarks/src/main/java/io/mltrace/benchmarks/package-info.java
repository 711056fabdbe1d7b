/**
 * JMH benchmarks of mltrace's hot paths. Run with
 * {@code java -jar benchmarks/target/benchmarks.jar <regex>}; results and the machine they came from are recorded in
 * {@code docs/benchmarks.md}.
 */
package io.mltrace.benchmarks;
