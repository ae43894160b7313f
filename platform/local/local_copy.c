/* SPDX-License-Identifier: MIT */
/*
 * Local platform grant copy (like GNTTABOP_copy): pvkitd pins each grant
 * side for the length of the batch; the bytes move with pread/pwrite on the
 * granting domain's memfd, so no mapping is left behind.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "pvkit/arch.h"
#include "client.h"

#define COPY_CHUNK 512 /* segments per pin request: two pins each at most */

struct copy_batch {
	struct pvkitd_map_item items[2 * COPY_CHUNK];
	struct pvkitd_map_res res[2 * COPY_CHUNK];
	int src[COPY_CHUNK], dst[COPY_CHUNK]; /* index into items, or -1 for local memory */
	unsigned int nitems;
};

static int check_side(const struct pv_gnt_copy_ptr *ptr, uint16_t len)
{
	if (!ptr->is_gref)
		return ptr->virt ? 0 : -EFAULT;
	if ((uint32_t)ptr->offset + len > PV_PAGE_SIZE)
		return -EINVAL;
	return 0;
}

static int add_item(struct copy_batch *b, const struct pv_gnt_copy_ptr *ptr, int writable)
{
	if (!ptr->is_gref)
		return -1;
	b->items[b->nitems] = (struct pvkitd_map_item){ptr->ref, ptr->domid, (uint16_t)writable};
	return (int)b->nitems++;
}

/* Read or write @len bytes of one side; pinned grant sides go through the memfd. */
static int side_io(struct pvl_plat *l, const struct pv_gnt_copy_ptr *ptr,
                   const struct pvkitd_map_res *res, void *buf, uint16_t len, int write)
{
	struct pvl_peer *peer;
	off_t off;
	ssize_t n;
	int rc;

	if (!res) {
		if (write)
			memcpy(ptr->virt, buf, len);
		else
			memcpy(buf, ptr->virt, len);
		return 0;
	}
	if (res->status)
		return res->status;
	peer = pvl_peer_mem(l, ptr->domid, res->gen, &rc);
	if (!peer)
		return rc;
	off = (off_t)res->frame * PV_PAGE_SIZE + ptr->offset;
	n = write ? pwrite(peer->memfd, buf, len, off) : pread(peer->memfd, buf, len, off);
	return n == len ? 0 : -EIO;
}

static void copy_one(struct pvl_plat *l, struct copy_batch *b, unsigned int i,
                     struct pv_gnt_copy_seg *seg)
{
	const struct pvkitd_map_res *src = b->src[i] >= 0 ? &b->res[b->src[i]] : NULL;
	const struct pvkitd_map_res *dst = b->dst[i] >= 0 ? &b->res[b->dst[i]] : NULL;
	unsigned char bounce[PV_PAGE_SIZE];
	int rc;

	if (src && src->status)
		rc = src->status;
	else if (dst && dst->status)
		rc = dst->status;
	else
		rc = side_io(l, &seg->source, src, bounce, seg->len, 0);
	if (!rc)
		rc = side_io(l, &seg->dest, dst, bounce, seg->len, 1);
	seg->status = (int16_t)rc;
}

static void copy_chunk(struct pvl_plat *l, struct copy_batch *b, struct pv_gnt_copy_seg *segs,
                       unsigned int n)
{
	uint32_t handles[2 * COPY_CHUNK];
	unsigned int nh = 0;
	int rc = 0;

	b->nitems = 0;
	for (unsigned int i = 0; i < n; i++) {
		b->src[i] = b->dst[i] = -1;
		segs[i].status = (int16_t)check_side(&segs[i].source, segs[i].len);
		if (!segs[i].status)
			segs[i].status = (int16_t)check_side(&segs[i].dest, segs[i].len);
		if (segs[i].status)
			continue;
		b->src[i] = add_item(b, &segs[i].source, 0);
		b->dst[i] = add_item(b, &segs[i].dest, 1); /* the destination must be writable */
	}
	if (b->nitems)
		rc = pvl_pin_batch(l, 0, b->items, b->nitems, b->res);
	for (unsigned int i = 0; i < n; i++) {
		if (segs[i].status)
			continue;
		if (rc && (b->src[i] >= 0 || b->dst[i] >= 0))
			segs[i].status = (int16_t)rc;
		else
			copy_one(l, b, i, &segs[i]);
	}
	for (unsigned int i = 0; !rc && i < b->nitems; i++)
		if (!b->res[i].status)
			handles[nh++] = b->res[i].handle;
	if (nh)
		pvl_send_unmap(l, handles, nh);
}

int pvl_copy(struct pv_platform *p, struct pv_gnt_copy_seg *segs, unsigned int count)
{
	static __thread struct copy_batch batch;
	struct pvl_plat *l = p->priv;

	if (count && !segs)
		return -EINVAL;
	pthread_mutex_lock(&l->lock);
	for (unsigned int done = 0; done < count; done += COPY_CHUNK)
		copy_chunk(l, &batch, segs + done,
		           count - done < COPY_CHUNK ? count - done : COPY_CHUNK);
	pvl_peer_trim(l); /* a peer only copied from is not kept */
	pthread_mutex_unlock(&l->lock);
	return 0;
}
