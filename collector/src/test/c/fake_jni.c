/*
 * The fake libcupti's JNI controls (see fake_cupti.c): io.mltrace.gpu.FakeCupti in the collector's and the agent's
 * tests, io.mltrace.benchmarks.FakeCupti in the benchmarks.
 */
#define _GNU_SOURCE
#include <jni.h>
#include <stdlib.h>
#include <string.h>

#include "fake_cupti.h"
#include "fake_layout.h"

static const char *names[256];
static int name_count;

static const char *keep_name(JNIEnv *env, jstring jname) {
  const char *s = (*env)->GetStringUTFChars(env, jname, NULL);
  const char *kept = NULL;
  for (int i = 0; i < name_count && kept == NULL; i++) {
    if (strcmp(names[i], s) == 0) {
      kept = names[i];
    }
  }
  if (kept == NULL && name_count < 256) {
    kept = names[name_count++] = strdup(s);
  }
  (*env)->ReleaseStringUTFChars(env, jname, s);
  return kept;
}

JNIEXPORT void JNICALL Java_io_mltrace_gpu_FakeCupti_configure(JNIEnv *env, jclass cls, jint fail_kind,
    jboolean subscriber_taken, jboolean no_timestamp_callback, jboolean hold_host) {
  (void) env;
  (void) cls;
  fake_configure(fail_kind, subscriber_taken, no_timestamp_callback, hold_host);
}

JNIEXPORT void JNICALL Java_io_mltrace_gpu_FakeCupti_launchKernel(JNIEnv *env, jclass cls, jstring jname,
    jlong duration_ns) {
  (void) cls;
  fake_launch(FAKE_KIND_CONCURRENT_KERNEL, keep_name(env, jname), 0, 0, duration_ns);
}

JNIEXPORT void JNICALL Java_io_mltrace_gpu_FakeCupti_copy(JNIEnv *env, jclass cls, jint copy_kind, jlong bytes,
    jlong duration_ns) {
  (void) env;
  (void) cls;
  fake_launch(FAKE_KIND_MEMCPY, NULL, (uint8_t) copy_kind, bytes, duration_ns);
}

JNIEXPORT void JNICALL Java_io_mltrace_gpu_FakeCupti_memset(JNIEnv *env, jclass cls, jlong bytes,
    jlong duration_ns) {
  (void) env;
  (void) cls;
  fake_launch(FAKE_KIND_MEMSET, NULL, 0, bytes, duration_ns);
}

JNIEXPORT jlong JNICALL Java_io_mltrace_gpu_FakeCupti_launchKernelAt(JNIEnv *env, jclass cls, jstring jname,
    jlong api_ns, jlong start_ns, jlong duration_ns) {
  (void) cls;
  return fake_launch_at(FAKE_KIND_CONCURRENT_KERNEL, keep_name(env, jname), 0, 0, api_ns, start_ns, duration_ns, 0);
}

JNIEXPORT void JNICALL Java_io_mltrace_gpu_FakeCupti_launchKernelAfter(JNIEnv *env, jclass cls, jstring jname,
    jlong api_ns, jlong delay_ns, jlong duration_ns) {
  (void) cls;
  fake_launch_at(FAKE_KIND_CONCURRENT_KERNEL, keep_name(env, jname), 0, 0, api_ns, delay_ns, duration_ns, 1);
}

JNIEXPORT void JNICALL Java_io_mltrace_gpu_FakeCupti_copyAfter(JNIEnv *env, jclass cls, jint copy_kind, jlong bytes,
    jlong api_ns, jlong delay_ns, jlong duration_ns) {
  (void) env;
  (void) cls;
  fake_launch_at(FAKE_KIND_MEMCPY, NULL, (uint8_t) copy_kind, bytes, api_ns, delay_ns, duration_ns, 1);
}

JNIEXPORT jlong JNICALL Java_io_mltrace_gpu_FakeCupti_copyAt(JNIEnv *env, jclass cls, jint copy_kind, jlong bytes,
    jlong api_ns, jlong start_ns, jlong duration_ns) {
  (void) env;
  (void) cls;
  return fake_launch_at(FAKE_KIND_MEMCPY, NULL, (uint8_t) copy_kind, bytes, api_ns, start_ns, duration_ns, 0);
}

JNIEXPORT void JNICALL Java_io_mltrace_gpu_FakeCupti_memory(JNIEnv *env, jclass cls, jint operation,
    jint memory_kind, jlong address, jlong bytes) {
  (void) env;
  (void) cls;
  fake_memory((uint32_t) operation, (uint32_t) memory_kind, (uint64_t) address, (uint64_t) bytes);
}

JNIEXPORT jint JNICALL Java_io_mltrace_gpu_FakeCupti_correlationDepth(JNIEnv *env, jclass cls) {
  (void) env;
  (void) cls;
  return fake_correlation_depth();
}
