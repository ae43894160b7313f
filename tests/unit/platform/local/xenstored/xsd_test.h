/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the pvkit-xenstored unit tests: a daemon without sockets and
 * connections without file descriptors whose replies are read from memory.
 */
#ifndef PVKIT_TESTS_XSD_TEST_H
#define PVKIT_TESTS_XSD_TEST_H

#include <stdlib.h>
#include <string.h>

#include "../../../../../platform/local/xenstored/xenstored.h"

static inline struct xsd *xt_daemon(void)
{
	struct xsd *x = calloc(1, sizeof(*x));

	if (!x || xsd_init(x) < 0)
		abort();
	x->quota = (struct xsd_quota){.nodes = 20, .watches = 4, .transactions = 2,
				      .node_size = 64, .output = 4096, .connections = 3};
	return x;
}

static inline void xt_daemon_free(struct xsd *x)
{
	xsd_fini(x);
	free(x);
}

/* A detached node at @path owned by @owner (no access for others). */
static inline struct xsd_node *xt_node(const char *path, unsigned int owner)
{
	struct xsd_perm p = {.dom = (uint16_t)owner, .mode = XSD_PERM_NONE};
	struct xsd_node *n = xsd_node_new(path);

	if (!n || xsd_node_set_value(n, "", 0) < 0 || xsd_node_set_perms(n, &p, 1) < 0)
		abort();
	return n;
}

/* Feed one request into @c and run the framer. */
static inline int xt_send(struct xsd *x, struct xsd_conn *c, uint32_t type, uint32_t tx,
			  const void *p, size_t len)
{
	struct pv_xs_msg_hdr h = {.type = type, .req_id = 9, .tx_id = tx, .len = (uint32_t)len};

	memcpy(c->in + c->in_len, &h, sizeof(h));
	memcpy(c->in + c->in_len + sizeof(h), p, len);
	c->in_len += sizeof(h) + len;
	return xsd_conn_process(x, c);
}

/* Take the oldest queued message off @c; returns its type, -1 if none. */
static inline int xt_recv(struct xsd_conn *c, char *buf, size_t *len)
{
	struct pv_xs_msg_hdr h;

	if (c->out_len - c->out_off < sizeof(h))
		return -1;
	memcpy(&h, c->out + c->out_off, sizeof(h));
	memcpy(buf, c->out + c->out_off + sizeof(h), h.len);
	buf[h.len] = 0;
	*len = h.len;
	c->out_off += sizeof(h) + h.len;
	return (int)h.type;
}

/* One request, one reply: the reply type, payload in @buf. */
static inline int xt_req(struct xsd *x, struct xsd_conn *c, uint32_t type, uint32_t tx,
			 const void *p, size_t len, char *buf)
{
	size_t rlen;

	xt_send(x, c, type, tx, p, len);
	return xt_recv(c, buf, &rlen);
}

/* A NUL-terminated string as the payload. */
#define XT_S(s) (s), sizeof(s)

#endif
