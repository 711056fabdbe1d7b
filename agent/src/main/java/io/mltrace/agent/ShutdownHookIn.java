package io.mltrace.agent;

import io.mltrace.bootstrap.ShutdownEntry;
import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.security.ProtectionDomain;
import java.util.Map;
import java.util.Set;
import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.ClassWriter;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;

/**
 * Weaves a call to {@link ShutdownEntry#beforeShutdown()} into the start of {@code java.lang.Shutdown.exit(int)}, the
 * method through which {@code System.exit} and the termination signals end the JVM, before it runs the shutdown hooks.
 *
 * <p>Why not a shutdown hook: the hooks run concurrently, and the JVM's JFR hook stops every recording at once; the
 * agent's hook loses that race for the events of the last steps (the stream drops what it has not flushed; a dump
 * then fails with JFR errors). Why not Byte Buddy's agent builder: one method of one loaded class needs one call, and
 * a builder's retransformation would match every loaded class first. Why the read edge: {@code java.lang.Shutdown}
 * is in {@code java.base}, which reads no unnamed module; the bridge is in the boot loader's.
 *
 * <p>One retransformation of one small class on the thread that calls it: 15-25 ms with loading the shaded ASM, which a
 * warm weaving cache otherwise never loads, so the agent calls it on {@code mltrace-start}, beside JFR's start. Any
 * failure leaves the JDK's class as it was and returns false.
 */
final class ShutdownHookIn {
  static final String TARGET = "java/lang/Shutdown";
  private static final String BRIDGE = ShutdownEntry.class.getName().replace('.', '/');

  private ShutdownHookIn() {}

  /**
   * Weaves the call; false when this JVM does not allow it (nothing changed). What the call runs is installed apart
   * ({@link ShutdownEntry#install}): until then it runs nothing.
   */
  static boolean weave(Instrumentation inst) {
    try {
      Class<?> shutdown = Class.forName("java.lang.Shutdown");
      if (!inst.isRetransformClassesSupported() || !inst.isModifiableClass(shutdown)) {
        return false;
      }
      Module base = Object.class.getModule();
      inst.redefineModule(base, Set.of(ShutdownEntry.class.getModule()), Map.of(), Map.of(), Set.of(), Map.of());
      Weaver weaver = new Weaver();
      inst.addTransformer(weaver, true);
      try {
        inst.retransformClasses(shutdown);
      } finally {
        inst.removeTransformer(weaver);
      }
      return weaver.woven;
    } catch (Throwable t) {
      return false;
    }
  }

  /** The transformation alone, for one class file: the call first thing in {@code exit(I)V}; null if absent. */
  static byte[] weave(byte[] classFile) {
    ClassReader reader = new ClassReader(classFile);
    ClassWriter writer = new ClassWriter(reader, 0);
    boolean[] found = {false};
    reader.accept(new ClassVisitor(Opcodes.ASM9, writer) {
      @Override
      public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
          String[] exceptions) {
        MethodVisitor mv = super.visitMethod(access, name, descriptor, signature, exceptions);
        if (!name.equals("exit") || !descriptor.equals("(I)V") || (access & Opcodes.ACC_STATIC) == 0) {
          return mv;
        }
        found[0] = true;
        return new MethodVisitor(Opcodes.ASM9, mv) {
          @Override
          public void visitCode() {
            super.visitCode();
            // Neither the stack nor the locals change: the method's frames and max sizes stay valid.
            super.visitMethodInsn(Opcodes.INVOKESTATIC, BRIDGE, "beforeShutdown", "()V", false);
          }
        };
      }
    }, 0);
    return found[0] ? writer.toByteArray() : null;
  }

  private static final class Weaver implements ClassFileTransformer {
    volatile boolean woven;

    @Override
    public byte[] transform(Module module, ClassLoader loader, String className, Class<?> classBeingRedefined,
        ProtectionDomain domain, byte[] classFile) {
      if (loader != null || !TARGET.equals(className) || classBeingRedefined == null) {
        return null;
      }
      try {
        byte[] woven = weave(classFile);
        this.woven = woven != null;
        return woven;
      } catch (Throwable t) {
        return null;
      }
    }
  }
}
