/*
 * The buffer-thread half of the CUPTI bridge: CUPTI activity records in, compact 64-byte records out, each GPU
 * record joined to the span that launched it. Every function here except mt_kernel_name runs with the bridge's
 * parse lock held (one parser at a time; CUPTI may complete buffers on several threads).
 *
 * Ring layout (little-endian): [0] u64 written count (producer, release store), [64] u64 consumed count (consumer),
 * records from byte 128, MT_REC_BYTES each:
 *   0 u8 type (1 kernel, 2 memcpy, 3 memset, 4 device memory allocated, 5 device memory released)  1 u8 copy kind
 *   (memcpy), memory kind (4 and 5)  2 u16 flags (bit 0: joined to a span; bit 1: the launch is known)  4 u32 name
 *   id  8 i64 start (agent clock)  16 i64 end (4 and 5: both the operation's timestamp)  24 i64 external id (the
 *   span id, 0 when none)  32 i64 bytes  40 u32 device  44 u32 stream  48 u32 correlation id  52 u32 grid x
 *   56 u32 block x (4 and 5: 52 u64 the address instead)  60 u32 reserved  64 i64 launch start (the runtime or
 *   driver API call that launched it; agent clock)  72 i64 launch end
 */
#ifndef MLTRACE_GPU_RECORDS_H
#define MLTRACE_GPU_RECORDS_H

#include <stdint.h>

#define MT_REC_BYTES 80
#define MT_RING_HEADER 128

/* Counters, in the order io.mltrace.gpu.GpuStats reads them. */
enum {
  C_EMITTED, C_RING_FULL, C_CUPTI_DROPPED, C_PENDING_OVERFLOW, C_UNRESOLVED, C_BUFFERS, C_POOL_EMPTY,
  C_CORRELATIONS, C_NAMES, C_NAME_TABLE_FULL, C_PENDING_NOW, C_MIN_PENDING_END, C_CLOCK_MODE, C_PARSE_NS,
  C_GPU_PARSED, C_OTHER_RECORDS, C_MEMORY_PARSED, C_COUNT
};

/* Written under the parse lock (C_POOL_EMPTY atomically); read relaxed by counters0. */
extern int64_t mt_counters[C_COUNT];

/* Agent clock minus CUPTI's clock; 0 when CUPTI stamps with CLOCK_MONOTONIC through the timestamp callback. */
extern volatile int64_t mt_clock_offset;

/* Attaches the ring (a power of two of records) and allocates the join tables; 0 when out of memory. */
int mt_records_attach(uint8_t *ring, uint64_t ring_records, uint32_t pending_capacity, uint64_t corr_capacity);

/* Detaches the ring and frees the tables: later buffers are parsed into nothing. */
void mt_records_detach(void);

int mt_records_attached(void);

/* Parses one CUPTI activity record. */
void mt_parse_record(const void *record);

/* A whole buffer was parsed: count it and join what the new correlation records allow. */
void mt_buffer_parsed(void);

/* After a forced flush that began at `flush_start` (agent clock): every GPU record that ended before it and is still
 * unjoined never will be; emit those unjoined. */
void mt_settle(int64_t flush_start);

/* The interned kernel name with this id, or NULL. Any thread. */
const char *mt_kernel_name(int id);

#endif
