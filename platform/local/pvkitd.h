/* SPDX-License-Identifier: MIT */
/*
 * pvkitd internals: domains, connections and the request handlers shared
 * by pvkitd.c (event loop), pvkitd_dom.c, pvkitd_gnt.c and pvkitd_evt.c.
 * Single-threaded: every function here runs on the event loop.
 */
#ifndef PVKIT_LOCAL_PVKITD_H
#define PVKIT_LOCAL_PVKITD_H

#include <stdint.h>

#include "pvkit/platform.h"
#include "pvkit/proto/grant_table.h"
#include "bitmap.h"
#include "ports.h"
#include "proto.h"

#define PVKITD_GNT_FRAMES  32    /* grant-table frames per domain: 16384 entries (Xen: up to 64) */
#define PVKITD_MAX_MAPS    65536 /* grant pins one connection may hold */
#define PVKITD_MAX_LEASES  4096  /* page and reference leases per connection */
#define PVKITD_MAX_DOMAINS 512   /* a DOM_LIST reply holds them all */
#define PVKITD_MAX_MEM     (16ull << 30)

enum src_kind { SRC_LISTEN, SRC_CONN, SRC_SIGNAL };

/* What an epoll event points at. */
struct src {
	enum src_kind kind;
};

struct lease {
	uint32_t first, count;
	uint8_t is_refs;
};

/* One pin of a grant, named by its index (the handle) in conn->maps. */
struct maprec {
	struct domain *d; /* NULL: free slot */
	uint32_t ref;
	uint32_t writable;
};

struct conn {
	struct src src;
	int fd;
	int dead;          /* closed, waiting to be freed at the end of the loop turn */
	int holder;        /* the domain dies when this connection closes */
	int watch;         /* receives PVKITD_EV_DEATH */
	struct domain *d;  /* the domain this connection speaks for */
	struct conn *next; /* in d->conns, or the graveyard */
	char name[32];     /* "dom3.7" for logs */
	struct lease *leases;
	uint32_t nleases;
	struct maprec *maps;
	uint32_t maps_cap, maps_used;
	uint32_t maps_free; /* first free slot of maps (a free slot's ref links the next) */
};

struct domain {
	struct src src; /* the listening socket */
	int listen_fd;
	pv_domid_t domid;
	int dying;
	char name[PVKITD_NAME_MAX];
	char sockpath[4096];
	uint64_t gen;
	uint64_t mem_bytes;
	int64_t created;
	uint32_t mem_pages, nr_refs;
	int memfd, gtfd;
	struct pv_grant_entry_v1 *gt;  /* pvkitd's own mapping of the grant table */
	uint32_t *rd_pins, *wr_pins;   /* per reference: the authoritative pin counts */
	uint64_t pins;                 /* sum of all pins on this domain's grants */
	struct pvl_bitmap pages, refs; /* leased (or quarantined) pages and references */
	struct pvl_port_table ports;
	struct conn *conns;
	struct domain *next;
};

struct pvkitd {
	const char *rundir;
	int epfd;
	int quit;
	uint64_t next_gen;
	pv_domid_t last_domid;
	uint32_t dom0_mem_mib;
	unsigned int conn_serial;
	struct domain *domains;
	struct conn *graveyard;
};

/* The reply a handler builds; pvkitd.c sends it, then closes fds marked own. */
struct reply {
	int32_t status;
	uint32_t len;
	unsigned int nfds;
	int fds[PVKITD_MAX_FDS];
	int own[PVKITD_MAX_FDS];
	unsigned char buf[PVKITD_MSG_MAX - sizeof(struct pvkitd_hdr)] __attribute__((aligned(8)));
};

_Static_assert(PVKITD_MAX_DOMAINS * sizeof(struct pvkitd_dom_info) <=
                   PVKITD_MSG_MAX - sizeof(struct pvkitd_hdr),
               "a DOM_LIST reply must hold every domain");
_Static_assert(PVKITD_MAX_DOMAINS * sizeof(struct pvkitd_dom_stats) <=
                   PVKITD_MSG_MAX - sizeof(struct pvkitd_hdr),
               "a DOM_STATS reply must hold every domain");

/* pvkitd.c */
void conn_close(struct pvkitd *k, struct conn *c, const char *why);
int conn_event(struct conn *c, uint32_t op, const void *payload, uint32_t len);

/* pvkitd_dom.c */
int dom_create(struct pvkitd *k, pv_domid_t domid, const char *name, uint64_t mem_bytes,
               struct domain **out);
struct domain *dom_find(struct pvkitd *k, pv_domid_t domid); /* running only */
void dom_kill(struct pvkitd *k, struct domain *d, const char *why);
void dom_put_pins(struct pvkitd *k, struct domain *d, uint64_t n);
void dom_reap(struct pvkitd *k);
void dom_free_all(struct pvkitd *k);
void dom_conn_gone(struct pvkitd *k, struct conn *c);
int handle_dom(struct pvkitd *k, struct conn *c, const struct pvkitd_hdr *h, const void *p,
               struct reply *r);

/* pvkitd_gnt.c */
int handle_gnt(struct pvkitd *k, struct conn *c, const struct pvkitd_hdr *h, const void *p,
               struct reply *r);
void gnt_conn_gone(struct pvkitd *k, struct conn *c);

/* pvkitd_evt.c */
int handle_evt(struct pvkitd *k, struct conn *c, const struct pvkitd_hdr *h, const void *p,
               struct reply *r);
void evt_close_port(struct pvkitd *k, struct domain *d, uint32_t port);
void evt_conn_gone(struct pvkitd *k, struct conn *c);
void evt_dom_gone(struct pvkitd *k, struct domain *d);

#endif
