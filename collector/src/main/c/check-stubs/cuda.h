/*
 * Just enough of the CUDA driver's types for the CUPTI headers to parse in offset_check.c where no CUDA toolkit
 * is installed (the CUPTI wheels ship no cuda.h). None of the records checked holds one of these by value except
 * through a pointer, so their definitions do not move any checked offset.
 */
#ifndef MLTRACE_CHECK_CUDA_H
#define MLTRACE_CHECK_CUDA_H
typedef struct CUctx_st *CUcontext;
typedef int CUdevice;
typedef struct CUstream_st *CUstream;
typedef struct CUgraph_st *CUgraph;
typedef struct CUgraphNode_st *CUgraphNode;
typedef struct CUgraphExec_st *CUgraphExec;
typedef struct CUuuid_st { char bytes[16]; } CUuuid;
typedef struct CUaccessPolicyWindow_st CUaccessPolicyWindow;
typedef enum { CU_DEVICE_ATTRIBUTE_MLTRACE_STUB = 1 } CUdevice_attribute;
typedef enum { CU_GRAPH_NODE_TYPE_MLTRACE_STUB = 0 } CUgraphNodeType;
typedef enum { CU_STREAM_ATTR_MLTRACE_STUB = 1 } CUstreamAttrID;
typedef union { char pad[64]; } CUstreamAttrValue;
#endif
