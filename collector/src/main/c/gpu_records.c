/*
 * The buffer-thread half of the CUPTI bridge (see gpu_records.h): parse, join, intern, write the ring.
 */
#define _GNU_SOURCE
#include "gpu_records.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cupti_decls.h"

#define MT_NAME_CAPACITY 4096

typedef struct {
  uint8_t type, copy_kind;
  uint16_t flags;
  uint32_t name_id;
  int64_t start, end, external_id, bytes;
  uint32_t device, stream, correlation, grid_x, block_x, reserved;
  int64_t launch_start, launch_end;
} gpu_rec;
_Static_assert(sizeof(gpu_rec) == MT_REC_BYTES, "gpu_rec is the ring's record");
_Static_assert(offsetof(gpu_rec, block_x) == offsetof(gpu_rec, grid_x) + 4, "a memory record's address spans both");

/* What is known of one CUPTI correlation id: the span that launched it (external correlation record, written at
 * the API call's entry) and the API call itself (API record, written at its exit). */
typedef struct {
  uint32_t correlation;
  uint8_t has_span, has_launch;
  uint64_t external_id;
  int64_t launch_start, launch_end;
} corr_entry;

#define TYPE_KERNEL 1
#define TYPE_MEMCPY 2
#define TYPE_MEMSET 3
#define TYPE_ALLOC 4
#define TYPE_FREE 5

#define FLAG_JOINED 1
#define FLAG_LAUNCH 2

typedef struct {
  gpu_rec rec;
  /* Forced flushes this record has waited through with its span known but its API record missing. */
  uint32_t settles;
} pending_entry;

static uint8_t *ring;
static uint64_t ring_mask;
static uint64_t ring_written, ring_consumed_cache;
static corr_entry *corr;
static uint64_t corr_mask;
static pending_entry *pending;
static uint32_t pending_capacity, pending_head, pending_count;
static uint64_t buffers_completed;
static int correlations_since_sweep; /* a sweep can join nothing new without them */

static char *name_keys[MT_NAME_CAPACITY]; /* open addressing by string hash */
static uint32_t name_ids[MT_NAME_CAPACITY];
static char *names_by_id[MT_NAME_CAPACITY + 1];
static uint32_t name_count;

int64_t mt_counters[C_COUNT];
volatile int64_t mt_clock_offset;

/* ---- ring (producer side; called with parse_lock held) -------------------------------------------------------- */

static void ring_write(const gpu_rec *r) {
  uint64_t capacity = ring_mask + 1;
  if (ring_written - ring_consumed_cache >= capacity) {
    ring_consumed_cache = __atomic_load_n((uint64_t *) (ring + 64), __ATOMIC_ACQUIRE);
    if (ring_written - ring_consumed_cache >= capacity) {
      mt_counters[C_RING_FULL]++;
      return;
    }
  }
  memcpy(ring + MT_RING_HEADER + (ring_written & ring_mask) * MT_REC_BYTES, r, MT_REC_BYTES);
  ring_written++;
  __atomic_store_n((uint64_t *) ring, ring_written, __ATOMIC_RELEASE);
  mt_counters[C_EMITTED]++;
}

/* ---- correlation: CUPTI correlation id -> span id, direct-mapped (ids grow, so the newest wins a slot) -------- */

static corr_entry *corr_slot(uint32_t correlation) {
  corr_entry *e = &corr[correlation & corr_mask];
  if (e->correlation != correlation) {
    memset(e, 0, sizeof *e);
    e->correlation = correlation;
  }
  return e;
}

static void corr_put(uint32_t correlation, uint64_t external_id) {
  corr_entry *e = corr_slot(correlation);
  e->external_id = external_id;
  e->has_span = 1;
  mt_counters[C_CORRELATIONS]++;
  correlations_since_sweep = 1;
}

static void corr_put_launch(uint32_t correlation, int64_t start, int64_t end) {
  corr_entry *e = corr_slot(correlation);
  e->launch_start = start;
  e->launch_end = end;
  e->has_launch = 1;
  correlations_since_sweep = 1;
}

/* Joins r to its span once both records of its launch are in: the external correlation record (written at the API
 * call's entry) and the API record (written at its exit, so with several launching threads often in a later
 * buffer). With `settling`, a record whose API record has not come is joined without it (see pending_sweep).
 * Returns whether r was joined. */
static int corr_join(gpu_rec *r, int settling) {
  corr_entry *e = &corr[r->correlation & corr_mask];
  if (r->correlation == 0 || e->correlation != r->correlation || !e->has_span || (!e->has_launch && !settling)) {
    return 0;
  }
  r->external_id = (int64_t) e->external_id;
  r->flags = FLAG_JOINED;
  if (e->has_launch) {
    r->launch_start = e->launch_start;
    r->launch_end = e->launch_end;
    r->flags |= FLAG_LAUNCH;
  }
  return 1;
}

/* Whether r's span is known (its external correlation record came). */
static int corr_spanned(const gpu_rec *r) {
  corr_entry *e = &corr[r->correlation & corr_mask];
  return r->correlation != 0 && e->correlation == r->correlation && e->has_span;
}

/* ---- pending GPU records whose correlation record has not arrived yet (FIFO, bounded) ------------------------- */

static int is_memory(const gpu_rec *r) { return r->type == TYPE_ALLOC || r->type == TYPE_FREE; }

static void emit_unresolved(gpu_rec *r) {
  r->external_id = 0;
  r->flags = 0;
  if (!is_memory(r)) {
    /* Memory records are collected outside windows too, where no span pushes its id: unjoined is normal there. */
    mt_counters[C_UNRESOLVED]++;
  }
  ring_write(r);
}

static void pending_add(const gpu_rec *r) {
  if (pending_count == pending_capacity) {
    pending_entry *oldest = &pending[pending_head];
    mt_counters[C_PENDING_OVERFLOW]++;
    emit_unresolved(&oldest->rec);
    pending_head = (pending_head + 1) % pending_capacity;
    pending_count--;
  }
  pending_entry *e = &pending[(pending_head + pending_count) % pending_capacity];
  e->rec = *r;
  e->settles = 0;
  pending_count++;
  mt_counters[C_PENDING_NOW] = pending_count;
}

/* Joins what can be joined now. A correlation record is emitted at the launch, before the GPU work it names can
 * complete, and a forced flush hands over every buffer: a GPU record that ended before the flush began and is
 * still unjoined after it never will be (work launched outside any span), so the sweep after a forced flush gives
 * up on those ending before `settle_before` (agent clock; other threads keep launching while the flush runs) whose
 * span is unknown: unjoined. One whose span is known but whose API record is missing waits for the next forced
 * flush: the API record is written at the call's exit, which may come after the flush began even when the work ended
 * before (a synchronous launch), and then it is in a buffer the next flush hands over. Only then is it joined
 * without its launch's times (GpuTracing.finish flushes twice, so that nothing waits past the end). */
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
    int settling = e.rec.end < settle_before;
    if (corr_join(&e.rec, settling && e.settles > 0)) {
      ring_write(&e.rec);
    } else if (settling && !corr_spanned(&e.rec)) {
      emit_unresolved(&e.rec);
    } else {
      if (settling) {
        e.settles++;
      }
      pending[(pending_head + pending_count) % pending_capacity] = e;
      pending_count++;
      if (e.rec.end < min_end) {
        min_end = e.rec.end;
      }
    }
  }
  mt_counters[C_PENDING_NOW] = pending_count;
  mt_counters[C_MIN_PENDING_END] = min_end;
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
        mt_counters[C_NAME_TABLE_FULL]++;
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
      mt_counters[C_NAMES] = name_count;
      return id;
    }
    if (strcmp(name_keys[slot], name) == 0) {
      return name_ids[slot];
    }
  }
  mt_counters[C_NAME_TABLE_FULL]++;
  return 0;
}

/* ---- parsing -------------------------------------------------------------------------------------------------- */

#define FIELD(rec, off, type) (*(const type *) ((const uint8_t *) (rec) + (off)))

void mt_parse_record(const void *rec) {
  uint32_t kind = FIELD(rec, MT_OFF_KIND, uint32_t);
  gpu_rec r;
  memset(&r, 0, sizeof r);
  switch (kind) {
    case MT_KIND_EXTERNAL_CORRELATION:
      if (FIELD(rec, MT_OFF_EXT_KIND, uint32_t) == MT_EXTERNAL_CORRELATION_KIND_CUSTOM0) {
        corr_put(FIELD(rec, MT_OFF_EXT_CORRELATION, uint32_t), FIELD(rec, MT_OFF_EXT_ID, uint64_t));
      }
      return;
    case MT_KIND_RUNTIME:
    case MT_KIND_DRIVER:
      corr_put_launch(FIELD(rec, MT_OFF_API_CORRELATION, uint32_t),
                      (int64_t) FIELD(rec, MT_OFF_API_START, uint64_t) + mt_clock_offset,
                      (int64_t) FIELD(rec, MT_OFF_API_END, uint64_t) + mt_clock_offset);
      return;
    case MT_KIND_CONCURRENT_KERNEL:
    case MT_KIND_KERNEL:
      r.type = TYPE_KERNEL;
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
      r.type = kind == MT_KIND_MEMCPY ? TYPE_MEMCPY : TYPE_MEMSET;
      r.copy_kind = kind == MT_KIND_MEMCPY ? FIELD(rec, MT_OFF_MEMCPY_COPY_KIND, uint8_t) : 0;
      r.bytes = (int64_t) FIELD(rec, MT_OFF_MEM_BYTES, uint64_t);
      r.start = (int64_t) FIELD(rec, MT_OFF_MEM_START, uint64_t);
      r.end = (int64_t) FIELD(rec, MT_OFF_MEM_END, uint64_t);
      r.device = FIELD(rec, MT_OFF_MEM_DEVICE, uint32_t);
      r.stream = FIELD(rec, MT_OFF_MEM_STREAM, uint32_t);
      r.correlation = FIELD(rec, MT_OFF_MEM_CORRELATION, uint32_t);
      break;
    case MT_KIND_MEMORY2: {
      uint32_t operation = FIELD(rec, MT_OFF_MEMORY_OPERATION, uint32_t);
      if (operation != MT_MEMORY_OPERATION_ALLOCATION && operation != MT_MEMORY_OPERATION_RELEASE) {
        mt_counters[C_OTHER_RECORDS]++;
        return;
      }
      r.type = operation == MT_MEMORY_OPERATION_ALLOCATION ? TYPE_ALLOC : TYPE_FREE;
      r.copy_kind = (uint8_t) FIELD(rec, MT_OFF_MEMORY_KIND, uint32_t);
      r.bytes = (int64_t) FIELD(rec, MT_OFF_MEMORY_BYTES, uint64_t);
      r.start = r.end = (int64_t) FIELD(rec, MT_OFF_MEMORY_TIMESTAMP, uint64_t);
      r.device = FIELD(rec, MT_OFF_MEMORY_DEVICE, uint32_t);
      r.stream = FIELD(rec, MT_OFF_MEMORY_STREAM, uint32_t);
      r.correlation = FIELD(rec, MT_OFF_MEMORY_CORRELATION, uint32_t);
      uint64_t address = FIELD(rec, MT_OFF_MEMORY_ADDRESS, uint64_t);
      memcpy(&r.grid_x, &address, sizeof address); /* grid x and block x: a kernel's, unused here */
      mt_counters[C_MEMORY_PARSED]++;
      break;
    }
    default:
      mt_counters[C_OTHER_RECORDS]++;
      return;
  }
  if (!is_memory(&r)) {
    mt_counters[C_GPU_PARSED]++;
  }
  r.start += mt_clock_offset;
  r.end += mt_clock_offset;
  if (corr_join(&r, 0)) {
    ring_write(&r);
  } else {
    pending_add(&r);
  }
}

int mt_records_attach(uint8_t *ring_address, uint64_t ring_records, uint32_t pending_cap, uint64_t corr_cap) {
  corr = calloc((size_t) corr_cap, sizeof(corr_entry));
  pending = calloc((size_t) pending_cap, sizeof(pending_entry));
  if (corr == NULL || pending == NULL) {
    mt_records_detach();
    return 0;
  }
  memset(mt_counters, 0, sizeof mt_counters);
  memset(name_cache_key, 0, sizeof name_cache_key); /* another libcupti may own other strings at these addresses */
  corr_mask = corr_cap - 1;
  pending_capacity = pending_cap;
  pending_head = pending_count = 0;
  ring_mask = ring_records - 1;
  ring_written = ring_consumed_cache = 0;
  buffers_completed = 0;
  correlations_since_sweep = 0;
  ring = ring_address;
  return 1;
}

void mt_records_detach(void) {
  ring = NULL;
  free(corr);
  free(pending);
  corr = NULL;
  pending = NULL;
}

int mt_records_attached(void) { return ring != NULL; }

void mt_buffer_parsed(void) {
  buffers_completed++;
  mt_counters[C_BUFFERS] = (int64_t) buffers_completed;
  pending_sweep(INT64_MIN);
}

void mt_settle(int64_t flush_start) { pending_sweep(flush_start); }

const char *mt_kernel_name(int id) {
  if (id <= 0 || id >= MT_NAME_CAPACITY) {
    return NULL;
  }
  return __atomic_load_n(&names_by_id[id], __ATOMIC_ACQUIRE);
}
