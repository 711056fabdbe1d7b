/*
 * mltrace's CUPTI bridge: loads libcupti with dlopen (never linked), enables the Activity API, parses completed
 * activity buffers on CUPTI's buffer thread into fixed-size 64-byte records, joins each GPU record to the Java span
 * that launched it (external correlation), and writes them into a single-producer single-consumer ring that lives
 * in a direct ByteBuffer owned by Java. Java drains the ring; there is no upcall per record.
 *
 * Ring layout (little-endian): [0] u64 written count (producer, release store), [64] u64 consumed count (consumer),
 * records from byte 128, MT_REC_BYTES each:
 *   0 u8 type (1 kernel, 2 memcpy, 3 memset)  1 u8 copy kind  2 u16 flags (bit 0: joined to a span)  4 u32 name id
 *   8 i64 start (agent clock)  16 i64 end  24 i64 external id (the span id, 0 when none)  32 i64 bytes
 *   40 u32 device  44 u32 stream  48 u32 correlation id  52 u32 grid x  56 u32 block x  60 u32 reserved
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

#define MT_REC_BYTES 64
#define MT_RING_HEADER 128
#define MT_NAME_CAPACITY 4096

enum {
  C_EMITTED, C_RING_FULL, C_CUPTI_DROPPED, C_PENDING_OVERFLOW, C_UNRESOLVED, C_BUFFERS, C_POOL_EMPTY,
  C_CORRELATIONS, C_NAMES, C_NAME_TABLE_FULL, C_PENDING_NOW, C_MIN_PENDING_END, C_CLOCK_MODE, C_PARSE_NS,
  C_GPU_PARSED, C_OTHER_RECORDS, C_COUNT
};

typedef struct {
  uint8_t type, copy_kind;
  uint16_t flags;
  uint32_t name_id;
  int64_t start, end, external_id, bytes;
  uint32_t device, stream, correlation, grid_x, block_x, reserved;
} gpu_rec;
_Static_assert(sizeof(gpu_rec) == MT_REC_BYTES, "gpu_rec is the ring's record");

typedef struct {
  uint32_t correlation;
  uint64_t external_id;
} corr_entry;

typedef struct {
  gpu_rec rec;
} pending_entry;

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
static uint8_t *ring;
static uint64_t ring_mask;
static uint64_t ring_written, ring_consumed_cache;

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t **pool_free;
static int pool_free_count, pool_size;
static size_t buffer_bytes;
static uint8_t *pool_memory;

static pthread_mutex_t parse_lock = PTHREAD_MUTEX_INITIALIZER;
static corr_entry *corr;
static uint64_t corr_mask;
static pending_entry *pending;
static uint32_t pending_capacity, pending_head, pending_count;
static uint64_t buffers_completed;
static int correlations_since_sweep; /* a sweep can join nothing new without them */
static volatile int64_t clock_offset; /* agent clock minus CUPTI clock; 0 with the monotonic callback */

static char *name_keys[MT_NAME_CAPACITY]; /* open addressing by string hash */
static uint32_t name_ids[MT_NAME_CAPACITY];
static char *names_by_id[MT_NAME_CAPACITY + 1];
static uint32_t name_count;

static int64_t counters[C_COUNT]; /* written under parse_lock (POOL_EMPTY atomically), read relaxed */

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
  if (counters[C_CLOCK_MODE] != 2 || cupti.timestamp == NULL) {
    return;
  }
  int64_t best_width = INT64_MAX, best_offset = clock_offset;
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
  clock_offset = best_offset;
}

/* ---- ring (producer side; called with parse_lock held) -------------------------------------------------------- */

static void ring_write(const gpu_rec *r) {
  uint64_t capacity = ring_mask + 1;
  if (ring_written - ring_consumed_cache >= capacity) {
    ring_consumed_cache = __atomic_load_n((uint64_t *) (ring + 64), __ATOMIC_ACQUIRE);
    if (ring_written - ring_consumed_cache >= capacity) {
      counters[C_RING_FULL]++;
      return;
    }
  }
  memcpy(ring + MT_RING_HEADER + (ring_written & ring_mask) * MT_REC_BYTES, r, MT_REC_BYTES);
  ring_written++;
  __atomic_store_n((uint64_t *) ring, ring_written, __ATOMIC_RELEASE);
  counters[C_EMITTED]++;
}

/* ---- correlation: CUPTI correlation id -> span id, direct-mapped (ids grow, so the newest wins a slot) -------- */

static void corr_put(uint32_t correlation, uint64_t external_id) {
  corr_entry *e = &corr[correlation & corr_mask];
  e->correlation = correlation;
  e->external_id = external_id;
  counters[C_CORRELATIONS]++;
  correlations_since_sweep = 1;
}

static int corr_get(uint32_t correlation, uint64_t *external_id) {
  corr_entry *e = &corr[correlation & corr_mask];
  if (correlation == 0 || e->correlation != correlation) {
    return 0;
  }
  *external_id = e->external_id;
  return 1;
}

/* ---- pending GPU records whose correlation record has not arrived yet (FIFO, bounded) ------------------------- */

static void emit_unresolved(gpu_rec *r) {
  r->external_id = 0;
  r->flags = 0;
  counters[C_UNRESOLVED]++;
  ring_write(r);
}

static void pending_add(const gpu_rec *r) {
  if (pending_count == pending_capacity) {
    pending_entry *oldest = &pending[pending_head];
    counters[C_PENDING_OVERFLOW]++;
    emit_unresolved(&oldest->rec);
    pending_head = (pending_head + 1) % pending_capacity;
    pending_count--;
  }
  pending_entry *e = &pending[(pending_head + pending_count) % pending_capacity];
  e->rec = *r;
  pending_count++;
  counters[C_PENDING_NOW] = pending_count;
}

/* Joins what can be joined now. A correlation record is emitted at the launch, before the GPU work it names can
 * complete, and a forced flush hands over every buffer: a GPU record that ended before the flush began and is
 * still unjoined after it never will be (work launched outside any span), so the sweep after a forced flush gives
 * up on those ending before `settle_before` (agent clock; other threads keep launching while the flush runs). */
static void pending_sweep(int64_t settle_before) {
  if (!correlations_since_sweep && settle_before == INT64_MIN) {
    return;
  }
  correlations_since_sweep = 0;
  uint32_t n = pending_count;
  int64_t min_end = INT64_MAX;
  for (uint32_t i = 0; i < n; i++) {
    pending_entry e = pending[pending_head];
    pending_head = (pending_head + 1) % pending_capacity;
    pending_count--;
    uint64_t ext;
    if (corr_get(e.rec.correlation, &ext)) {
      e.rec.external_id = (int64_t) ext;
      e.rec.flags = 1;
      ring_write(&e.rec);
    } else if (e.rec.end < settle_before) {
      emit_unresolved(&e.rec);
    } else {
      pending[(pending_head + pending_count) % pending_capacity] = e;
      pending_count++;
      if (e.rec.end < min_end) {
        min_end = e.rec.end;
      }
    }
  }
  counters[C_PENDING_NOW] = pending_count;
  counters[C_MIN_PENDING_END] = min_end;
}

/* ---- kernel names, interned once ------------------------------------------------------------------------------ */

/* CUPTI documents a kernel record's name as "shared across all activity records representing the same kernel":
 * one pointer per kernel, so a pointer-keyed cache skips hashing long mangled names for every launch. */
#define MT_NAME_CACHE 1024
static const char *name_cache_key[MT_NAME_CACHE];
static uint32_t name_cache_id[MT_NAME_CACHE];

static uint32_t intern_by_content(const char *name);

static uint32_t intern(const char *name) {
  if (name == NULL) {
    return 0;
  }
  uint32_t slot = (uint32_t) (((uintptr_t) name >> 3) * 2654435761u) & (MT_NAME_CACHE - 1);
  if (name_cache_key[slot] == name) {
    return name_cache_id[slot];
  }
  uint32_t id = intern_by_content(name);
  if (id != 0) {
    name_cache_key[slot] = name;
    name_cache_id[slot] = id;
  }
  return id;
}

static uint32_t intern_by_content(const char *name) {
  uint64_t h = 1469598103934665603ULL;
  for (const char *p = name; *p; p++) {
    h = (h ^ (uint8_t) *p) * 1099511628211ULL;
  }
  for (uint32_t probe = 0; probe < MT_NAME_CAPACITY; probe++) {
    uint32_t slot = (uint32_t) (h + probe) & (MT_NAME_CAPACITY - 1);
    if (name_keys[slot] == NULL) {
      if (name_count + 1 >= MT_NAME_CAPACITY) {
        counters[C_NAME_TABLE_FULL]++;
        return 0;
      }
      char *copy = strdup(name);
      if (copy == NULL) {
        return 0;
      }
      uint32_t id = ++name_count;
      names_by_id[id] = copy; /* published to Java by the ring's release store of a record that uses it */
      name_ids[slot] = id;
      name_keys[slot] = copy;
      counters[C_NAMES] = name_count;
      return id;
    }
    if (strcmp(name_keys[slot], name) == 0) {
      return name_ids[slot];
    }
  }
  counters[C_NAME_TABLE_FULL]++;
  return 0;
}

/* ---- parsing -------------------------------------------------------------------------------------------------- */

#define FIELD(rec, off, type) (*(const type *) ((const uint8_t *) (rec) + (off)))

static void parse_record(const void *rec) {
  uint32_t kind = FIELD(rec, MT_OFF_KIND, uint32_t);
  gpu_rec r;
  memset(&r, 0, sizeof r);
  switch (kind) {
    case MT_KIND_EXTERNAL_CORRELATION:
      if (FIELD(rec, MT_OFF_EXT_KIND, uint32_t) == MT_EXTERNAL_CORRELATION_KIND_CUSTOM0) {
        corr_put(FIELD(rec, MT_OFF_EXT_CORRELATION, uint32_t), FIELD(rec, MT_OFF_EXT_ID, uint64_t));
      }
      return;
    case MT_KIND_CONCURRENT_KERNEL:
    case MT_KIND_KERNEL:
      r.type = 1;
      r.start = (int64_t) FIELD(rec, MT_OFF_KERNEL_START, uint64_t);
      r.end = (int64_t) FIELD(rec, MT_OFF_KERNEL_END, uint64_t);
      r.device = FIELD(rec, MT_OFF_KERNEL_DEVICE, uint32_t);
      r.stream = FIELD(rec, MT_OFF_KERNEL_STREAM, uint32_t);
      r.grid_x = (uint32_t) FIELD(rec, MT_OFF_KERNEL_GRID_X, int32_t);
      r.block_x = (uint32_t) FIELD(rec, MT_OFF_KERNEL_BLOCK_X, int32_t);
      r.correlation = FIELD(rec, MT_OFF_KERNEL_CORRELATION, uint32_t);
      r.name_id = intern(FIELD(rec, MT_OFF_KERNEL_NAME, const char *));
      break;
    case MT_KIND_MEMCPY:
    case MT_KIND_MEMSET:
      r.type = kind == MT_KIND_MEMCPY ? 2 : 3;
      r.copy_kind = kind == MT_KIND_MEMCPY ? FIELD(rec, MT_OFF_MEMCPY_COPY_KIND, uint8_t) : 0;
      r.bytes = (int64_t) FIELD(rec, MT_OFF_MEM_BYTES, uint64_t);
      r.start = (int64_t) FIELD(rec, MT_OFF_MEM_START, uint64_t);
      r.end = (int64_t) FIELD(rec, MT_OFF_MEM_END, uint64_t);
      r.device = FIELD(rec, MT_OFF_MEM_DEVICE, uint32_t);
      r.stream = FIELD(rec, MT_OFF_MEM_STREAM, uint32_t);
      r.correlation = FIELD(rec, MT_OFF_MEM_CORRELATION, uint32_t);
      break;
    default:
      counters[C_OTHER_RECORDS]++;
      return;
  }
  counters[C_GPU_PARSED]++;
  r.start += clock_offset;
  r.end += clock_offset;
  uint64_t ext;
  if (corr_get(r.correlation, &ext)) {
    r.external_id = (int64_t) ext;
    r.flags = 1;
    ring_write(&r);
  } else {
    pending_add(&r);
  }
}

/* ---- buffers -------------------------------------------------------------------------------------------------- */

static void buffer_requested(uint8_t **buffer, size_t *size, size_t *max_records) {
  pthread_mutex_lock(&pool_lock);
  uint8_t *b = pool_free_count > 0 ? pool_free[--pool_free_count] : NULL;
  pthread_mutex_unlock(&pool_lock);
  if (b == NULL) {
    __atomic_fetch_add(&counters[C_POOL_EMPTY], 1, __ATOMIC_RELAXED); /* CUPTI drops records until a buffer comes back; it counts them for us */
  }
  *buffer = b;
  *size = b == NULL ? 0 : buffer_bytes;
  *max_records = 0;
}

static void buffer_completed(void *context, uint32_t stream, uint8_t *buffer, size_t size, size_t valid) {
  (void) size;
  int64_t t0 = monotonic_ns();
  pthread_mutex_lock(&parse_lock);
  if (ring != NULL && buffer != NULL) {
    void *rec = NULL;
    while (valid > 0 && cupti.next_record(buffer, valid, &rec) == MT_CUPTI_SUCCESS) {
      parse_record(rec);
    }
    size_t dropped = 0;
    if (cupti.dropped_records != NULL && cupti.dropped_records(context, stream, &dropped) == MT_CUPTI_SUCCESS) {
      counters[C_CUPTI_DROPPED] += (int64_t) dropped;
    }
    buffers_completed++;
    counters[C_BUFFERS] = (int64_t) buffers_completed;
    pending_sweep(INT64_MIN);
  }
  counters[C_PARSE_NS] += monotonic_ns() - t0;
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

static int allocate(int ring_records, int buffers, int bytes, int pending_cap, int corr_cap) {
  pool_memory = aligned_alloc(64, (size_t) buffers * (size_t) bytes);
  pool_free = calloc((size_t) buffers, sizeof(uint8_t *));
  corr = calloc((size_t) corr_cap, sizeof(corr_entry));
  pending = calloc((size_t) pending_cap, sizeof(pending_entry));
  if (pool_memory == NULL || pool_free == NULL || corr == NULL || pending == NULL) {
    return 0;
  }
  memset(pool_memory, 0, (size_t) buffers * (size_t) bytes); /* touch every page now, not during a launch */
  for (int i = 0; i < buffers; i++) {
    pool_free[i] = pool_memory + (size_t) i * (size_t) bytes;
  }
  pool_size = pool_free_count = buffers;
  buffer_bytes = (size_t) bytes;
  corr_mask = (uint64_t) corr_cap - 1;
  pending_capacity = (uint32_t) pending_cap;
  pending_head = pending_count = 0;
  ring_mask = (uint64_t) ring_records - 1;
  ring_written = ring_consumed_cache = 0;
  buffers_completed = 0;
  return 1;
}

static void release(void) {
  free(pool_memory);
  free(pool_free);
  free(corr);
  free(pending);
  pool_memory = NULL;
  pool_free = NULL;
  corr = NULL;
  pending = NULL;
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
  memset(counters, 0, sizeof counters);
  memset(name_cache_key, 0, sizeof name_cache_key); /* another libcupti may own other strings at these addresses */
  int allocated = allocate((int) records, buffers, bytes, pending_cap, corr_cap);
  pthread_mutex_unlock(&parse_lock);
  if (!allocated) {
    release();
    return reason(env, "cannot allocate the CUPTI buffer pool%s%s", "", "");
  }
  /* The timestamp callback must be registered before any kind is enabled. */
  if (cupti.register_timestamp != NULL && cupti.register_timestamp(timestamp_callback) == MT_CUPTI_SUCCESS) {
    counters[C_CLOCK_MODE] = 1;
    clock_offset = 0;
  } else {
    counters[C_CLOCK_MODE] = 2;
    measure_clock_offset();
  }
  r = cupti.register_callbacks(buffer_requested, buffer_completed);
  if (r != MT_CUPTI_SUCCESS) {
    release();
    return reason(env, "cuptiActivityRegisterCallbacks failed (%s)%s", result_name(r), "");
  }
  ring_ref = (*env)->NewGlobalRef(env, jring);
  pthread_mutex_lock(&parse_lock);
  ring = address;
  pthread_mutex_unlock(&parse_lock);
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
    if (ring != NULL) {
      pending_sweep(flush_start);
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

JNIEXPORT void JNICALL Java_io_mltrace_bootstrap_GpuNative_close0(JNIEnv *env, jclass cls) {
  if (!is_open) {
    return;
  }
  Java_io_mltrace_bootstrap_GpuNative_disable0(env, cls);
  Java_io_mltrace_bootstrap_GpuNative_flush0(env, cls, JNI_TRUE);
  is_open = 0;
  pthread_mutex_lock(&parse_lock);
  ring = NULL;
  pthread_mutex_lock(&pool_lock);
  /* Buffers still out with CUPTI would come back into freed memory: keep the pool if any is missing. */
  if (pool_free_count == pool_size) {
    release();
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
    copy[i] = __atomic_load_n(&counters[i], __ATOMIC_RELAXED);
  }
  jsize n = (*env)->GetArrayLength(env, out);
  (*env)->SetLongArrayRegion(env, out, 0, n < C_COUNT ? n : C_COUNT, copy);
}

JNIEXPORT jstring JNICALL Java_io_mltrace_bootstrap_GpuNative_kernelName0(JNIEnv *env, jclass cls, jint id) {
  (void) cls;
  if (id <= 0 || id >= MT_NAME_CAPACITY) {
    return NULL;
  }
  const char *name = __atomic_load_n(&names_by_id[id], __ATOMIC_ACQUIRE);
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
