#include "config.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "hashq.h"

#define SLOTS 8
#define SLOT_SIZE (512 * 1024)

struct hashq {
	EVP_MD_CTX *md;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* signalled on every change of the queue */
	unsigned char *buf[SLOTS];
	size_t len[SLOTS];
	unsigned head, count; /* ring: the worker takes buf[head], the producer fills head+count */
	int busy;             /* the worker is hashing a slot outside the lock */
	int stop;
};

static void *worker(void *arg)
{
	struct hashq *q = arg;
	pthread_mutex_lock(&q->mu);
	for (;;) {
		while (q->count == 0 && !q->stop)
			pthread_cond_wait(&q->cv, &q->mu);
		if (q->count == 0 && q->stop)
			break;
		unsigned i = q->head;
		q->busy = 1;
		pthread_mutex_unlock(&q->mu);
		sym_EVP_DigestUpdate(q->md, q->buf[i], q->len[i]);
		pthread_mutex_lock(&q->mu);
		q->busy = 0;
		q->head = (q->head + 1) % SLOTS;
		q->count--;
		pthread_cond_broadcast(&q->cv);
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

struct hashq *hashq_new(EVP_MD_CTX *md)
{
	struct hashq *q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->md = md;
	for (int i = 0; i < SLOTS; i++)
		if (!(q->buf[i] = malloc(SLOT_SIZE)))
			goto fail;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	if (pthread_create(&q->thread, NULL, worker, q) != 0) {
		pthread_mutex_destroy(&q->mu);
		pthread_cond_destroy(&q->cv);
		goto fail;
	}
	return q;
fail:
	for (int i = 0; i < SLOTS; i++)
		free(q->buf[i]);
	free(q);
	return NULL;
}

void hashq_push(struct hashq *q, EVP_MD_CTX *md, const void *buf, size_t len)
{
	if (!q) {
		sym_EVP_DigestUpdate(md, buf, len);
		return;
	}
	const unsigned char *p = buf;
	while (len > 0) {
		size_t n = len < SLOT_SIZE ? len : SLOT_SIZE;
		pthread_mutex_lock(&q->mu);
		while (q->count == SLOTS)
			pthread_cond_wait(&q->cv, &q->mu);
		unsigned i = (q->head + q->count) % SLOTS;
		pthread_mutex_unlock(&q->mu);
		/* slot i is ours until counted: the worker only reads counted slots */
		memcpy(q->buf[i], p, n);
		q->len[i] = n;
		pthread_mutex_lock(&q->mu);
		q->count++;
		pthread_cond_broadcast(&q->cv);
		pthread_mutex_unlock(&q->mu);
		p += n;
		len -= n;
	}
}

void hashq_drain(struct hashq *q)
{
	if (!q)
		return;
	pthread_mutex_lock(&q->mu);
	while (q->count > 0 || q->busy)
		pthread_cond_wait(&q->cv, &q->mu);
	pthread_mutex_unlock(&q->mu);
}

void hashq_free(struct hashq *q)
{
	if (!q)
		return;
	pthread_mutex_lock(&q->mu);
	q->stop = 1;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	pthread_join(q->thread, NULL);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
	for (int i = 0; i < SLOTS; i++)
		free(q->buf[i]);
	free(q);
}
