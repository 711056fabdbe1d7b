/*
 * A fake libcupti for tests on machines without a GPU. It exports the CUPTI functions the bridge binds and
 * synthesizes activity records in the real CUDA 13.0 layouts (CUpti_ActivityKernel10, Memcpy6, Memset4, Memory4,
 * API, ExternalCorrelation; offsets in fake_layout.h, checked against the real headers by offset_check.c), with:
 *  - per-thread external-correlation stacks, as CUPTI keeps them;
 *  - device records and host records (API, external correlation) in separate buffers, device buffers delivered as
 *    soon as they fill and host buffers optionally held back until a flush, so GPU records arrive before the
 *    records that correlate them;
 *  - records dropped (and counted for cuptiActivityGetNumDroppedRecords) when the client has no buffer to give;
 *  - a failing enable, another subscriber, and a missing timestamp callback, on request.
 *
 * Tests drive it through JNI (io.mltrace.gpu.FakeCupti, fake_jni.c): a "launch" runs on the calling thread, takes the requested
 * duration (spinning on the clock), and emits the records a real launch would. A scripted launch ("...At") is
 * asynchronous, as real launches are: the API call takes the requested time on the calling thread, and the work
 * runs at the requested time on the agent's clock, whether or not the host has moved on.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fake_cupti.h"
#include "fake_layout.h"

typedef void (*buffer_requested_fn)(uint8_t **buffer, size_t *size, size_t *max_records);
typedef void (*buffer_completed_fn)(void *ctx, uint32_t stream, uint8_t *buffer, size_t size, size_t valid);
typedef uint64_t (*timestamp_fn)(void);

#define MAX_HELD 64

typedef struct {
  uint8_t *buffer;
  size_t size, used;
} open_buffer;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static buffer_requested_fn requested;
static buffer_completed_fn completed;
static timestamp_fn timestamp_callback;
static int enabled[64];
static uint32_t correlation_seq;
static int64_t dropped;
static open_buffer device_buf, host_buf;
static open_buffer held[MAX_HELD];
static int held_count;

/* configuration (tests) */
static int fail_enable_kind = -1;
static int other_subscriber;
static int refuse_timestamp_callback;
static int hold_host_buffers;

static __thread uint64_t correlation_stack[128];
static __thread int correlation_depth;

static uint64_t now(void) {
  if (timestamp_callback != NULL) {
    return timestamp_callback();
  }
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts); /* CUPTI's default clock on Linux x86-64 */
  return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

/* ---- the exported CUPTI functions ------------------------------------------------------------------------------ */

int cuptiGetResultString(int result, const char **str) {
  switch (result) {
    case 0: *str = "CUPTI_SUCCESS"; break;
    case 12: *str = "CUPTI_ERROR_MAX_LIMIT_REACHED"; break;
    case 27: *str = "CUPTI_ERROR_NOT_SUPPORTED"; break;
    case 35: *str = "CUPTI_ERROR_INSUFFICIENT_PRIVILEGES"; break;
    case 39: *str = "CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED"; break;
    default: *str = "CUPTI_ERROR_UNKNOWN"; break;
  }
  return 0;
}

int cuptiSubscribe(void **subscriber, void *callback, void *userdata) {
  (void) callback;
  (void) userdata;
  if (other_subscriber) {
    return 39;
  }
  *subscriber = (void *) 1;
  return 0;
}

int cuptiUnsubscribe(void *subscriber) {
  (void) subscriber;
  return 0;
}

int cuptiActivityRegisterCallbacks(buffer_requested_fn req, buffer_completed_fn done) {
  requested = req;
  completed = done;
  return 0;
}

int cuptiActivityRegisterTimestampCallback(timestamp_fn fn) {
  if (refuse_timestamp_callback) {
    return 27;
  }
  timestamp_callback = fn;
  return 0;
}

/* FAKE_CUPTI_FAIL_ENABLE_AFTER=N in the environment: the (N+1)-th enable of concurrent kernels fails, as CUPTI
 * failing mid-run (a child JVM cannot call fake_configure before the agent starts). */
static int kernel_enables;

int cuptiActivityEnable(uint32_t kind) {
  if ((int) kind == fail_enable_kind) {
    return 35;
  }
  if (kind == 10) {
    const char *after = getenv("FAKE_CUPTI_FAIL_ENABLE_AFTER");
    if (after != NULL && kernel_enables++ >= atoi(after)) {
      return 35;
    }
  }
  if (kind < 64) {
    enabled[kind] = 1;
  }
  return 0;
}

int cuptiActivityDisable(uint32_t kind) {
  if (kind < 64) {
    enabled[kind] = 0;
  }
  return 0;
}

int cuptiGetTimestamp(uint64_t *t) {
  *t = now();
  return 0;
}

int cuptiActivityGetNumDroppedRecords(void *ctx, uint32_t stream, size_t *out) {
  (void) ctx;
  (void) stream;
  *out = (size_t) __atomic_exchange_n(&dropped, 0, __ATOMIC_RELAXED);
  return 0;
}

static size_t record_size(const uint8_t *rec) {
  switch (*(const uint32_t *) rec) {
    case FAKE_KIND_CONCURRENT_KERNEL: return FAKE_SIZE_KERNEL10;
    case FAKE_KIND_MEMCPY: return FAKE_SIZE_MEMCPY6;
    case FAKE_KIND_MEMSET: return FAKE_SIZE_MEMSET4;
    case FAKE_KIND_RUNTIME: return FAKE_SIZE_API;
    case FAKE_KIND_MEMORY2: return FAKE_SIZE_MEMORY4;
    default: return FAKE_SIZE_EXTERNAL_CORRELATION;
  }
}

int cuptiActivityGetNextRecord(uint8_t *buffer, size_t valid, void **record) {
  uint8_t *next = *record == NULL ? buffer : (uint8_t *) *record + record_size(*record);
  if (next >= buffer + valid) {
    return 12; /* CUPTI_ERROR_MAX_LIMIT_REACHED: no more records */
  }
  *record = next;
  return 0;
}

int cuptiActivityPushExternalCorrelationId(uint32_t kind, uint64_t id) {
  if (kind != FAKE_EXTERNAL_KIND_CUSTOM0 || correlation_depth >= 128) {
    return 1;
  }
  correlation_stack[correlation_depth++] = id;
  return 0;
}

int cuptiActivityPopExternalCorrelationId(uint32_t kind, uint64_t *last) {
  if (kind != FAKE_EXTERNAL_KIND_CUSTOM0 || correlation_depth == 0) {
    return 1;
  }
  *last = correlation_stack[--correlation_depth];
  return 0;
}

/* ---- buffers (lock held) ---------------------------------------------------------------------------------------- */

static void deliver(open_buffer *b) {
  if (b->buffer != NULL && completed != NULL) {
    completed(NULL, 0, b->buffer, b->size, b->used);
  }
  b->buffer = NULL;
  b->size = b->used = 0;
}

static void complete(open_buffer *b, int is_host) {
  if (b->buffer == NULL) {
    return;
  }
  if (is_host && hold_host_buffers && held_count < MAX_HELD) {
    held[held_count++] = *b;
    b->buffer = NULL;
    b->size = b->used = 0;
    return;
  }
  deliver(b);
}

static uint8_t *reserve(open_buffer *b, size_t bytes, int is_host) {
  if (b->buffer != NULL && b->used + bytes > b->size) {
    complete(b, is_host);
  }
  if (b->buffer == NULL && requested != NULL) {
    size_t max_records = 0;
    requested(&b->buffer, &b->size, &max_records);
    b->used = 0;
    if (b->buffer != NULL && b->size < bytes) {
      b->buffer = NULL;
    }
  }
  if (b->buffer == NULL) {
    dropped++;
    return NULL;
  }
  uint8_t *at = b->buffer + b->used;
  memset(at, 0, bytes);
  b->used += (bytes + 7) & ~(size_t) 7;
  return at;
}

int cuptiActivityFlushAll(uint32_t flag) {
  (void) flag;
  pthread_mutex_lock(&lock);
  deliver(&device_buf); /* device records first: their correlation records come after them */
  for (int i = 0; i < held_count; i++) {
    deliver(&held[i]);
  }
  held_count = 0;
  deliver(&host_buf);
  pthread_mutex_unlock(&lock);
  return 0;
}

#define PUT(rec, off, type, value) (*(type *) ((rec) + (off)) = (type) (value))

/* The host side of a launch starts at the API's entry: CUPTI assigns the correlation id and writes the
 * external-correlation record (when the calling thread has an id pushed) then, before the GPU work can start, and
 * writes the API record at the API's exit. The bridge relies on that order: a GPU record that ended before a
 * forced flush began has its correlation record in a buffer that flush delivers. */
static uint32_t api_enter(void) {
  uint32_t correlation = ++correlation_seq;
  if (enabled[FAKE_KIND_EXTERNAL_CORRELATION] && correlation_depth > 0) {
    uint8_t *ext = reserve(&host_buf, FAKE_SIZE_EXTERNAL_CORRELATION, 1);
    if (ext != NULL) {
      PUT(ext, 0, uint32_t, FAKE_KIND_EXTERNAL_CORRELATION);
      PUT(ext, FAKE_OFF_EXT_KIND, uint32_t, FAKE_EXTERNAL_KIND_CUSTOM0);
      PUT(ext, FAKE_OFF_EXT_ID, uint64_t, correlation_stack[correlation_depth - 1]);
      PUT(ext, FAKE_OFF_EXT_CORRELATION, uint32_t, correlation);
    }
  }
  return correlation;
}

static void api_exit(uint32_t correlation, uint64_t api_start, uint64_t api_end) {
  if (enabled[FAKE_KIND_RUNTIME]) {
    uint8_t *api = reserve(&host_buf, FAKE_SIZE_API, 1);
    if (api != NULL) {
      PUT(api, 0, uint32_t, FAKE_KIND_RUNTIME);
      PUT(api, FAKE_OFF_API_START, uint64_t, api_start);
      PUT(api, FAKE_OFF_API_END, uint64_t, api_end);
      PUT(api, FAKE_OFF_API_CORRELATION, uint32_t, correlation);
    }
  }
}

static void spin_until(uint64_t t) {
  while (now() < t) {
  }
}

/* ---- the control side the tests drive (fake_cupti.h; JNI in fake_jni.c) ---------------------------------------- */

void fake_configure(int fail_kind, int subscriber_taken, int no_timestamp_callback, int hold_host) {
  pthread_mutex_lock(&lock);
  fail_enable_kind = fail_kind;
  other_subscriber = subscriber_taken;
  refuse_timestamp_callback = no_timestamp_callback;
  hold_host_buffers = hold_host;
  timestamp_callback = NULL;
  memset(enabled, 0, sizeof enabled);
  device_buf.buffer = host_buf.buffer = NULL; /* the previous client's buffers are not ours to return */
  held_count = 0;
  dropped = 0;
  pthread_mutex_unlock(&lock);
}

/* The GPU record of one launch (lock held). */
static void gpu_record(int on, int kind, const char *name, uint8_t copy_kind, int64_t bytes, uint64_t start,
                       uint64_t end, uint32_t correlation) {
  if (on) {
    size_t size = kind == FAKE_KIND_CONCURRENT_KERNEL ? FAKE_SIZE_KERNEL10
                  : kind == FAKE_KIND_MEMCPY          ? FAKE_SIZE_MEMCPY6
                                                      : FAKE_SIZE_MEMSET4;
    uint8_t *r = reserve(&device_buf, size, 0);
    if (r != NULL) {
      PUT(r, 0, uint32_t, kind);
      if (kind == FAKE_KIND_CONCURRENT_KERNEL) {
        PUT(r, FAKE_OFF_KERNEL_START, uint64_t, start);
        PUT(r, FAKE_OFF_KERNEL_END, uint64_t, end);
        PUT(r, FAKE_OFF_KERNEL_DEVICE, uint32_t, 0);
        PUT(r, FAKE_OFF_KERNEL_STREAM, uint32_t, 7);
        PUT(r, FAKE_OFF_KERNEL_GRID_X, int32_t, 128);
        PUT(r, FAKE_OFF_KERNEL_BLOCK_X, int32_t, 256);
        PUT(r, FAKE_OFF_KERNEL_CORRELATION, uint32_t, correlation);
        PUT(r, FAKE_OFF_KERNEL_NAME, const char *, name);
      } else {
        if (kind == FAKE_KIND_MEMCPY) {
          PUT(r, FAKE_OFF_MEMCPY_COPY_KIND, uint8_t, copy_kind);
        }
        PUT(r, FAKE_OFF_MEM_BYTES, uint64_t, bytes);
        PUT(r, FAKE_OFF_MEM_START, uint64_t, start);
        PUT(r, FAKE_OFF_MEM_END, uint64_t, end);
        PUT(r, FAKE_OFF_MEM_DEVICE, uint32_t, 0);
        PUT(r, FAKE_OFF_MEM_STREAM, uint32_t, 7);
        PUT(r, FAKE_OFF_MEM_CORRELATION, uint32_t, correlation);
      }
    }
  }
}

void fake_launch(int kind, const char *name, uint8_t copy_kind, int64_t bytes, int64_t duration_ns) {
  uint64_t api_start = now();
  pthread_mutex_lock(&lock);
  int on = enabled[kind]; /* whether the kind was enabled when the work was launched */
  uint32_t correlation = api_enter();
  pthread_mutex_unlock(&lock);
  uint64_t start = now();
  spin_until(start + (uint64_t) duration_ns); /* a synchronous launch: the work runs inside the calling span */
  uint64_t end = now();
  pthread_mutex_lock(&lock);
  api_exit(correlation, api_start, end);
  gpu_record(on, kind, name, copy_kind, bytes, start, end, correlation);
  pthread_mutex_unlock(&lock);
}

/* CLOCK_MONOTONIC, the agent's clock (System.nanoTime() on Linux). */
static uint64_t agent_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

/* An asynchronous launch: the API call spins for api_ns; the work runs at [start, start + duration) on the agent's
 * clock (converted to CUPTI's clock when the bridge did not register its timestamp callback), where start is
 * start_ns, or with `after_api` start_ns after the API call's start. Returns the API call's start on the agent's
 * clock. */
int64_t fake_launch_at(int kind, const char *name, uint8_t copy_kind, int64_t bytes, int64_t api_ns, int64_t start_ns,
                       int64_t duration_ns, int after_api) {
  uint64_t api_start = now();
  /* with the bridge's timestamp callback CUPTI's clock is the agent's: no conversion, so the times stay exact */
  int64_t to_cupti = timestamp_callback != NULL ? 0 : (int64_t) api_start - (int64_t) agent_now();
  pthread_mutex_lock(&lock);
  int on = enabled[kind]; /* whether the kind was enabled when the work was launched */
  uint32_t correlation = api_enter();
  pthread_mutex_unlock(&lock);
  spin_until(api_start + (uint64_t) api_ns);
  pthread_mutex_lock(&lock);
  api_exit(correlation, api_start, api_start + (uint64_t) api_ns);
  uint64_t start = after_api ? api_start + (uint64_t) start_ns : (uint64_t) (start_ns + to_cupti);
  gpu_record(on, kind, name, copy_kind, bytes, start, start + (uint64_t) duration_ns, correlation);
  pthread_mutex_unlock(&lock);
  return (int64_t) api_start - to_cupti;
}

/* A synchronous cudaMalloc or cudaFree (or their driver and async forms): the API call's records as a launch's, and
 * one MEMORY2 record (Memory4) for the operation, in the device buffer so that it can arrive before the records that
 * correlate it. */
void fake_memory(uint32_t operation, uint32_t memory_kind, uint64_t address, uint64_t bytes) {
  uint64_t api_start = now();
  pthread_mutex_lock(&lock);
  uint32_t correlation = api_enter();
  uint64_t at = now();
  if (enabled[FAKE_KIND_MEMORY2]) {
    uint8_t *r = reserve(&device_buf, FAKE_SIZE_MEMORY4, 0);
    if (r != NULL) {
      PUT(r, 0, uint32_t, FAKE_KIND_MEMORY2);
      PUT(r, FAKE_OFF_MEMORY_OPERATION, uint32_t, operation);
      PUT(r, FAKE_OFF_MEMORY_KIND, uint32_t, memory_kind);
      PUT(r, FAKE_OFF_MEMORY_CORRELATION, uint32_t, correlation);
      PUT(r, FAKE_OFF_MEMORY_ADDRESS, uint64_t, address);
      PUT(r, FAKE_OFF_MEMORY_BYTES, uint64_t, bytes);
      PUT(r, FAKE_OFF_MEMORY_TIMESTAMP, uint64_t, at);
      PUT(r, FAKE_OFF_MEMORY_PROCESS, uint32_t, 4242);
      PUT(r, FAKE_OFF_MEMORY_DEVICE, uint32_t, 0);
      PUT(r, FAKE_OFF_MEMORY_STREAM, uint32_t, 7);
    }
  }
  api_exit(correlation, api_start, now());
  pthread_mutex_unlock(&lock);
}

int fake_correlation_depth(void) { return correlation_depth; }
