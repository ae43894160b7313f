/* SPDX-License-Identifier: MIT */
/*
 * Private to backends/pci/: pvkit-pciback's daemon, per-guest bus and
 * per-device state, and the two seams (device access, event-channel ports)
 * that unit tests replace.
 */
#ifndef PVKIT_PCIBACK_COMMON_H
#define PVKIT_PCIBACK_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "pvkit/log.h"
#include "pvkit/pcihost.h"
#include "pvkit/platform.h"
#include "pvkit/proto/pciif.h"
#include "pvkit/stats.h"
#include "pvkit/vfio.h"
#include "pvkit/xenbus.h"

#define PCIBACK_MAX_DEVS 32 /* the guest's bus 0000:00 has 32 slots */

struct pciback_bus;

/*
 * What pciback needs of a passed-through device. Production: pv_vfio_*
 * (hw_vfio.c). Unit tests: a fake (the only place one is used). Every call
 * returns 0 or -errno unless stated.
 */
struct pciback_hw_ops {
	/* Open @bdf (viability checked, reset on open); *@hw is the handle. */
	int (*open)(const char *sysfs, const char *bdf, int permissive, void **hw, char *err,
		    size_t errlen);
	/* Interrupts off, every BAR and DMA mapping removed, reset, closed. */
	void (*close)(void *hw);
	/* Config space as the guest sees it; writes already passed the filter's DENY check. */
	int (*cfg_read)(void *hw, unsigned int off, unsigned int size, uint32_t *val);
	int (*cfg_write)(void *hw, unsigned int off, unsigned int size, uint32_t val);
	/* Bytes of config space (256 or 4096). */
	unsigned int (*cfg_size)(void *hw);
	const struct pv_pci_cfg_filter *(*filter)(void *hw);
	/* BAR @bar (0-5, 6 ROM): size and PV_PCI_BAR_* flags. */
	int (*bar_info)(void *hw, unsigned int bar, uint64_t *size, uint32_t *flags);
	/* @len 1, 2, 4 or 8 bytes at @off, already bounds checked. */
	int (*bar_read)(void *hw, unsigned int bar, uint64_t off, void *buf, unsigned int len);
	int (*bar_write)(void *hw, unsigned int bar, uint64_t off, const void *buf, unsigned int len);
	/* Vectors the device offers for @irq (0: none, e.g. no INTx pin). */
	unsigned int (*irq_count)(void *hw, enum pv_vfio_irq irq);
	/* Trigger eventfds @efds[0..count) (-1: that vector unused) for @irq; count 0: off. */
	int (*irq_set)(void *hw, enum pv_vfio_irq irq, const int *efds, unsigned int count);
	int (*irq_unmask)(void *hw, enum pv_vfio_irq irq);
	/* 0, or -ENOTTY when the device offers no reset. */
	int (*reset)(void *hw);
	/* Map [0, @size) of @memfd at IOVA 0 (the guest's memory, IOVA = guest-physical). */
	int (*dma_map)(void *hw, int memfd, uint64_t size);
};

extern const struct pciback_hw_ops pciback_hw_vfio;

/* Event-channel ports for interrupts. Production: the platform (irq.c). */
struct pciback_port_ops {
	/* An unbound port the frontend's domain may bind: the port or -errno. */
	int (*alloc)(struct pciback_bus *b);
	void (*free)(struct pciback_bus *b, pv_evtchn_port_t port);
	int (*notify)(struct pciback_bus *b, pv_evtchn_port_t port);
};

extern const struct pciback_port_ops pciback_ports_platform;

/* What an epoll event's data.ptr points at. */
enum pciback_ev_kind {
	PCIBACK_EV_OPS = 1, /* a bus's event-channel handle: op requests */
	PCIBACK_EV_IRQ = 2, /* one interrupt vector's eventfd */
};

struct pciback_ev {
	enum pciback_ev_kind kind;
};

/* The daemon. */
struct pciback {
	struct pv_platform *platform;
	struct pv_xs *xs;
	struct pv_xenbus_bus *xbus;
	int epfd;                              /* -1 in unit tests: nothing is polled */
	const char *sysfs;                     /* NULL: /sys ($PVKIT_SYSFS) */
	const char *rundir;                    /* for the counters; NULL: $PVKIT_RUNDIR or /run/pvkit */
	const struct pciback_hw_ops *hw;
	const struct pciback_port_ops *ports;
	struct pciback_bus *buses;             /* every guest's bus, for domain deaths */
};

enum pciback_irq_kind {
	PCIBACK_IRQ_NONE = 0,
	PCIBACK_IRQ_INTX,
	PCIBACK_IRQ_MSI,
	PCIBACK_IRQ_MSIX,
};

/* One interrupt vector: the device's eventfd and the frontend's port. */
struct pciback_vec {
	struct pciback_ev ev;      /* PCIBACK_EV_IRQ */
	struct pciback_pdev *dev;
	int efd;                   /* -1: unused slot */
	pv_evtchn_port_t port;
	uint64_t count;            /* interrupts forwarded */
};

/* One exported device. */
struct pciback_pdev {
	struct pciback_bus *bus;
	char bdf[PV_PCI_BDF_LEN];  /* the host's address (dev-<n>) */
	uint8_t vdevfn;            /* the guest's address: 0000:00:<vdevfn> */
	int permissive;
	void *hw;                  /* NULL: not open */
	enum pciback_irq_kind irq;
	unsigned int nvec;         /* slots in vec (MSI-X: highest entry + 1) */
	struct pciback_vec *vec;
	uint8_t msix_bir;          /* MSI-X table: BAR and byte range, none when !msix_len */
	uint64_t msix_off, msix_len;
	uint64_t ops, errors;
};

/* One guest's PCI bus: backend/pci/<fe>/0 and its shared page. */
struct pciback_bus {
	struct pciback_ev ev;      /* PCIBACK_EV_OPS */
	struct pciback *pb;
	struct pv_xenbus_dev *xdev;
	pv_domid_t frontend_id;
	char prefix[48];           /* "pci-<fe>" */
	struct pv_evtchn *evt;     /* NULL while disconnected */
	pv_evtchn_port_t op_port;
	struct pv_pci_sharedinfo *sh; /* the frontend's page, mapped; NULL while disconnected */
	struct pciback_pdev *devs[PCIBACK_MAX_DEVS];
	int memfd;                 /* the guest's memory (-1: not yet, or xen) */
	uint64_t mem_bytes;
	uint64_t ops, errors, spurious;
	struct pv_stats *stats;    /* <rundir>/stats/pci-<fe>-0 for pvkit top; NULL: none */
	struct pv_ratelimit rl;    /* for messages the frontend can trigger */
	int own_watch;             /* watch on our own state (the toolstack's Reconfiguring) */
	struct pciback_bus *next;
};

/* pciop.c: the op handler. */
/*
 * Serve the op pending in the shared page (if any): copy, validate, run,
 * answer, notify. Returns 1 when there was one, 0 when not.
 */
int pciback_op_service(struct pciback_bus *b);
/*
 * The frontend notified port @port: an op to serve on the op port, else
 * (an interrupt port, or nothing posted) a spurious notification, counted.
 */
void pciback_op_notified(struct pciback_bus *b, pv_evtchn_port_t port);
/* Run one op (a private copy): sets op->err and the outputs. Exposed for unit tests. */
void pciback_op_handle(struct pciback_bus *b, struct pv_pci_op *op);
/* The exported device the guest calls (domain, bus, devfn), or NULL. */
struct pciback_pdev *pciback_find(struct pciback_bus *b, uint32_t domain, uint32_t bus,
				  uint32_t devfn);

/* irq.c: interrupt vectors. */
/*
 * Enable @kind with @n vectors whose slots are @slots[0..n) (MSI and INTx:
 * n 1, slot 0); the ports go to @ports. 0 or -errno (nothing left on).
 */
int pciback_irq_enable(struct pciback_pdev *d, enum pciback_irq_kind kind, unsigned int n,
		       const uint16_t *slots, pv_evtchn_port_t *ports);
/* Turn the device's interrupts off and free the ports (idempotent). */
void pciback_irq_disable(struct pciback_pdev *d);
/* A vector's eventfd fired: forward to its port. */
void pciback_irq_event(struct pciback_vec *v);

/* devices.c: exporting and releasing devices. */
/*
 * Open host device @bdf for the bus at guest devfn @want_vdevfn (-1: the
 * next free slot), map the guest's memory into its IOMMU. On failure @err
 * gets the reason.
 */
int pciback_dev_export(struct pciback_bus *b, const char *bdf, int permissive, int want_vdevfn,
		       struct pciback_pdev **out, char *err, size_t errlen);
/* Interrupts off, close (unmap everything, reset), free. */
void pciback_dev_release(struct pciback_pdev *d);
/* Parse "k=v,..." opts-<n>: permissive (0 when absent). */
int pciback_opts_permissive(const char *opts);

/* xenbus.c: the handshake, hot-plug and teardown. */
int pciback_probe(struct pv_xenbus_dev *xdev, void *opaque);
void pciback_remove(struct pv_xenbus_dev *xdev, void *opaque);
/* The bus's event-channel handle is readable. */
void pciback_bus_event(struct pciback_bus *b);
/* Domain @domid died: release every device it had, at once. */
void pciback_domain_died(struct pciback *pb, pv_domid_t domid);

#endif
