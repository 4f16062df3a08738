/* hashq: feed a digest from a second thread, so hashing overlaps the transfer.
 * hashq_push copies the bytes into a small pool of buffers and returns; the worker runs
 * EVP_DigestUpdate.  Before the caller touches the EVP context itself (init, final, copy)
 * it calls hashq_drain, which waits until every pushed byte is hashed. */
#ifndef LIA_CORE_HASHQ_H
#define LIA_CORE_HASHQ_H
#include <stddef.h>
#include "crypto_dl.h"

struct hashq;
/* NULL when no thread can be started: callers then hash inline (hashq_push handles it) */
struct hashq *hashq_new(EVP_MD_CTX *md);
/* q may be NULL: then it is a plain EVP_DigestUpdate on md */
void hashq_push(struct hashq *q, EVP_MD_CTX *md, const void *buf, size_t len);
void hashq_drain(struct hashq *q);
void hashq_free(struct hashq *q);

#endif
