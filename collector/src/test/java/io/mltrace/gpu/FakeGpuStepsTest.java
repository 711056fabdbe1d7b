package io.mltrace.gpu;

import io.mltrace.bootstrap.Recorder;
import io.mltrace.bootstrap.Sampling;
import io.mltrace.collector.Collector;
import io.mltrace.collector.Step;
import io.mltrace.collector.StepSink;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * The fixture of the tests that run steps through the collector with GPU tracing on the fake libcupti: the steps
 * delivered, the lines GPU tracing logged, and the teardown that leaves the recorder, the sampling policy and the
 * bridge (open once at a time) as the next test expects them.
 */
abstract class FakeGpuStepsTest {
  final List<Step> steps = Collections.synchronizedList(new ArrayList<>());
  final List<String> log = Collections.synchronizedList(new ArrayList<>());
  Collector collector;
  GpuTracing gpu;

  /** Sinks that receive the steps too. */
  List<StepSink> moreSinks() {
    return List.of();
  }

  @BeforeEach
  void createCollector() {
    Recorder.setEnabled(true);
    Recorder.loopStart();
    List<StepSink> sinks = new ArrayList<>(moreSinks());
    sinks.add(0, new StepSink() {
      @Override
      public void onStep(Step step) {
        steps.add(step);
      }
    });
    collector = Collector.create(sinks, 10, 0, 100_000);
  }

  /** Starts GPU tracing on the (configured) fake with {@code options}; its records feed the running collector. */
  void startTracing(GpuTracing.Options options) {
    gpu = GpuTracing.start(options, log::add);
    collector.addSource(gpu.source());
    collector.start();
  }

  @AfterEach
  void closeAll() {
    if (gpu != null) {
      gpu.finish();
    }
    collector.close();
    if (gpu != null) {
      gpu.close(); // closed with the collector when its source was added
    }
    Recorder.setEnabled(false);
    Sampling.update(sp -> sp.withSampleEvery(1));
    Recorder.loopStart();
  }
}
