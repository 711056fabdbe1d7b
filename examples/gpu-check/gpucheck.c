/*
 * The GPU side of the real-GPU check: a tiny JNI library that launches, from Java, a cuBLAS sgemm (GEMM kernels),
 * a cuBLAS sscal (a non-GEMM kernel), host-to-device, device-to-host and device-to-device copies, a memset, and
 * device allocations and releases (cudaMalloc, cudaFree) for the memory records.
 * libcudart and libcublas are dlopen'd with the few functions declared here, so this builds with gcc alone and
 * runs against whatever CUDA 12 or 13 the GPU machine has (toolkit, driver package, or PyTorch's pip wheels).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <jni.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (*cuda_malloc_fn)(void **, size_t);
typedef int (*cuda_free_fn)(void *);
typedef int (*cuda_memcpy_fn)(void *, const void *, size_t, int);
typedef int (*cuda_memset_fn)(void *, int, size_t);
typedef int (*cuda_sync_fn)(void);
typedef const char *(*cuda_error_string_fn)(int);
typedef int (*cublas_create_fn)(void **);
typedef int (*cublas_sgemm_fn)(void *, int, int, int, int, int, const float *, const float *, int, const float *,
                               int, const float *, float *, int);
typedef int (*cublas_sscal_fn)(void *, int, const float *, float *, int);

enum { H2D = 1, D2H = 2, D2D = 3 }; /* cudaMemcpyKind */

static cuda_malloc_fn cuda_malloc;
static cuda_free_fn cuda_free;
static cuda_memcpy_fn cuda_memcpy;
static cuda_memset_fn cuda_memset;
static cuda_sync_fn cuda_sync;
static cuda_error_string_fn cuda_error_string;
static cublas_create_fn cublas_create;
static cublas_sgemm_fn cublas_sgemm;
static cublas_sscal_fn cublas_sscal;
static void *blas;
static float *host, *a, *b, *c, *d;
static int n;

static void *open_first(const char *const *names, int count, char *why, size_t len) {
  for (int i = 0; i < count; i++) {
    void *h = dlopen(names[i], RTLD_NOW | RTLD_GLOBAL);
    if (h != NULL) {
      return h;
    }
  }
  snprintf(why, len, "cannot load %s: %s", names[0], dlerror());
  return NULL;
}

#define SYM(var, type, handle, name)                               \
  var = (type) dlsym(handle, name);                                \
  if (var == NULL) {                                               \
    return (*env)->NewStringUTF(env, "missing symbol " name);     \
  }

#define CHECK(call)                                                                    \
  do {                                                                                 \
    int rc = (call);                                                                   \
    if (rc != 0) {                                                                     \
      char msg[256];                                                                   \
      snprintf(msg, sizeof msg, "%s failed: %d", #call, rc);                           \
      return (*env)->NewStringUTF(env, msg);                                           \
    }                                                                                  \
  } while (0)

JNIEXPORT jstring JNICALL Java_GpuCheck_init(JNIEnv *env, jclass cls, jint size) {
  (void) cls;
  char why[512];
  static const char *const cudart[] = {"libcudart.so", "libcudart.so.13", "libcudart.so.12"};
  static const char *const cublas[] = {"libcublas.so", "libcublas.so.13", "libcublas.so.12"};
  void *rt = open_first(cudart, 3, why, sizeof why);
  if (rt == NULL) {
    return (*env)->NewStringUTF(env, why);
  }
  void *bl = open_first(cublas, 3, why, sizeof why);
  if (bl == NULL) {
    return (*env)->NewStringUTF(env, why);
  }
  SYM(cuda_malloc, cuda_malloc_fn, rt, "cudaMalloc");
  SYM(cuda_free, cuda_free_fn, rt, "cudaFree");
  SYM(cuda_memcpy, cuda_memcpy_fn, rt, "cudaMemcpy");
  SYM(cuda_memset, cuda_memset_fn, rt, "cudaMemset");
  SYM(cuda_sync, cuda_sync_fn, rt, "cudaDeviceSynchronize");
  SYM(cuda_error_string, cuda_error_string_fn, rt, "cudaGetErrorString");
  SYM(cublas_create, cublas_create_fn, bl, "cublasCreate_v2");
  SYM(cublas_sgemm, cublas_sgemm_fn, bl, "cublasSgemm_v2");
  SYM(cublas_sscal, cublas_sscal_fn, bl, "cublasSscal_v2");
  n = size;
  size_t bytes = (size_t) n * (size_t) n * sizeof(float);
  host = malloc(bytes);
  if (host == NULL) {
    return (*env)->NewStringUTF(env, "out of host memory");
  }
  for (size_t i = 0; i < (size_t) n * (size_t) n; i++) {
    host[i] = (float) (i % 7) * 0.25f;
  }
  CHECK(cuda_malloc((void **) &a, bytes));
  CHECK(cuda_malloc((void **) &b, bytes));
  CHECK(cuda_malloc((void **) &c, bytes));
  CHECK(cuda_malloc((void **) &d, bytes));
  CHECK(cublas_create(&blas));
  return NULL;
}

JNIEXPORT jint JNICALL Java_GpuCheck_copyToDevice(JNIEnv *env, jclass cls) {
  (void) env;
  (void) cls;
  size_t bytes = (size_t) n * (size_t) n * sizeof(float);
  int rc = cuda_memcpy(a, host, bytes, H2D);
  return rc != 0 ? rc : cuda_memcpy(b, host, bytes, H2D);
}

JNIEXPORT jint JNICALL Java_GpuCheck_sgemm(JNIEnv *env, jclass cls) {
  (void) env;
  (void) cls;
  const float one = 1.0f, zero = 0.0f;
  return cublas_sgemm(blas, 0, 0, n, n, n, &one, a, n, b, n, &zero, c, n); /* CUBLAS_OP_N */
}

JNIEXPORT jint JNICALL Java_GpuCheck_scale(JNIEnv *env, jclass cls) {
  (void) env;
  (void) cls;
  const float half = 0.5f;
  return cublas_sscal(blas, n * n, &half, c, 1);
}

JNIEXPORT jint JNICALL Java_GpuCheck_copyOnDevice(JNIEnv *env, jclass cls) {
  (void) env;
  (void) cls;
  int rc = cuda_memset(d, 0, (size_t) n * (size_t) n * sizeof(float));
  return rc != 0 ? rc : cuda_memcpy(d, c, (size_t) n * (size_t) n * sizeof(float), D2D);
}

JNIEXPORT jint JNICALL Java_GpuCheck_copyToHost(JNIEnv *env, jclass cls) {
  (void) env;
  (void) cls;
  return cuda_memcpy(host, d, (size_t) n * (size_t) n * sizeof(float), D2H);
}

JNIEXPORT jint JNICALL Java_GpuCheck_synchronize(JNIEnv *env, jclass cls) {
  (void) env;
  (void) cls;
  return cuda_sync();
}

/* cudaMalloc of `bytes`: the device address, 0 when it failed. */
JNIEXPORT jlong JNICALL Java_GpuCheck_allocate(JNIEnv *env, jclass cls, jlong bytes) {
  (void) env;
  (void) cls;
  void *p = NULL;
  return cuda_malloc(&p, (size_t) bytes) == 0 ? (jlong) (uintptr_t) p : 0;
}

JNIEXPORT jint JNICALL Java_GpuCheck_release(JNIEnv *env, jclass cls, jlong address) {
  (void) env;
  (void) cls;
  return cuda_free((void *) (uintptr_t) address);
}

JNIEXPORT jfloat JNICALL Java_GpuCheck_hostValue(JNIEnv *env, jclass cls, jint i) {
  (void) env;
  (void) cls;
  return host[i];
}
