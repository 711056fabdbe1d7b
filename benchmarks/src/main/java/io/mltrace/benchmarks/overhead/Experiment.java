package io.mltrace.benchmarks.overhead;

/** One method of measuring ({@link HarnessOptions.Method}): a table, and its rows for each job. */
interface Experiment {
  /** Prints the table's header and returns the table the rows go to. */
  MarkdownTable table();

  void rows(Job job, MarkdownTable table) throws Exception;
}
