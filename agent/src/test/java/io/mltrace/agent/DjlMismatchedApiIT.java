package io.mltrace.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.ClassWriter;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A DJL whose API does not match the hooks: the PyTorch engine jar with {@code JniUtils.lstm} removed (as a
 * version without it would be). The MLP does not need it, so the job trains; the agent must name the skipped hook
 * on one stderr line and record everything else as usual.
 */
class DjlMismatchedApiIT {
  static final int STEPS = 5;

  @Test
  void aMissingMethodSkipsOnlyItsHookWithOneLine(@TempDir Path dir) throws Exception {
    List<String> classpath = new ArrayList<>();
    int replaced = 0;
    for (String entry : ChildJvm.examplesClasspath().split(File.pathSeparator)) {
      if (entry.matches(".*pytorch-engine-[0-9.]+\\.jar")) {
        Path patched = dir.resolve("pytorch-engine-without-lstm.jar");
        removeMethod(Path.of(entry), patched, "ai/djl/pytorch/jni/JniUtils.class", "lstm");
        classpath.add(patched.toString());
        replaced++;
      } else {
        classpath.add(entry);
      }
    }
    assertEquals(1, replaced, "the engine jar is on the examples' class path");

    Path out = dir.resolve("out");
    ChildJvm run = ChildJvm.runWithClasspath("output=" + out + ",report_interval=0,sample_every=1,console=off",
        List.of(),
        String.join(File.pathSeparator, classpath), DjlFoundationIT.MLP, "--steps", String.valueOf(STEPS));
    assertEquals(0, run.exitCode, run::toString);
    assertTrue(run.stdout.contains("final loss"), run::toString);

    List<String> lines = run.stderr.lines().filter(l -> l.startsWith("mltrace:")).toList();
    assertEquals(1, lines.size(), run::toString);
    assertTrue(lines.get(0).contains("ai.djl.pytorch.jni.JniUtils") && lines.get(0).contains("lstm")
        && lines.get(0).contains("skipped"), lines.get(0));

    DjlTrace trace = new DjlTrace(out);
    assertEquals(STEPS, trace.steps.size());
    for (long s : trace.steps.keySet()) {
      assertEquals(2, trace.ops(s, "linear").size(), "the other JniUtils hooks still apply");
      assertEquals(1, trace.ops(s, "relu").size());
      assertEquals(List.of("data", "trainBatch", "optimizer"), trace.phaseNames(trace.steps.get(s)));
      assertTrue(trace.inStep(s).stream().anyMatch(e -> e.cat.equals("layer")), "layers still recorded");
    }
  }

  /** Copies a jar, dropping every method named {@code method} from one class. */
  static void removeMethod(Path jar, Path target, String classEntry, String method) throws IOException {
    try (JarFile in = new JarFile(jar.toFile());
        OutputStream file = Files.newOutputStream(target);
        JarOutputStream out = new JarOutputStream(file)) {
      Enumeration<JarEntry> entries = in.entries();
      while (entries.hasMoreElements()) {
        JarEntry e = entries.nextElement();
        if (e.getName().startsWith("META-INF/") && (e.getName().endsWith(".SF") || e.getName().endsWith(".RSA"))) {
          continue;
        }
        out.putNextEntry(new JarEntry(e.getName()));
        try (InputStream data = in.getInputStream(e)) {
          byte[] bytes = data.readAllBytes();
          out.write(e.getName().equals(classEntry) ? withoutMethod(bytes, method) : bytes);
        }
        out.closeEntry();
      }
    }
  }

  private static byte[] withoutMethod(byte[] classFile, String method) {
    ClassWriter writer = new ClassWriter(0);
    new ClassReader(classFile).accept(new ClassVisitor(Opcodes.ASM9, writer) {
      @Override
      public MethodVisitor visitMethod(int access, String name, String desc, String sig, String[] exceptions) {
        return name.equals(method) ? null : super.visitMethod(access, name, desc, sig, exceptions);
      }
    }, 0);
    return writer.toByteArray();
  }
}
