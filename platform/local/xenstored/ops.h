/* SPDX-License-Identifier: MIT */
/*
 * pvkit-xenstored: what a request handler gets (ops.c dispatches, ops.c and
 * ops_admin.c implement). A handler fills the reply or returns -errno.
 */
#ifndef PVKIT_XENSTORED_OPS_H
#define PVKIT_XENSTORED_OPS_H

#include "xenstored.h"

struct xsd_req {
	struct xsd *x;
	struct xsd_conn *c;
	const struct pv_xs_msg_hdr *h;
	const char *p; /* payload, NUL-terminated one byte past @len */
	size_t len;
	struct xsd_view v;
	char *rbuf; /* reply payload (PV_XS_PAYLOAD_MAX bytes) */
	size_t rlen;
	struct xsd_watch *new_watch; /* fire once, after the reply */
};

int xsd_reply_ok(struct xsd_req *q);
const char *xsd_onearg(const struct xsd_req *q);
int xsd_args(const struct xsd_req *q, const char **argv, int max);

int xsd_do_watch(struct xsd_req *q);
int xsd_do_unwatch(struct xsd_req *q);
int xsd_do_txn_start(struct xsd_req *q);
int xsd_do_txn_end(struct xsd_req *q);
int xsd_do_introduce(struct xsd_req *q);
int xsd_do_release(struct xsd_req *q);
int xsd_do_get_domain_path(struct xsd_req *q);
int xsd_do_is_introduced(struct xsd_req *q);
int xsd_do_reset_watches(struct xsd_req *q);
int xsd_do_set_target(struct xsd_req *q);
int xsd_do_resume(struct xsd_req *q);
int xsd_do_unsupported(struct xsd_req *q);

#endif
