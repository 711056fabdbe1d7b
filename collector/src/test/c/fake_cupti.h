/*
 * The fake libcupti's control side (fake_cupti.c), called by its JNI wrappers (fake_jni.c).
 */
#ifndef MLTRACE_FAKE_CUPTI_H
#define MLTRACE_FAKE_CUPTI_H

#include <stdint.h>

/* Resets the fake: enable fails for fail_kind (-1: none), and the other behaviours asked for. */
void fake_configure(int fail_kind, int subscriber_taken, int no_timestamp_callback, int hold_host);

/* A synchronous launch: the work runs inside the API call, on the calling thread, for duration_ns. */
void fake_launch(int kind, const char *name, uint8_t copy_kind, int64_t bytes, int64_t duration_ns);

/* An asynchronous launch (see fake_cupti.c); returns the API call's start on the agent's clock. */
int64_t fake_launch_at(int kind, const char *name, uint8_t copy_kind, int64_t bytes, int64_t api_ns, int64_t start_ns,
                       int64_t duration_ns, int after_api);

/* A synchronous device memory operation (CUpti_ActivityMemoryOperationType, CUpti_ActivityMemoryKind). */
void fake_memory(uint32_t operation, uint32_t memory_kind, uint64_t address, uint64_t bytes);

/* The calling thread's external-correlation stack depth. */
int fake_correlation_depth(void);

#endif
