/* SPDX-License-Identifier: MIT */
/*
 * pvkit-consoled's bounded buffers: a byte FIFO that drops its oldest bytes
 * (and says so with a marker line) instead of growing, and a token bucket.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "consoled.h"

int fifo_init(struct cons_fifo *f, size_t cap)
{
	memset(f, 0, sizeof(*f));
	if (!cap)
		return -EINVAL;
	f->data = malloc(cap);
	if (!f->data)
		return -ENOMEM;
	f->cap = cap;
	return 0;
}

void fifo_free(struct cons_fifo *f)
{
	free(f->data);
	f->data = NULL;
	f->cap = f->len = f->head = 0;
}

static void fifo_drop(struct cons_fifo *f, size_t n)
{
	f->head = (f->head + n) % f->cap;
	f->len -= n;
	f->dropped += n;
	f->dropped_total += n;
}

void fifo_push(struct cons_fifo *f, const void *src, size_t n)
{
	const uint8_t *s = src;

	if (n > f->cap) {
		/* Only the newest cap bytes of @src can survive. */
		f->dropped += n - f->cap;
		f->dropped_total += n - f->cap;
		s += n - f->cap;
		n = f->cap;
	}
	if (f->len + n > f->cap)
		fifo_drop(f, f->len + n - f->cap);
	for (size_t done = 0; done < n;) {
		size_t tail = (f->head + f->len) % f->cap;
		size_t chunk = f->cap - tail;

		if (chunk > n - done)
			chunk = n - done;
		memcpy(f->data + tail, s + done, chunk);
		f->len += chunk;
		done += chunk;
	}
}

size_t fifo_peek(struct cons_fifo *f, const uint8_t **p)
{
	size_t chunk;

	if (!f->marker_len && f->dropped) {
		int n = snprintf(f->marker, sizeof(f->marker), CONS_MARKER_FMT,
				 (unsigned long long)f->dropped);

		f->marker_len = n > 0 ? (size_t)n : 0;
		f->marker_off = 0;
		f->dropped = 0;
	}
	if (f->marker_len) {
		*p = (const uint8_t *)f->marker + f->marker_off;
		return f->marker_len;
	}
	chunk = f->cap ? f->cap - f->head : 0;
	if (chunk > f->len)
		chunk = f->len;
	*p = f->data + f->head;
	return chunk;
}

void fifo_consume(struct cons_fifo *f, size_t n)
{
	if (f->marker_len) {
		f->marker_off += n;
		f->marker_len -= n;
		return;
	}
	f->head = (f->head + n) % f->cap;
	f->len -= n;
}

size_t fifo_readable(const struct cons_fifo *f)
{
	size_t marker = f->marker_len;

	if (!marker && f->dropped)
		marker = 1; /* a marker is due; its length does not matter here */
	return f->len + marker;
}

/* ---- token bucket ------------------------------------------------------------ */

uint64_t cons_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void bucket_init(struct cons_bucket *b, uint64_t rate, uint64_t burst, uint64_t now_ns)
{
	b->rate = rate;
	b->burst = burst ? burst : 1;
	b->tokens = b->burst;
	b->last_ns = now_ns;
}

static void bucket_refill(struct cons_bucket *b, uint64_t now_ns)
{
	uint64_t elapsed = now_ns > b->last_ns ? now_ns - b->last_ns : 0;
	uint64_t add;

	/* Cap elapsed so rate * elapsed cannot overflow; a second fills any sane burst. */
	if (elapsed > 1000000000ull * 64)
		elapsed = 1000000000ull * 64;
	add = b->rate * (elapsed / 1000) / 1000000ull;
	if (!add)
		return; /* keep last_ns so fractions accumulate */
	b->tokens = b->tokens + add > b->burst ? b->burst : b->tokens + add;
	b->last_ns = now_ns;
}

size_t bucket_take(struct cons_bucket *b, size_t want, uint64_t now_ns)
{
	if (!b->rate)
		return want;
	bucket_refill(b, now_ns);
	if (want > b->tokens)
		want = (size_t)b->tokens;
	b->tokens -= want;
	return want;
}

uint64_t bucket_wait_ns(const struct cons_bucket *b, uint64_t now_ns)
{
	uint64_t elapsed = now_ns > b->last_ns ? now_ns - b->last_ns : 0;
	uint64_t want = b->burst < 4096 ? b->burst : 4096, need;

	/* Wake for a useful chunk, not for every byte. */
	if (!b->rate || b->tokens >= want)
		return 0;
	need = (want - b->tokens) * 1000000000ull / b->rate + 1000;
	return need > elapsed ? need - elapsed : 0;
}
