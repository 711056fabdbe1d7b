/*
 * mltrace's CUPTI bridge: loads libcupti with dlopen (never linked), enables the Activity API, hands completed
 * activity buffers to the parser (gpu_records.c), which joins each GPU record to the Java span that launched it and
 * writes it into a single-producer single-consumer ring in a direct ByteBuffer owned by Java. Java drains the ring;
 * there is no upcall per record.
 *
 * Every JNI entry point belongs to io.mltrace.bootstrap.GpuNative, which loads this library itself so that the
 * natives bind in the class loader that declares them (the bootstrap loader under the agent).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <jni.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cupti_decls.h"
#include "gpu_records.h"

static struct {
  MtGetResultString result_string;
  MtSubscribe subscribe;
  MtUnsubscribe unsubscribe;
  MtRegisterCallbacks register_callbacks;
  MtRegisterTimestampCallback register_timestamp;
  MtActivityKindFunc enable, disable;
  MtFlushAll flush_all;
  MtGetNextRecord next_record;
  MtGetNumDroppedRecords dropped_records;
  MtGetTimestamp timestamp;
  MtPushExternalCorrelationId push;
  MtPopExternalCorrelationId pop;
} cupti;

static volatile int is_open;
static jobject ring_ref;

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t **pool_free;
static int pool_free_count, pool_size;
static size_t buffer_bytes;
static uint8_t *pool_memory;

static pthread_mutex_t parse_lock = PTHREAD_MUTEX_INITIALIZER;

static const uint32_t ENABLED_KINDS[] = {MT_KIND_CONCURRENT_KERNEL, MT_KIND_MEMCPY, MT_KIND_MEMSET,
                                         MT_KIND_EXTERNAL_CORRELATION, MT_KIND_RUNTIME, MT_KIND_DRIVER};
#define ENABLED_KIND_COUNT (sizeof(ENABLED_KINDS) / sizeof(ENABLED_KINDS[0]))

static int64_t monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts); /* the clock behind System.nanoTime() on Linux HotSpot */
  return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static uint64_t timestamp_callback(void) { return (uint64_t) monotonic_ns(); }

static void ignore_callback(void *userdata, int domain, uint32_t cbid, const void *cbdata) {
  (void) userdata;
  (void) domain;
  (void) cbid;
  (void) cbdata;
}

static const char *result_name(MtCuptiResult r) {
  const char *s = NULL;
  if (cupti.result_string == NULL || cupti.result_string(r, &s) != MT_CUPTI_SUCCESS || s == NULL) {
    return "CUPTI error";
  }
  return s;
}

/* ---- clock ---------------------------------------------------------------------------------------------------- */

/* Without the timestamp callback, CUPTI stamps records with its own clock (CLOCK_REALTIME on Linux x86-64):
 * measure the offset to the agent clock around one cuptiGetTimestamp call, keeping the tightest bracket. */
static void measure_clock_offset(void) {
  if (mt_counters[C_CLOCK_MODE] != 2 || cupti.timestamp == NULL) {
    return;
  }
  int64_t best_width = INT64_MAX, best_offset = mt_clock_offset;
  for (int i = 0; i < 3; i++) {
    uint64_t t = 0;
    int64_t before = monotonic_ns();
    if (cupti.timestamp(&t) != MT_CUPTI_SUCCESS) {
      return;
    }
    int64_t after = monotonic_ns();
    if (after - before < best_width) {
      best_width = after - before;
      best_offset = before + (after - before) / 2 - (int64_t) t;
    }
  }
  mt_clock_offset = best_offset;
}

/* ---- buffers -------------------------------------------------------------------------------------------------- */

static void buffer_requested(uint8_t **buffer, size_t *size, size_t *max_records) {
  pthread_mutex_lock(&pool_lock);
  uint8_t *b = pool_free_count > 0 ? pool_free[--pool_free_count] : NULL;
  pthread_mutex_unlock(&pool_lock);
  if (b == NULL) {
    /* CUPTI drops records until a buffer comes back; it counts them for us */
    __atomic_fetch_add(&mt_counters[C_POOL_EMPTY], 1, __ATOMIC_RELAXED);
  }
  *buffer = b;
  *size = b == NULL ? 0 : buffer_bytes;
  *max_records = 0;
}

static void buffer_completed(void *context, uint32_t stream, uint8_t *buffer, size_t size, size_t valid) {
  (void) size;
  int64_t t0 = monotonic_ns();
  pthread_mutex_lock(&parse_lock);
  if (mt_records_attached() && buffer != NULL) {
    void *rec = NULL;
    while (valid > 0 && cupti.next_record(buffer, valid, &rec) == MT_CUPTI_SUCCESS) {
      mt_parse_record(rec);
    }
    size_t dropped = 0;
    if (cupti.dropped_records != NULL && cupti.dropped_records(context, stream, &dropped) == MT_CUPTI_SUCCESS) {
      mt_counters[C_CUPTI_DROPPED] += (int64_t) dropped;
    }
    mt_buffer_parsed();
  }
  mt_counters[C_PARSE_NS] += monotonic_ns() - t0;
  pthread_mutex_unlock(&parse_lock);
  if (buffer != NULL) {
    pthread_mutex_lock(&pool_lock);
    if (pool_free_count < pool_size) {
      pool_free[pool_free_count++] = buffer;
    }
    pthread_mutex_unlock(&pool_lock);
  }
}

/* ---- loading -------------------------------------------------------------------------------------------------- */

static void *find_cupti(const char *path, char *why, size_t why_len) {
  if (path != NULL && path[0] != 0) {
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
      snprintf(why, why_len, "cannot load %s: %s", path, dlerror());
    }
    return h;
  }
  static const char *const loaded[] = {"libcupti.so.13", "libcupti.so.12"};
  for (size_t i = 0; i < 2; i++) {
    void *h = dlopen(loaded[i], RTLD_NOW | RTLD_NOLOAD); /* a copy the process already uses (PyTorch, cuDNN) */
    if (h != NULL) {
      return h;
    }
  }
  static const char *const search[] = {"libcupti.so", "libcupti.so.13", "libcupti.so.12"};
  for (size_t i = 0; i < 3; i++) {
    void *h = dlopen(search[i], RTLD_NOW | RTLD_LOCAL);
    if (h != NULL) {
      return h;
    }
  }
  snprintf(why, why_len, "libcupti not found (set cupti_path, or add its folder to LD_LIBRARY_PATH)");
  return NULL;
}

#define BIND(field, type, symbol)                                               \
  do {                                                                          \
    cupti.field = (type) dlsym(h, symbol);                                      \
    if (cupti.field == NULL) {                                                  \
      snprintf(why, why_len, "libcupti lacks %s", symbol);                       \
      return 0;                                                                 \
    }                                                                           \
  } while (0)

static int bind_symbols(void *h, char *why, size_t why_len) {
  BIND(result_string, MtGetResultString, "cuptiGetResultString");
  BIND(subscribe, MtSubscribe, "cuptiSubscribe");
  BIND(unsubscribe, MtUnsubscribe, "cuptiUnsubscribe");
  BIND(register_callbacks, MtRegisterCallbacks, "cuptiActivityRegisterCallbacks");
  BIND(enable, MtActivityKindFunc, "cuptiActivityEnable");
  BIND(disable, MtActivityKindFunc, "cuptiActivityDisable");
  BIND(flush_all, MtFlushAll, "cuptiActivityFlushAll");
  BIND(next_record, MtGetNextRecord, "cuptiActivityGetNextRecord");
  BIND(timestamp, MtGetTimestamp, "cuptiGetTimestamp");
  BIND(push, MtPushExternalCorrelationId, "cuptiActivityPushExternalCorrelationId");
  BIND(pop, MtPopExternalCorrelationId, "cuptiActivityPopExternalCorrelationId");
  /* optional */
  cupti.dropped_records = (MtGetNumDroppedRecords) dlsym(h, "cuptiActivityGetNumDroppedRecords");
  cupti.register_timestamp = (MtRegisterTimestampCallback) dlsym(h, "cuptiActivityRegisterTimestampCallback");
  return 1;
}

static int allocate_pool(int buffers, int bytes) {
  pool_memory = aligned_alloc(64, (size_t) buffers * (size_t) bytes);
  pool_free = calloc((size_t) buffers, sizeof(uint8_t *));
  if (pool_memory == NULL || pool_free == NULL) {
    return 0;
  }
  memset(pool_memory, 0, (size_t) buffers * (size_t) bytes); /* touch every page now, not during a launch */
  for (int i = 0; i < buffers; i++) {
    pool_free[i] = pool_memory + (size_t) i * (size_t) bytes;
  }
  pool_size = pool_free_count = buffers;
  buffer_bytes = (size_t) bytes;
  return 1;
}

static void release_pool(void) {
  free(pool_memory);
  free(pool_free);
  pool_memory = NULL;
  pool_free = NULL;
  pool_size = pool_free_count = 0;
}

/* ---- JNI ------------------------------------------------------------------------------------------------------ */

static jstring reason(JNIEnv *env, const char *fmt, const char *a, const char *b) {
  char buf[512];
  snprintf(buf, sizeof buf, fmt, a, b);
  return (*env)->NewStringUTF(env, buf);
}

JNIEXPORT jstring JNICALL Java_io_mltrace_bootstrap_GpuNative_open0(JNIEnv *env, jclass cls, jstring jpath,
    jobject jring, jint buffers, jint bytes, jint pending_cap, jint corr_cap) {
  (void) cls;
  if (is_open) {
    return reason(env, "the CUPTI bridge is already open%s%s", "", "");
  }
  char why[512] = {0};
  const char *path = jpath == NULL ? NULL : (*env)->GetStringUTFChars(env, jpath, NULL);
  void *h = find_cupti(path, why, sizeof why);
  if (jpath != NULL) {
    (*env)->ReleaseStringUTFChars(env, jpath, path);
  }
  if (h == NULL) {
    return (*env)->NewStringUTF(env, why);
  }
  /* Never dlclose'd: CUPTI's own threads may still run its code. */
  if (!bind_symbols(h, why, sizeof why)) {
    return (*env)->NewStringUTF(env, why);
  }
  /* One subscriber per process: Nsight, or a kineto inside libtorch, may hold it. Probe and let go. */
  void *subscriber = NULL;
  MtCuptiResult r = cupti.subscribe(&subscriber, ignore_callback, NULL);
  if (r == MT_CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED) {
    return reason(env, "another CUPTI subscriber is active (Nsight, or a profiler inside the framework)%s%s", "",
                  "");
  }
  if (r != MT_CUPTI_SUCCESS) {
    void *driver = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_NOLOAD);
    if (driver == NULL) {
      driver = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
    }
    return reason(env, "CUPTI cannot start (%s)%s", result_name(r),
                  driver == NULL ? "; no CUDA driver: libcuda.so.1 is not loadable" : "");
  }
  cupti.unsubscribe(subscriber);

  uint8_t *address = (*env)->GetDirectBufferAddress(env, jring);
  jlong capacity = (*env)->GetDirectBufferCapacity(env, jring);
  jlong records = capacity <= MT_RING_HEADER ? 0 : (capacity - MT_RING_HEADER) / MT_REC_BYTES;
  if (address == NULL || records < 2 || (records & (records - 1)) != 0 || (corr_cap & (corr_cap - 1)) != 0
      || buffers < 1 || bytes < 4096 || pending_cap < 1 || corr_cap < 2) {
    return reason(env, "bad bridge configuration%s%s", "", "");
  }
  pthread_mutex_lock(&parse_lock);
  int allocated = allocate_pool(buffers, bytes)
      && mt_records_attach(address, (uint64_t) records, (uint32_t) pending_cap, (uint64_t) corr_cap);
  pthread_mutex_unlock(&parse_lock);
  if (!allocated) {
    mt_records_detach();
    release_pool();
    return reason(env, "cannot allocate the CUPTI buffer pool%s%s", "", "");
  }
  /* The timestamp callback must be registered before any kind is enabled. */
  if (cupti.register_timestamp != NULL && cupti.register_timestamp(timestamp_callback) == MT_CUPTI_SUCCESS) {
    mt_counters[C_CLOCK_MODE] = 1;
    mt_clock_offset = 0;
  } else {
    mt_counters[C_CLOCK_MODE] = 2;
    measure_clock_offset();
  }
  r = cupti.register_callbacks(buffer_requested, buffer_completed);
  if (r != MT_CUPTI_SUCCESS) {
    pthread_mutex_lock(&parse_lock);
    mt_records_detach();
    pthread_mutex_unlock(&parse_lock);
    release_pool();
    return reason(env, "cuptiActivityRegisterCallbacks failed (%s)%s", result_name(r), "");
  }
  ring_ref = (*env)->NewGlobalRef(env, jring);
  is_open = 1;
  return NULL;
}

JNIEXPORT jstring JNICALL Java_io_mltrace_bootstrap_GpuNative_enable0(JNIEnv *env, jclass cls) {
  (void) cls;
  if (!is_open) {
    return reason(env, "the CUPTI bridge is not open%s%s", "", "");
  }
  measure_clock_offset();
  for (size_t i = 0; i < ENABLED_KIND_COUNT; i++) {
    MtCuptiResult r = cupti.enable(ENABLED_KINDS[i]);
    if (r != MT_CUPTI_SUCCESS) {
      for (size_t j = 0; j < i; j++) {
        cupti.disable(ENABLED_KINDS[j]);
      }
      char kind[16];
      snprintf(kind, sizeof kind, "%u", ENABLED_KINDS[i]);
      return reason(env, "cuptiActivityEnable(kind %s) failed (%s)", kind, result_name(r));
    }
  }
  return NULL;
}

JNIEXPORT void JNICALL Java_io_mltrace_bootstrap_GpuNative_flush0(JNIEnv *env, jclass cls, jboolean forced) {
  (void) env;
  (void) cls;
  if (!is_open) {
    return;
  }
  measure_clock_offset();
  int64_t flush_start = monotonic_ns();
  cupti.flush_all(forced ? MT_FLUSH_FORCED : 0);
  if (forced) {
    pthread_mutex_lock(&parse_lock);
    if (mt_records_attached()) {
      mt_settle(flush_start);
    }
    pthread_mutex_unlock(&parse_lock);
  }
}

JNIEXPORT void JNICALL Java_io_mltrace_bootstrap_GpuNative_disable0(JNIEnv *env, jclass cls) {
  (void) env;
  (void) cls;
  if (!is_open) {
    return;
  }
  for (size_t i = 0; i < ENABLED_KIND_COUNT; i++) {
    cupti.disable(ENABLED_KINDS[i]);
  }
}

/* Device memory records (MEMORY2) are switched on their own: per-step memory is collected in every step, not only
 * in the windows that enable0 and disable0 open and close. */
JNIEXPORT jstring JNICALL Java_io_mltrace_bootstrap_GpuNative_memory0(JNIEnv *env, jclass cls, jboolean on) {
  (void) cls;
  if (!is_open) {
    return reason(env, "the CUPTI bridge is not open%s%s", "", "");
  }
  MtCuptiResult r = on ? cupti.enable(MT_KIND_MEMORY2) : cupti.disable(MT_KIND_MEMORY2);
  if (r != MT_CUPTI_SUCCESS) {
    return reason(env, "%s failed (%s)", on ? "cuptiActivityEnable(MEMORY2)" : "cuptiActivityDisable(MEMORY2)",
                  result_name(r));
  }
  return NULL;
}

JNIEXPORT void JNICALL Java_io_mltrace_bootstrap_GpuNative_close0(JNIEnv *env, jclass cls) {
  if (!is_open) {
    return;
  }
  Java_io_mltrace_bootstrap_GpuNative_disable0(env, cls);
  cupti.disable(MT_KIND_MEMORY2);
  Java_io_mltrace_bootstrap_GpuNative_flush0(env, cls, JNI_TRUE);
  is_open = 0;
  pthread_mutex_lock(&parse_lock);
  mt_records_detach();
  pthread_mutex_lock(&pool_lock);
  /* Buffers still out with CUPTI would come back into freed memory: keep the pool if any is missing. */
  if (pool_free_count == pool_size) {
    release_pool();
  }
  pthread_mutex_unlock(&pool_lock);
  pthread_mutex_unlock(&parse_lock);
  (*env)->DeleteGlobalRef(env, ring_ref);
  ring_ref = NULL;
}

JNIEXPORT void JNICALL Java_io_mltrace_bootstrap_GpuNative_counters0(JNIEnv *env, jclass cls, jlongArray out) {
  (void) cls;
  jlong copy[C_COUNT];
  for (int i = 0; i < C_COUNT; i++) {
    copy[i] = __atomic_load_n(&mt_counters[i], __ATOMIC_RELAXED);
  }
  jsize n = (*env)->GetArrayLength(env, out);
  (*env)->SetLongArrayRegion(env, out, 0, n < C_COUNT ? n : C_COUNT, copy);
}

JNIEXPORT jstring JNICALL Java_io_mltrace_bootstrap_GpuNative_kernelName0(JNIEnv *env, jclass cls, jint id) {
  (void) cls;
  const char *name = mt_kernel_name(id);
  return name == NULL ? NULL : (*env)->NewStringUTF(env, name);
}

JNIEXPORT void JNICALL Java_io_mltrace_bootstrap_GpuNative_push0(JNIEnv *env, jclass cls, jlong id) {
  (void) env;
  (void) cls;
  if (cupti.push != NULL) {
    cupti.push(MT_EXTERNAL_CORRELATION_KIND_CUSTOM0, (uint64_t) id);
  }
}

JNIEXPORT void JNICALL Java_io_mltrace_bootstrap_GpuNative_pop0(JNIEnv *env, jclass cls) {
  (void) env;
  (void) cls;
  uint64_t last;
  if (cupti.pop != NULL) {
    cupti.pop(MT_EXTERNAL_CORRELATION_KIND_CUSTOM0, &last);
  }
}
