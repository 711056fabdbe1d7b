/*
 * The CUDA 13.0 record layouts the fake libcupti writes (Memory4 is CUDA 12.x's too), written out independently of
 * the bridge's cupti_decls.h. offset_check.c asserts them against the real headers when the build finds them.
 */
#ifndef MLTRACE_FAKE_LAYOUT_H
#define MLTRACE_FAKE_LAYOUT_H

#define FAKE_KIND_MEMCPY 1
#define FAKE_KIND_MEMSET 2
#define FAKE_KIND_RUNTIME 5
#define FAKE_KIND_CONCURRENT_KERNEL 10
#define FAKE_KIND_EXTERNAL_CORRELATION 39
#define FAKE_KIND_MEMORY2 49
#define FAKE_EXTERNAL_KIND_CUSTOM0 3
#define FAKE_MEMORY_ALLOCATION 1 /* CUpti_ActivityMemoryOperationType */
#define FAKE_MEMORY_RELEASE 2

#define FAKE_SIZE_KERNEL10 216 /* CUpti_ActivityKernel10 */
#define FAKE_SIZE_MEMCPY6 96   /* CUpti_ActivityMemcpy6 */
#define FAKE_SIZE_MEMSET4 88   /* CUpti_ActivityMemset4 */
#define FAKE_SIZE_API 40       /* CUpti_ActivityAPI */
#define FAKE_SIZE_EXTERNAL_CORRELATION 24
#define FAKE_SIZE_MEMORY4 128  /* CUpti_ActivityMemory4, what MEMORY2 emits in CUDA 12.x and 13.x */

#define FAKE_OFF_KERNEL_START 16
#define FAKE_OFF_KERNEL_END 24
#define FAKE_OFF_KERNEL_DEVICE 40
#define FAKE_OFF_KERNEL_STREAM 48
#define FAKE_OFF_KERNEL_GRID_X 52
#define FAKE_OFF_KERNEL_BLOCK_X 64
#define FAKE_OFF_KERNEL_CORRELATION 92
#define FAKE_OFF_KERNEL_NAME 104

#define FAKE_OFF_MEMCPY_COPY_KIND 4
#define FAKE_OFF_MEM_BYTES 8
#define FAKE_OFF_MEM_START 16
#define FAKE_OFF_MEM_END 24
#define FAKE_OFF_MEM_DEVICE 32
#define FAKE_OFF_MEM_STREAM 40
#define FAKE_OFF_MEM_CORRELATION 44

#define FAKE_OFF_MEMORY_OPERATION 4
#define FAKE_OFF_MEMORY_KIND 8
#define FAKE_OFF_MEMORY_CORRELATION 12
#define FAKE_OFF_MEMORY_ADDRESS 16
#define FAKE_OFF_MEMORY_BYTES 24
#define FAKE_OFF_MEMORY_TIMESTAMP 32
#define FAKE_OFF_MEMORY_PROCESS 48
#define FAKE_OFF_MEMORY_DEVICE 52
#define FAKE_OFF_MEMORY_STREAM 60

#define FAKE_OFF_API_START 8
#define FAKE_OFF_API_END 16
#define FAKE_OFF_API_CORRELATION 32

#define FAKE_OFF_EXT_KIND 4
#define FAKE_OFF_EXT_ID 8
#define FAKE_OFF_EXT_CORRELATION 16

#endif
