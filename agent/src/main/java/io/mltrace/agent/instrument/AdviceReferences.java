package io.mltrace.agent.instrument;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import net.bytebuddy.dynamic.ClassFileLocator;
import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.FieldVisitor;
import net.bytebuddy.jar.asm.Handle;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import net.bytebuddy.jar.asm.Type;

/**
 * The framework classes, methods and fields an advice class's bytecode refers to (the OpenTelemetry agent's
 * "muzzle" idea): read once from the advice's class file, so that the check before a hook is installed covers
 * exactly what the inlined code will link against, and no hand-written list can disagree with the advice.
 *
 * <p>References to the JDK and to the bootstrap bridge ({@code io.mltrace.bootstrap}, always on the boot class
 * path) are not framework references and are left out.
 */
final class AdviceReferences {
  private AdviceReferences() {}

  /** A type, or a method or field of a type, that the advice uses. */
  record Reference(String type, String member, String descriptor, boolean field) {
    /** The reference as a reader would write it: {@code ai.djl.ndarray.NDArray.getDataType()}. */
    String describe() {
      if (member == null) {
        return "class " + type;
      }
      if (field) {
        return "field " + type + "." + member + " (" + Type.getType(descriptor).getClassName() + ")";
      }
      StringBuilder s = new StringBuilder("method ").append(type).append('.').append(member).append('(');
      Type[] args = Type.getArgumentTypes(descriptor);
      for (int i = 0; i < args.length; i++) {
        s.append(i == 0 ? "" : ", ").append(args[i].getClassName());
      }
      return s.append(')').toString();
    }
  }

  /** The framework references of the advice class {@code adviceClass}, located through {@code locator}. */
  static List<Reference> of(String adviceClass, ClassFileLocator locator) throws IOException {
    ClassFileLocator.Resolution resolution = locator.locate(adviceClass);
    if (!resolution.isResolved()) {
      throw new IOException("advice class " + adviceClass + " not found");
    }
    Set<Reference> found = new LinkedHashSet<>();
    new ClassReader(resolution.resolve()).accept(new Collector(found), ClassReader.SKIP_DEBUG);
    return new ArrayList<>(found);
  }

  /** True for references every target loader can see: the JDK, the bridge, arrays of those, primitives. */
  static boolean isProvided(String internalName) {
    return internalName.startsWith("java/") || internalName.startsWith("javax/") || internalName.startsWith("jdk/")
        || internalName.startsWith("sun/") || internalName.startsWith("io/mltrace/bootstrap/");
  }

  /** Collects references from instructions, constants and the advice methods' own signatures. */
  private static final class Collector extends ClassVisitor {
    private final Set<Reference> found;

    Collector(Set<Reference> found) {
      super(Opcodes.ASM9);
      this.found = found;
    }

    @Override
    public FieldVisitor visitField(int access, String name, String descriptor, String signature, Object value) {
      addType(Type.getType(descriptor));
      return null;
    }

    @Override
    public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
        String[] exceptions) {
      addSignature(descriptor);
      return new MethodVisitor(Opcodes.ASM9) {
        @Override
        public void visitTypeInsn(int opcode, String type) {
          addType(Type.getObjectType(type));
        }

        @Override
        public void visitFieldInsn(int opcode, String owner, String name, String descriptor) {
          addMember(owner, name, descriptor, true);
        }

        @Override
        public void visitMethodInsn(int opcode, String owner, String name, String descriptor, boolean itf) {
          addMember(owner, name, descriptor, false);
        }

        @Override
        public void visitLdcInsn(Object value) {
          if (value instanceof Type t && t.getSort() != Type.METHOD) {
            addType(t);
          } else if (value instanceof Handle h) {
            addMember(h.getOwner(), h.getName(), h.getDesc(), h.getTag() <= Opcodes.H_PUTSTATIC);
          }
        }

        @Override
        public void visitMultiANewArrayInsn(String descriptor, int dimensions) {
          addType(Type.getType(descriptor));
        }

        @Override
        public void visitTryCatchBlock(net.bytebuddy.jar.asm.Label start, net.bytebuddy.jar.asm.Label end,
            net.bytebuddy.jar.asm.Label handler, String type) {
          if (type != null) {
            addType(Type.getObjectType(type));
          }
        }
      };
    }

    private void addSignature(String methodDescriptor) {
      addType(Type.getReturnType(methodDescriptor));
      for (Type t : Type.getArgumentTypes(methodDescriptor)) {
        addType(t);
      }
    }

    private void addMember(String owner, String name, String descriptor, boolean field) {
      if (owner.startsWith("[")) { // clone() or length of an array: only its element type matters
        addType(Type.getObjectType(owner));
        return;
      }
      if (isProvided(owner)) {
        return;
      }
      found.add(new Reference(Type.getObjectType(owner).getClassName(), name, descriptor, field));
      if (field) {
        addType(Type.getType(descriptor));
      } else {
        addSignature(descriptor);
      }
    }

    private void addType(Type type) {
      Type element = type.getSort() == Type.ARRAY ? type.getElementType() : type;
      if (element.getSort() == Type.OBJECT && !isProvided(element.getInternalName())) {
        found.add(new Reference(element.getClassName(), null, null, false));
      }
    }
  }
}
