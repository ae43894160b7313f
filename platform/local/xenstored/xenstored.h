/* SPDX-License-Identifier: MIT */
/*
 * pvkit-xenstored private types: the node store, transactions, watches,
 * connections and domains of the local platform's xenstore daemon.
 */
#ifndef PVKIT_XENSTORED_H
#define PVKIT_XENSTORED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pvkit/log.h"
#include "pvkit/proto/xs_wire.h"

/* Real domain ids are below Xen's DOMID_FIRST_RESERVED. */
#define XSD_DOMID_LIMIT 0x7FF0u

#define XSD_PERM_NONE  0u
#define XSD_PERM_READ  1u
#define XSD_PERM_WRITE 2u
#define XSD_PERM_BOTH  (XSD_PERM_READ | XSD_PERM_WRITE)

/* One permission entry; entry 0 names the owner and the default for others. */
struct xsd_perm {
	uint16_t dom;
	uint8_t mode;
};

/* Transaction-local state of a node (see txn.c). */
enum xsd_tx_state {
	XSD_TX_READ = 0, /* only read: base_gen recorded, no data held */
	XSD_TX_WRITTEN,  /* the transaction's own copy of the node */
	XSD_TX_DELETED,  /* deleted (or created then deleted) in the transaction */
};

/*
 * A node: in the committed store, or a transaction's private copy of one.
 * Every buffer is owned by the node. @gen changes whenever the value, the
 * permissions or the list of children change (the DIRECTORY_PART
 * generation and the transaction conflict test both use it).
 */
struct xsd_node {
	char *path;
	char *value;
	uint32_t vlen;
	uint32_t nperms;
	struct xsd_perm *perms;
	char **kids;
	uint32_t nkids, kcap;
	uint64_t gen;
	/* transaction copies only */
	uint64_t base_gen; /* gen of the committed node when first seen, 0 = absent */
	enum xsd_tx_state tx_state;
	struct xsd_node *hnext; /* hash chain */
};

/* A hash of nodes by path: the committed tree, or a transaction's overlay. */
struct xsd_store {
	struct xsd_node **buckets;
	size_t nbuckets, count;
};

/* store.c */
int xsd_store_init(struct xsd_store *st);
void xsd_store_free(struct xsd_store *st);
struct xsd_node *xsd_store_get(const struct xsd_store *st, const char *path);
int xsd_store_put(struct xsd_store *st, struct xsd_node *n);
struct xsd_node *xsd_store_take(struct xsd_store *st, const char *path);
/* Visit every node; @fn may not add or remove nodes. */
void xsd_store_each(struct xsd_store *st, void (*fn)(struct xsd_node *n, void *arg), void *arg);
/* Empty the store, handing each node (and its ownership) to @fn. */
void xsd_store_drain(struct xsd_store *st, void (*fn)(struct xsd_node *n, void *arg), void *arg);
struct xsd_node *xsd_node_new(const char *path);
struct xsd_node *xsd_node_clone(const struct xsd_node *n);
void xsd_node_free(struct xsd_node *n);
int xsd_node_set_value(struct xsd_node *n, const void *value, uint32_t len);
int xsd_node_set_perms(struct xsd_node *n, const struct xsd_perm *p, uint32_t np);
int xsd_node_kid_add(struct xsd_node *n, const char *name);
void xsd_node_kid_del(struct xsd_node *n, const char *name);
/* Access @dom has to a node with permissions @p (XSD_PERM_*). */
unsigned int xsd_perm_access(const struct xsd_perm *p, uint32_t np, unsigned int dom);
/* Parse "r5" style entries; returns 0 or -EINVAL. */
int xsd_perm_parse(const char *s, struct xsd_perm *out);
/* Format one entry ("b3"); returns its length. @buf holds at least 8 bytes. */
int xsd_perm_format(const struct xsd_perm *p, char *buf);
/* The parent of @path in @buf ("/" for "/a"); -EINVAL for "/". */
int xsd_path_parent(const char *path, char *buf, size_t size);
/* Last component of @path. */
const char *xsd_path_base(const char *path);
/* 1 if @child equals @parent or lies below it (xenstore.txt's "child"). */
int xsd_path_is_child(const char *child, const char *parent);

struct xsd;
struct xsd_conn;

/* Limits for unprivileged domains (domain 0 has none but the protocol's). */
struct xsd_quota {
	uint32_t nodes;        /* nodes a domain may own */
	uint32_t watches;      /* watches per domain */
	uint32_t transactions; /* open transactions per domain */
	uint32_t connections;  /* connections per domain */
	uint32_t node_size;    /* bytes of value per node */
	uint32_t output;       /* queued output bytes per connection before events drop */
};

/* A watch registered by a connection. */
struct xsd_watch {
	struct xsd_conn *conn;
	char *path;  /* absolute, or "@special" */
	char *token;
	bool relative; /* registered relative to the domain's home: events are too */
	struct xsd_watch *next, *prev; /* the daemon's list of watches */
};

/* A change the watches hear about: @path changed, @perms said who may read it. */
struct xsd_event {
	char *path;
	struct xsd_perm *perms;
	uint32_t nperms;
	bool recurse; /* a removal: watches below @path fire too */
};

/* An open transaction of one connection. */
struct xsd_txn {
	uint32_t id;
	struct xsd_store overlay;  /* nodes read or written, by path */
	int32_t node_delta;        /* nodes created minus removed, owned by the domain */
	struct xsd_event *events;  /* fired on commit */
	uint32_t nevents, evcap;
	bool doomed;               /* lost track (no memory): the commit fails */
	struct xsd_txn *next;
};

/*
 * What a request operates on: the committed store directly, or through a
 * transaction's overlay. @dom is the requesting domain (quotas, ownership).
 */
struct xsd_view {
	struct xsd *x;
	struct xsd_txn *tx;
	unsigned int dom;
	int err; /* set when a lookup failed (transaction over its bound): the request fails */
};

/* Quota exhaustion travels as ENOSPC (the wire has no EQUOTA name). */
#define XSD_EQUOTA ENOSPC
/* Entries (nodes read or written) and events one unprivileged transaction may hold. */
#define XSD_TX_MAX_ENTRIES 4096u

/* txn.c */
const struct xsd_node *xsd_view_get(struct xsd_view *v, const char *path);
struct xsd_node *xsd_view_edit(struct xsd_view *v, const char *path);
int xsd_view_create(struct xsd_view *v, struct xsd_node *n);
int xsd_view_delete(struct xsd_view *v, const char *path);
void xsd_view_event(struct xsd_view *v, const char *path, const struct xsd_node *n, bool recurse);
/* Ownership of a node moved from @from to @to (node counts). */
void xsd_view_chown(struct xsd_view *v, unsigned int from, unsigned int to);
/* Nodes the domain would own after this view's pending changes. */
int64_t xsd_view_owned(struct xsd_view *v);
struct xsd_txn *xsd_txn_new(uint32_t id);
void xsd_txn_free(struct xsd_txn *t);
/* Apply @t; returns 0, -EAGAIN on a conflict, -XSD_EQUOTA over the node quota. */
int xsd_txn_commit(struct xsd *x, struct xsd_txn *t, unsigned int dom);
void xsd_event_clear(struct xsd_event *e);

/* What an epoll entry points at. */
enum xsd_poll_kind { XSD_POLL_LISTEN, XSD_POLL_CONN, XSD_POLL_SIGNAL };
struct xsd_pollent {
	enum xsd_poll_kind kind;
	unsigned int dom;       /* XSD_POLL_LISTEN */
	struct xsd_conn *conn;  /* XSD_POLL_CONN */
};


/* A connection: a client socket, always of one domain. */
struct xsd_conn {
	struct xsd *x;
	int fd;
	uint32_t armed; /* epoll events currently requested */
	unsigned int dom;
	bool dead;       /* closed: freed at the end of the loop iteration */
	bool rd_blocked; /* input paused: too much output queued */
	bool wr_blocked; /* the socket is full: wait for EPOLLOUT */
	char name[40];
	uint8_t in[sizeof(struct pv_xs_msg_hdr) + PV_XS_PAYLOAD_MAX];
	size_t in_len;
	uint8_t *out;
	size_t out_len, out_off, out_cap;
	uint64_t dropped_events;
	struct xsd_txn *txns;
	uint32_t ntxns, next_txid;
	struct pv_ratelimit rl;
	struct xsd_pollent pe;
	struct xsd_conn *next, *prev;
};

/* One domain's state; domain 0 is always present. */
struct xsd_domain {
	bool introduced;
	int listen_fd;
	struct xsd_pollent pe;
	uint32_t nnodes;   /* nodes owned in the committed store */
	uint32_t nwatches; /* watches of all its connections */
	uint32_t ntxns;    /* open transactions of all its connections */
	uint32_t nconns;   /* open connections */
	bool has_target;   /* SET_TARGET: acts for @target too (a stub domain's device model) */
	uint16_t target;
};


/* The daemon. */
struct xsd {
	struct xsd_store store;
	uint64_t gen; /* last generation handed out */
	struct xsd_quota quota;
	struct xsd_domain *doms[XSD_DOMID_LIMIT];
	struct xsd_conn *conns;
	struct xsd_watch *watches, *watches_tail; /* in registration order */
	struct xsd_node *special[2]; /* @introduceDomain, @releaseDomain: permissions only */
	struct pv_ratelimit rl; /* peer-triggered log lines */
	const char *rundir;
	int epfd; /* -1 without an event loop (unit tests, fuzzing) */
	bool stopping;
};

/* store-level daemon helpers (tree.c) */
int xsd_init(struct xsd *x);
void xsd_fini(struct xsd *x);
struct xsd_domain *xsd_domain_get(struct xsd *x, unsigned int dom);
/* Access of @dom to a node with permissions @p, counting its SET_TARGET domain. */
unsigned int xsd_access(struct xsd *x, const struct xsd_perm *p, uint32_t np, unsigned int dom);
/* 1 if @dom owns (or targets the owner of) a node whose owner is @owner. */
int xsd_owns(struct xsd *x, unsigned int owner, unsigned int dom);
/* The special watch node @name ("@releaseDomain"), or NULL. */
struct xsd_node *xsd_special(struct xsd *x, const char *name);
/* Rewrite permissions naming released domain @dom (XSA-322). */
void xsd_forget_domain_perms(struct xsd *x, unsigned int dom);

/* watch.c */
int xsd_watch_add(struct xsd_conn *c, struct xsd *x, const char *path, const char *token, bool rel);
int xsd_watch_del(struct xsd_conn *c, struct xsd *x, const char *path, const char *token);
void xsd_watch_drop_conn(struct xsd *x, struct xsd_conn *c);
void xsd_watch_fire(struct xsd *x, const struct xsd_event *e);
void xsd_watch_fire_special(struct xsd *x, const char *name);
void xsd_watch_send(struct xsd *x, struct xsd_watch *w, const char *epath);

/* conn.c */
struct xsd_conn *xsd_conn_new(struct xsd *x, int fd, unsigned int dom);
void xsd_conn_close(struct xsd *x, struct xsd_conn *c, const char *why);
void xsd_conn_reap(struct xsd *x);
/* Handle the complete requests in c->in; returns 0 or -EPROTO (then close it). */
int xsd_conn_process(struct xsd *x, struct xsd_conn *c);
/* Read and handle what the peer sent (a bounded amount per call). */
void xsd_conn_on_input(struct xsd *x, struct xsd_conn *c);
/* Write queued output; resumes input once the queue has drained. */
void xsd_conn_on_output(struct xsd *x, struct xsd_conn *c);
int xsd_conn_reply(struct xsd_conn *c, const struct pv_xs_msg_hdr *req, uint32_t type,
		   const void *payload, size_t len);
int xsd_conn_error(struct xsd_conn *c, const struct pv_xs_msg_hdr *req, int err);
/* Queue a watch event; drops it (and counts) when the output is over quota. */
void xsd_conn_event(struct xsd *x, struct xsd_conn *c, const char *path, const char *token);
size_t xsd_conn_queued(const struct xsd_conn *c);
struct xsd_txn *xsd_conn_txn(struct xsd_conn *c, uint32_t id);
void xsd_conn_txn_drop_all(struct xsd_conn *c);
/* Wire name of an errno ("ENOENT"); EINVAL's for unknown ones. */
const char *xsd_errname(int err);

/* ops.c: one request, already framed; replies through the connection. */
void xsd_handle(struct xsd *x, struct xsd_conn *c, const struct pv_xs_msg_hdr *h,
		const char *payload, size_t len);
/* Canonical absolute path of @in for domain @dom, or -EINVAL / -E2BIG. */
int xsd_canon(unsigned int dom, const char *in, char *out, size_t size);

/* domain.c */
int xsd_listen(struct xsd *x, unsigned int dom);
void xsd_unlisten(struct xsd *x, unsigned int dom);
int xsd_introduce(struct xsd *x, unsigned int dom);
int xsd_release(struct xsd *x, unsigned int dom);
int xsd_accept(struct xsd *x, unsigned int dom);

#endif
