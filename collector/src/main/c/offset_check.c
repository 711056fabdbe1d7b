/*
 * Compile-only check: every value and field offset that the bridge (cupti_decls.h) and the fake libcupti
 * (fake_layout.h) rely on, asserted against real CUPTI headers. build.sh compiles this once per header set it
 * finds (CUDA 13 and CUDA 12); CUPTI_MAJOR tells which records that version emits.
 */
#include <stddef.h>
#include <cupti_activity.h>

#include "cupti_decls.h"
#include "../../test/c/fake_layout.h"

#define SAME(a, b) _Static_assert((a) == (b), #a " == " #b)

SAME(MT_CUPTI_SUCCESS, CUPTI_SUCCESS);
SAME(MT_CUPTI_ERROR_MAX_LIMIT_REACHED, CUPTI_ERROR_MAX_LIMIT_REACHED);
SAME(MT_CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED, CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED);
SAME(MT_KIND_MEMCPY, CUPTI_ACTIVITY_KIND_MEMCPY);
SAME(MT_KIND_MEMSET, CUPTI_ACTIVITY_KIND_MEMSET);
SAME(MT_KIND_KERNEL, CUPTI_ACTIVITY_KIND_KERNEL);
SAME(MT_KIND_DRIVER, CUPTI_ACTIVITY_KIND_DRIVER);
SAME(MT_KIND_RUNTIME, CUPTI_ACTIVITY_KIND_RUNTIME);
SAME(MT_KIND_CONCURRENT_KERNEL, CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL);
SAME(MT_KIND_EXTERNAL_CORRELATION, CUPTI_ACTIVITY_KIND_EXTERNAL_CORRELATION);
SAME(MT_KIND_MEMORY2, CUPTI_ACTIVITY_KIND_MEMORY2);
SAME(MT_MEMORY_OPERATION_ALLOCATION, CUPTI_ACTIVITY_MEMORY_OPERATION_TYPE_ALLOCATION);
SAME(MT_MEMORY_OPERATION_RELEASE, CUPTI_ACTIVITY_MEMORY_OPERATION_TYPE_RELEASE);
SAME(MT_MEMORY_KIND_PAGEABLE, CUPTI_ACTIVITY_MEMORY_KIND_PAGEABLE);
SAME(MT_MEMORY_KIND_PINNED, CUPTI_ACTIVITY_MEMORY_KIND_PINNED);
SAME(MT_MEMORY_KIND_DEVICE, CUPTI_ACTIVITY_MEMORY_KIND_DEVICE);
SAME(MT_MEMORY_KIND_MANAGED, CUPTI_ACTIVITY_MEMORY_KIND_MANAGED);
SAME(MT_EXTERNAL_CORRELATION_KIND_CUSTOM0, CUPTI_EXTERNAL_CORRELATION_KIND_CUSTOM0);
SAME(MT_FLUSH_FORCED, CUPTI_ACTIVITY_FLAG_FLUSH_FORCED);
SAME(MT_MEMCPY_HTOD, CUPTI_ACTIVITY_MEMCPY_KIND_HTOD);
SAME(MT_MEMCPY_DTOH, CUPTI_ACTIVITY_MEMCPY_KIND_DTOH);
SAME(MT_MEMCPY_DTOD, CUPTI_ACTIVITY_MEMCPY_KIND_DTOD);
SAME(MT_OFF_KIND, offsetof(CUpti_Activity, kind));

#define CHECK_KERNEL(T)                                            \
  SAME(MT_OFF_KERNEL_START, offsetof(T, start));                   \
  SAME(MT_OFF_KERNEL_END, offsetof(T, end));                       \
  SAME(MT_OFF_KERNEL_DEVICE, offsetof(T, deviceId));               \
  SAME(MT_OFF_KERNEL_STREAM, offsetof(T, streamId));               \
  SAME(MT_OFF_KERNEL_GRID_X, offsetof(T, gridX));                  \
  SAME(MT_OFF_KERNEL_BLOCK_X, offsetof(T, blockX));                \
  SAME(MT_OFF_KERNEL_CORRELATION, offsetof(T, correlationId));     \
  SAME(MT_OFF_KERNEL_NAME, offsetof(T, name))

/* Every kernel layout CUDA 12.x and 13.0 emit for CONCURRENT_KERNEL. */
CHECK_KERNEL(CUpti_ActivityKernel4);
CHECK_KERNEL(CUpti_ActivityKernel8);
CHECK_KERNEL(CUpti_ActivityKernel9);
#if CUPTI_API_VERSION >= 130000
CHECK_KERNEL(CUpti_ActivityKernel10);
SAME(FAKE_SIZE_KERNEL10, sizeof(CUpti_ActivityKernel10));
#endif

#define CHECK_MEM(T)                                               \
  SAME(MT_OFF_MEM_BYTES, offsetof(T, bytes));                      \
  SAME(MT_OFF_MEM_START, offsetof(T, start));                      \
  SAME(MT_OFF_MEM_END, offsetof(T, end));                          \
  SAME(MT_OFF_MEM_DEVICE, offsetof(T, deviceId));                  \
  SAME(MT_OFF_MEM_STREAM, offsetof(T, streamId));                  \
  SAME(MT_OFF_MEM_CORRELATION, offsetof(T, correlationId))

CHECK_MEM(CUpti_ActivityMemcpy5);
CHECK_MEM(CUpti_ActivityMemcpy6);
CHECK_MEM(CUpti_ActivityMemset4);
SAME(MT_OFF_MEMCPY_COPY_KIND, offsetof(CUpti_ActivityMemcpy5, copyKind));
SAME(MT_OFF_MEMCPY_COPY_KIND, offsetof(CUpti_ActivityMemcpy6, copyKind));
SAME(sizeof(((CUpti_ActivityMemcpy6 *) 0)->copyKind), 1);

/* Every layout MEMORY2 records have had: Memory2 (CUDA 11.6), Memory3, Memory4 (CUDA 12.x and 13.x). */
#define CHECK_MEMORY(T)                                                      \
  SAME(MT_OFF_MEMORY_OPERATION, offsetof(T, memoryOperationType));           \
  SAME(MT_OFF_MEMORY_KIND, offsetof(T, memoryKind));                         \
  SAME(MT_OFF_MEMORY_CORRELATION, offsetof(T, correlationId));               \
  SAME(MT_OFF_MEMORY_ADDRESS, offsetof(T, address));                         \
  SAME(MT_OFF_MEMORY_BYTES, offsetof(T, bytes));                             \
  SAME(MT_OFF_MEMORY_TIMESTAMP, offsetof(T, timestamp));                     \
  SAME(MT_OFF_MEMORY_DEVICE, offsetof(T, deviceId));                         \
  SAME(MT_OFF_MEMORY_STREAM, offsetof(T, streamId));                         \
  SAME(sizeof(((T *) 0)->memoryOperationType), 4);                           \
  SAME(sizeof(((T *) 0)->memoryKind), 4)

CHECK_MEMORY(CUpti_ActivityMemory2);
CHECK_MEMORY(CUpti_ActivityMemory3);
CHECK_MEMORY(CUpti_ActivityMemory4);

SAME(MT_OFF_API_START, offsetof(CUpti_ActivityAPI, start));
SAME(MT_OFF_API_END, offsetof(CUpti_ActivityAPI, end));
SAME(MT_OFF_API_CORRELATION, offsetof(CUpti_ActivityAPI, correlationId));

SAME(MT_OFF_EXT_KIND, offsetof(CUpti_ActivityExternalCorrelation, externalKind));
SAME(MT_OFF_EXT_ID, offsetof(CUpti_ActivityExternalCorrelation, externalId));
SAME(MT_OFF_EXT_CORRELATION, offsetof(CUpti_ActivityExternalCorrelation, correlationId));

/* The fake's layouts, independently written. */
SAME(FAKE_KIND_MEMCPY, CUPTI_ACTIVITY_KIND_MEMCPY);
SAME(FAKE_KIND_MEMSET, CUPTI_ACTIVITY_KIND_MEMSET);
SAME(FAKE_KIND_RUNTIME, CUPTI_ACTIVITY_KIND_RUNTIME);
SAME(FAKE_KIND_CONCURRENT_KERNEL, CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL);
SAME(FAKE_KIND_EXTERNAL_CORRELATION, CUPTI_ACTIVITY_KIND_EXTERNAL_CORRELATION);
SAME(FAKE_EXTERNAL_KIND_CUSTOM0, CUPTI_EXTERNAL_CORRELATION_KIND_CUSTOM0);
SAME(FAKE_SIZE_MEMCPY6, sizeof(CUpti_ActivityMemcpy6));
SAME(FAKE_SIZE_MEMSET4, sizeof(CUpti_ActivityMemset4));
SAME(FAKE_SIZE_API, sizeof(CUpti_ActivityAPI));
SAME(FAKE_SIZE_EXTERNAL_CORRELATION, sizeof(CUpti_ActivityExternalCorrelation));
SAME(FAKE_OFF_KERNEL_START, offsetof(CUpti_ActivityKernel9, start));
SAME(FAKE_OFF_KERNEL_END, offsetof(CUpti_ActivityKernel9, end));
SAME(FAKE_OFF_KERNEL_DEVICE, offsetof(CUpti_ActivityKernel9, deviceId));
SAME(FAKE_OFF_KERNEL_STREAM, offsetof(CUpti_ActivityKernel9, streamId));
SAME(FAKE_OFF_KERNEL_GRID_X, offsetof(CUpti_ActivityKernel9, gridX));
SAME(FAKE_OFF_KERNEL_BLOCK_X, offsetof(CUpti_ActivityKernel9, blockX));
SAME(FAKE_OFF_KERNEL_CORRELATION, offsetof(CUpti_ActivityKernel9, correlationId));
SAME(FAKE_OFF_KERNEL_NAME, offsetof(CUpti_ActivityKernel9, name));
SAME(FAKE_OFF_MEMCPY_COPY_KIND, offsetof(CUpti_ActivityMemcpy6, copyKind));
SAME(FAKE_OFF_MEM_BYTES, offsetof(CUpti_ActivityMemset4, bytes));
SAME(FAKE_OFF_MEM_START, offsetof(CUpti_ActivityMemset4, start));
SAME(FAKE_OFF_MEM_END, offsetof(CUpti_ActivityMemset4, end));
SAME(FAKE_OFF_MEM_DEVICE, offsetof(CUpti_ActivityMemset4, deviceId));
SAME(FAKE_OFF_MEM_STREAM, offsetof(CUpti_ActivityMemset4, streamId));
SAME(FAKE_OFF_MEM_CORRELATION, offsetof(CUpti_ActivityMemset4, correlationId));
SAME(FAKE_KIND_MEMORY2, CUPTI_ACTIVITY_KIND_MEMORY2);
SAME(FAKE_SIZE_MEMORY4, sizeof(CUpti_ActivityMemory4));
SAME(FAKE_MEMORY_ALLOCATION, CUPTI_ACTIVITY_MEMORY_OPERATION_TYPE_ALLOCATION);
SAME(FAKE_MEMORY_RELEASE, CUPTI_ACTIVITY_MEMORY_OPERATION_TYPE_RELEASE);
SAME(FAKE_OFF_MEMORY_OPERATION, offsetof(CUpti_ActivityMemory4, memoryOperationType));
SAME(FAKE_OFF_MEMORY_KIND, offsetof(CUpti_ActivityMemory4, memoryKind));
SAME(FAKE_OFF_MEMORY_CORRELATION, offsetof(CUpti_ActivityMemory4, correlationId));
SAME(FAKE_OFF_MEMORY_ADDRESS, offsetof(CUpti_ActivityMemory4, address));
SAME(FAKE_OFF_MEMORY_BYTES, offsetof(CUpti_ActivityMemory4, bytes));
SAME(FAKE_OFF_MEMORY_TIMESTAMP, offsetof(CUpti_ActivityMemory4, timestamp));
SAME(FAKE_OFF_MEMORY_PROCESS, offsetof(CUpti_ActivityMemory4, processId));
SAME(FAKE_OFF_MEMORY_DEVICE, offsetof(CUpti_ActivityMemory4, deviceId));
SAME(FAKE_OFF_MEMORY_STREAM, offsetof(CUpti_ActivityMemory4, streamId));
SAME(FAKE_OFF_API_START, offsetof(CUpti_ActivityAPI, start));
SAME(FAKE_OFF_API_END, offsetof(CUpti_ActivityAPI, end));
SAME(FAKE_OFF_API_CORRELATION, offsetof(CUpti_ActivityAPI, correlationId));
SAME(FAKE_OFF_EXT_KIND, offsetof(CUpti_ActivityExternalCorrelation, externalKind));
SAME(FAKE_OFF_EXT_ID, offsetof(CUpti_ActivityExternalCorrelation, externalId));
SAME(FAKE_OFF_EXT_CORRELATION, offsetof(CUpti_ActivityExternalCorrelation, correlationId));
