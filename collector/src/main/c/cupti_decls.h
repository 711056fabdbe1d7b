/*
 * The few CUPTI declarations the bridge uses, written out here so that it builds without a CUDA toolkit.
 *
 * Values and field offsets are those of CUPTI for CUDA 12.x and 13.x (CUPTI_API_VERSION 130001). offset_check.c
 * asserts every one of them against the real headers when the build finds them (see build.sh).
 * Records are read through these offsets, never through CUPTI's structs, so that one library reads the layouts
 * of both major versions: the fields used sit at the same offsets in Kernel4..Kernel10, Memcpy5/6, Memset4 and
 * Memory2..Memory4.
 */
#ifndef MLTRACE_CUPTI_DECLS_H
#define MLTRACE_CUPTI_DECLS_H

#include <stddef.h>
#include <stdint.h>

typedef int MtCuptiResult;
#define MT_CUPTI_SUCCESS 0
#define MT_CUPTI_ERROR_MAX_LIMIT_REACHED 12
#define MT_CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED 39

/* CUpti_ActivityKind */
#define MT_KIND_MEMCPY 1
#define MT_KIND_MEMSET 2
#define MT_KIND_KERNEL 3
#define MT_KIND_DRIVER 4
#define MT_KIND_RUNTIME 5
#define MT_KIND_CONCURRENT_KERNEL 10
#define MT_KIND_EXTERNAL_CORRELATION 39
#define MT_KIND_MEMORY2 49

/* CUpti_ExternalCorrelationKind */
#define MT_EXTERNAL_CORRELATION_KIND_CUSTOM0 3

/* CUpti_ActivityFlag */
#define MT_FLUSH_FORCED 1u

/* CUpti_ActivityMemcpyKind values the accounting names */
#define MT_MEMCPY_HTOD 1
#define MT_MEMCPY_DTOH 2
#define MT_MEMCPY_DTOD 8

/* CUpti_Activity: every record starts with its kind. */
#define MT_OFF_KIND 0

/* CUpti_ActivityKernel4..10 */
#define MT_OFF_KERNEL_START 16
#define MT_OFF_KERNEL_END 24
#define MT_OFF_KERNEL_DEVICE 40
#define MT_OFF_KERNEL_STREAM 48
#define MT_OFF_KERNEL_GRID_X 52
#define MT_OFF_KERNEL_BLOCK_X 64
#define MT_OFF_KERNEL_CORRELATION 92
#define MT_OFF_KERNEL_NAME 104

/* CUpti_ActivityMemcpy5/6 and CUpti_ActivityMemset4 */
#define MT_OFF_MEMCPY_COPY_KIND 4
#define MT_OFF_MEM_BYTES 8
#define MT_OFF_MEM_START 16
#define MT_OFF_MEM_END 24
#define MT_OFF_MEM_DEVICE 32
#define MT_OFF_MEM_STREAM 40
#define MT_OFF_MEM_CORRELATION 44

/* CUpti_ActivityMemory2/3/4 (MEMORY2 records, CUDA 11.6+: Memory4 in CUDA 12.x and 13.x): one record per allocation
 * and one per release, each with the correlation id of the API call that made it. */
#define MT_OFF_MEMORY_OPERATION 4
#define MT_OFF_MEMORY_KIND 8
#define MT_OFF_MEMORY_CORRELATION 12
#define MT_OFF_MEMORY_ADDRESS 16
#define MT_OFF_MEMORY_BYTES 24
#define MT_OFF_MEMORY_TIMESTAMP 32
#define MT_OFF_MEMORY_DEVICE 52
#define MT_OFF_MEMORY_STREAM 60

/* CUpti_ActivityMemoryOperationType */
#define MT_MEMORY_OPERATION_ALLOCATION 1
#define MT_MEMORY_OPERATION_RELEASE 2

/* CUpti_ActivityMemoryKind values Java names (io.mltrace.gpu.CuptiActivitySource): host memory is not device memory */
#define MT_MEMORY_KIND_PAGEABLE 1
#define MT_MEMORY_KIND_PINNED 2
#define MT_MEMORY_KIND_DEVICE 3
#define MT_MEMORY_KIND_MANAGED 5

/* CUpti_ActivityAPI (RUNTIME and DRIVER records): the API call that launched a GPU record has its correlation id */
#define MT_OFF_API_START 8
#define MT_OFF_API_END 16
#define MT_OFF_API_CORRELATION 32

/* CUpti_ActivityExternalCorrelation */
#define MT_OFF_EXT_KIND 4
#define MT_OFF_EXT_ID 8
#define MT_OFF_EXT_CORRELATION 16

typedef void (*MtBufferRequested)(uint8_t **buffer, size_t *size, size_t *maxNumRecords);
typedef void (*MtBufferCompleted)(void *context, uint32_t streamId, uint8_t *buffer, size_t size,
                                  size_t validSize);
typedef uint64_t (*MtTimestampFunc)(void);
typedef void (*MtCallbackFunc)(void *userdata, int domain, uint32_t cbid, const void *cbdata);

typedef MtCuptiResult (*MtGetResultString)(MtCuptiResult result, const char **str);
typedef MtCuptiResult (*MtSubscribe)(void **subscriber, MtCallbackFunc callback, void *userdata);
typedef MtCuptiResult (*MtUnsubscribe)(void *subscriber);
typedef MtCuptiResult (*MtRegisterCallbacks)(MtBufferRequested requested, MtBufferCompleted completed);
typedef MtCuptiResult (*MtRegisterTimestampCallback)(MtTimestampFunc func);
typedef MtCuptiResult (*MtActivityKindFunc)(uint32_t kind);
typedef MtCuptiResult (*MtFlushAll)(uint32_t flag);
typedef MtCuptiResult (*MtGetNextRecord)(uint8_t *buffer, size_t validSize, void **record);
typedef MtCuptiResult (*MtGetNumDroppedRecords)(void *context, uint32_t streamId, size_t *dropped);
typedef MtCuptiResult (*MtGetTimestamp)(uint64_t *timestamp);
typedef MtCuptiResult (*MtPushExternalCorrelationId)(uint32_t kind, uint64_t id);
typedef MtCuptiResult (*MtPopExternalCorrelationId)(uint32_t kind, uint64_t *lastId);

#endif
