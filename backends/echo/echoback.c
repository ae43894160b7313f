/* SPDX-License-Identifier: MIT */
/*
 * pvkit-echoback datapath: take each request out of the ring as a private
 * copy, validate the copy, map the data page it names, transform, answer.
 */
#include <errno.h>
#include <string.h>

#include "common.h"

static const struct pv_ring_shape shape = {
	.slot_size = sizeof(union pv_echoif_sring_entry),
	.req_size = sizeof(struct pv_echoif_request),
	.rsp_size = sizeof(struct pv_echoif_response),
};

const struct pv_ring_shape *echoback_shape(void)
{
	return &shape;
}

static int16_t validate(const struct pv_echoif_request *req)
{
	if (req->op != PV_ECHOIF_OP_XOR && req->op != PV_ECHOIF_OP_SUM)
		return PV_ECHOIF_RSP_EOPNOTSUPP;
	if (!req->len || req->len > PV_ECHOIF_MAX_LEN ||
	    (uint32_t)req->offset + req->len > PV_ECHOIF_MAX_LEN)
		return PV_ECHOIF_RSP_ERROR;
	return PV_ECHOIF_RSP_OKAY;
}

void echoback_handle(struct pv_platform *p, pv_domid_t frontend, const struct pv_echoif_request *req,
		     struct pv_echoif_response *rsp)
{
	uint8_t buf[PV_ECHOIF_MAX_LEN];
	int writable = req->op == PV_ECHOIF_OP_XOR;
	uint8_t *page;
	uint32_t sum = 0;

	memset(rsp, 0, sizeof(*rsp)); /* every byte defined, padding included */
	rsp->id = req->id;
	rsp->status = validate(req);
	if (rsp->status != PV_ECHOIF_RSP_OKAY)
		return;
	page = pv_gnt_map(p, frontend, 1, &req->gref, writable);
	if (!page) {
		rsp->status = PV_ECHOIF_RSP_ERROR;
		return;
	}
	/* Read the guest's bytes once; work on our copy (the guest may change them). */
	memcpy(buf, page + req->offset, req->len);
	for (unsigned int i = 0; i < req->len; i++) {
		sum += buf[i];
		buf[i] ^= req->key;
	}
	if (writable)
		memcpy(page + req->offset, buf, req->len);
	pv_gnt_unmap(p, page, 1);
	rsp->len = req->len;
	rsp->sum = sum;
}

static void give_up(struct echoback_dev *d, const char *why)
{
	pv_xenbus_dev_fatal(d->xdev, EPROTO, "%s: disconnecting", why);
	echoback_disconnect(d);
}

void echoback_process(struct echoback_dev *d)
{
	struct pv_echoif_request req;
	struct pv_echoif_response rsp;
	int rc, more;

	if (!d->ring_page)
		return;
	do {
		while ((rc = pv_ring_back_get_request(&d->ring, &req)) > 0) {
			echoback_handle(d->eb->platform, d->xdev->otherend_id, &req, &rsp);
			if (rsp.status != PV_ECHOIF_RSP_OKAY) {
				d->errors++;
				pv_dev_warn_rl(&d->rl, d->xdev->prefix,
					       "request %llu refused (op %u, offset %u, len %u)",
					       (unsigned long long)req.id, req.op, req.offset, req.len);
			}
			d->requests++;
			pv_ring_back_put(&d->ring, &rsp);
		}
		if (rc < 0)
			return give_up(d, "ring producer index out of range");
		if (pv_ring_back_push(&d->ring) > 0)
			pv_evtchn_notify(d->evt, d->port);
		more = pv_ring_back_final_check(&d->ring);
		if (more < 0)
			return give_up(d, "ring producer index out of range");
	} while (more > 0);
}

void echoback_event(struct echoback_dev *d)
{
	int port;

	if (!d->evt)
		return; /* disconnected earlier in this batch */
	while ((port = pv_evtchn_pending(d->evt)) >= 0)
		pv_evtchn_unmask(d->evt, (pv_evtchn_port_t)port);
	echoback_process(d);
}
