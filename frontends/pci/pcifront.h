/* SPDX-License-Identifier: MIT */
/*
 * pcifront, private to frontends/pci/: the guest's PCI frontend in
 * pvkit-guest. pcifront.c holds the xenbus handshake, the device list and
 * the one-op-at-a-time engine over the shared page; pcifront_srv.c serves
 * the guest's drivers on pci.sock (pcisock.h) and turns their requests
 * into ops; pcifront_irq.c binds the interrupt event channels.
 */
#ifndef PVKIT_PCIFRONT_H
#define PVKIT_PCIFRONT_H

#include <stdint.h>

#include "pvkit/evstorm.h"
#include "pvkit/guest.h"
#include "pvkit/log.h"
#include "pvkit/proto/pciif.h"
#include "pcisock.h"

extern const struct pv_guest_driver pv_pcifront_driver;

struct pcifront;
struct pcifront_client;

/*
 * Called once per op with 0 and the backend's answer (a private copy,
 * already checked: cmd and address are the request's, value fits the
 * access), or -errno: the backend's error (PV_PCI_ERR_* turned into
 * errno), -ETIMEDOUT, -EPROTO for a garbled answer, -ENODEV when the
 * device closed before the op ran. @rsp is NULL on error.
 */
typedef void (*pcifront_done_fn)(struct pcifront *f, void *ctx, int err,
				 const struct pv_pci_op *rsp);

/* Interrupts of one device, bound by pcifront_irq.c. */
#define PCIFRONT_MAX_VEC PV_PCI_SH_INFO_MAX_VEC /* as many as the page carries */
struct pcifront_irq {
	int kind;                      /* enum pv_pcidev_irq_kind, -1: off */
	unsigned int nvec;
	uint32_t local[PCIFRONT_MAX_VEC]; /* our bound ports */
	int efd;                       /* written once per event; the driver has a dup */
	struct pcifront_client *owner; /* disabled when it goes away */
};

/* One device the backend exports to us (dev-N / vdev-N). */
struct pcifront_dev {
	int present;
	unsigned int gen;             /* bumped when the slot is reused */
	char bdf[16];                 /* vdev-N, normalised */
	uint32_t domain, bus, devfn;
	struct pcifront_irq irq;
};

struct pcifront_op {
	struct pv_pci_op op;          /* what we send (op.err zero) */
	pcifront_done_fn done;
	void *ctx;                    /* NULL once the requester went away */
	struct pcifront_op *next;
};

struct pcifront {
	struct pv_guest *g;
	struct pv_xenbus_dev *x;
	struct pv_pci_sharedinfo *sh; /* the granted page; the backend writes it too */
	pv_grant_ref_t ref;
	struct pv_evtchn *evt;
	pv_evtchn_port_t port;        /* the op channel */
	int timer_fd;                 /* the op in flight's deadline */
	int backoff_fd;               /* re-enables the op channel after an event storm */
	unsigned int timeout_ms;      /* $PVKIT_PCIFRONT_TIMEOUT_MS, default 10 s as Xen's */
	struct pv_evstorm storm;      /* events with no answer: counted, backed off */
	struct pcifront_op *queue, *queue_tail, *inflight;
	unsigned int queued;
	struct pcifront_dev devs[PV_PCISOCK_MAX_DEVS];
	int listen_fd;
	char sock_path[4200];
	struct pcifront_client *clients;
	struct pv_ratelimit rl;
	int ndevs_watch;              /* the backend's num_devs, or -1 */
};

/* pcifront_check.c */
/*
 * Check the backend's answer @rsp (a private copy) to @req: 0, the
 * backend's error as -errno, or -EPROTO for garbage, with *@why saying
 * what was wrong (NULL when nothing was).
 */
int pcifront_check_answer(const struct pv_pci_op *req, const struct pv_pci_op *rsp, const char **why);

/* pcifront.c */
/*
 * Queue @op (its err field is cleared) for @dev; @done runs exactly once,
 * possibly before this returns (device closed: -ENODEV). Returns 0, or
 * -EAGAIN when the queue is full (done is not called then).
 */
int pcifront_submit(struct pcifront *f, const struct pcifront_dev *dev, const struct pv_pci_op *op,
		    pcifront_done_fn done, void *ctx);
/* Forget @ctx in every queued or in-flight op: its done runs with ctx NULL. */
void pcifront_forget(struct pcifront *f, void *ctx);
int pcifront_connected(const struct pcifront *f);

/* pcifront_srv.c */
int pcifront_srv_open(struct pcifront *f);
void pcifront_srv_close(struct pcifront *f);

/* pcifront_irq.c */
/* A port of ours is pending: 1 when it was an interrupt (forwarded), 0 when not ours. */
int pcifront_irq_event(struct pcifront *f, uint32_t port);
/*
 * Bind the backend's ports from its answer @rsp (@nreq MSI-X entries asked
 * for) for @d, owned by @owner; *@efd_dup gets a dup of the eventfd for the
 * driver. -EPROTO when a port is garbage or cannot be bound.
 */
int pcifront_irq_bind(struct pcifront *f, struct pcifront_dev *d, int kind, unsigned int nreq,
		      const struct pv_pci_op *rsp, struct pcifront_client *owner, int *efd_dup);
/* Unbind @d's ports locally (the backend is told by the caller). */
void pcifront_irq_unbind(struct pcifront *f, struct pcifront_dev *d);

#endif
