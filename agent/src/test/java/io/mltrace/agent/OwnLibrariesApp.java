package io.mltrace.agent;

import static net.bytebuddy.matcher.ElementMatchers.named;

import io.mltrace.examples.djl.MlpTraining;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.File;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.implementation.FixedValue;

/**
 * A child-JVM job for {@link CoexistenceIT}: an application that ships its own OpenTelemetry SDK and Byte Buddy
 * (other versions than mltrace's shaded ones, on its class path). It makes a class with its Byte Buddy, records a
 * span with its own SDK, then trains the DJL MLP inside a span of the global OpenTelemetry (the OpenTelemetry
 * agent's, when one runs: a training job started inside a traced request). Arguments: MlpTraining's.
 */
public final class OwnLibrariesApp {
  private OwnLibrariesApp() {}

  public static void main(String[] args) throws Exception {
    Object made = new ByteBuddy().subclass(Object.class).method(named("toString"))
        .intercept(FixedValue.value("made by the application's Byte Buddy")).make()
        .load(OwnLibrariesApp.class.getClassLoader()).getLoaded().getDeclaredConstructor().newInstance();
    System.out.println("app byte-buddy " + jar(ByteBuddy.class) + ": " + made);

    List<SpanData> exported = new CopyOnWriteArrayList<>();
    SdkTracerProvider provider = SdkTracerProvider.builder()
        .addSpanProcessor(SimpleSpanProcessor.create(new SpanExporter() {
          @Override
          public CompletableResultCode export(Collection<SpanData> spans) {
            exported.addAll(spans);
            return CompletableResultCode.ofSuccess();
          }

          @Override
          public CompletableResultCode flush() {
            return CompletableResultCode.ofSuccess();
          }

          @Override
          public CompletableResultCode shutdown() {
            return CompletableResultCode.ofSuccess();
          }
        })).build();
    provider.get("app").spanBuilder("app-own-sdk-span").startSpan().end();
    provider.shutdown();
    System.out.println("app opentelemetry " + jar(SdkTracerProvider.class) + ": exported " + exported.size() + " "
        + exported.get(0).getName());

    Span request = GlobalOpenTelemetry.getTracer("app").spanBuilder("app-request").startSpan();
    try (Scope ignored = request.makeCurrent()) {
      MlpTraining.main(args);
    } finally {
      request.end();
    }
  }

  private static String jar(Class<?> c) throws Exception {
    return new File(c.getProtectionDomain().getCodeSource().getLocation().toURI()).getName();
  }
}
