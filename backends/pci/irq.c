/* SPDX-License-Identifier: MIT */
/*
 * pvkit-pciback's interrupts: each vector of a passed-through device
 * triggers an eventfd (VFIO); the daemon turns every trigger into a notify
 * on an event-channel port it allocated unbound for the guest, which the
 * guest bound. Where Xen's pciback hands out a pirq, pvkit hands out that
 * port (proto/pciif.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common.h"

static enum pv_vfio_irq vfio_index(enum pciback_irq_kind kind)
{
	if (kind == PCIBACK_IRQ_INTX)
		return PV_VFIO_IRQ_INTX;
	return kind == PCIBACK_IRQ_MSI ? PV_VFIO_IRQ_MSI : PV_VFIO_IRQ_MSIX;
}

/* Close a vector's eventfd and free its port (the guest sees the channel closed). */
static void vec_free(struct pciback_pdev *d, struct pciback_vec *v)
{
	struct pciback *pb = d->bus->pb;

	if (v->efd >= 0) {
		if (pb->epfd >= 0)
			epoll_ctl(pb->epfd, EPOLL_CTL_DEL, v->efd, NULL);
		close(v->efd);
		v->efd = -1;
	}
	if (v->port) {
		pb->ports->free(d->bus, v->port);
		v->port = 0;
	}
}

static void vecs_free(struct pciback_pdev *d)
{
	for (unsigned int i = 0; d->vec && i < d->nvec; i++)
		vec_free(d, &d->vec[i]);
	free(d->vec);
	d->vec = NULL;
	d->nvec = 0;
}

/* An eventfd and a port for slot @v; polled when the daemon polls. */
static int vec_setup(struct pciback_pdev *d, struct pciback_vec *v)
{
	struct pciback *pb = d->bus->pb;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = v};
	int port;

	v->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (v->efd < 0)
		return -errno;
	port = pb->ports->alloc(d->bus);
	if (port < 0)
		return port;
	if (port == 0 || (d->irq == PCIBACK_IRQ_MSIX && port > 0xffff)) {
		pb->ports->free(d->bus, (pv_evtchn_port_t)port);
		return -ERANGE; /* MSI-X hands ports back in 16-bit vector fields */
	}
	v->port = (pv_evtchn_port_t)port;
	if (pb->epfd >= 0 && epoll_ctl(pb->epfd, EPOLL_CTL_ADD, v->efd, &ev) < 0)
		return -errno;
	return 0;
}

int pciback_irq_enable(struct pciback_pdev *d, enum pciback_irq_kind kind, unsigned int n,
		       const uint16_t *slots, pv_evtchn_port_t *ports)
{
	unsigned int nvec = 0;
	int *efds = NULL, rc;

	if (d->irq != PCIBACK_IRQ_NONE || !n)
		return -EBUSY;
	for (unsigned int i = 0; i < n; i++)
		if (slots[i] + 1u > nvec)
			nvec = slots[i] + 1u;
	d->vec = calloc(nvec, sizeof(*d->vec));
	efds = calloc(nvec, sizeof(*efds));
	if (!d->vec || !efds) {
		rc = -ENOMEM;
		goto out_free;
	}
	d->nvec = nvec;
	d->irq = kind;
	for (unsigned int i = 0; i < nvec; i++) {
		d->vec[i] = (struct pciback_vec){.ev = {PCIBACK_EV_IRQ}, .dev = d, .efd = -1};
		efds[i] = -1;
	}
	for (unsigned int i = 0; i < n; i++) {
		struct pciback_vec *v = &d->vec[slots[i]];

		rc = vec_setup(d, v);
		if (rc < 0)
			goto out_free;
		efds[slots[i]] = v->efd;
		ports[i] = v->port;
	}
	rc = d->bus->pb->hw->irq_set(d->hw, vfio_index(kind), efds, nvec);
	if (rc == 0) {
		free(efds);
		pv_dev_info(d->bus->prefix, "%s: %u %s vector(s) on, first port %u", d->bdf, n,
			    kind == PCIBACK_IRQ_INTX ? "INTx" : kind == PCIBACK_IRQ_MSI ? "MSI" : "MSI-X",
			    ports[0]);
		return 0;
	}
	pv_dev_warn(d->bus->prefix, "%s: enabling interrupts failed (%d)", d->bdf, rc);
out_free:
	free(efds);
	vecs_free(d);
	d->irq = PCIBACK_IRQ_NONE;
	return rc;
}

void pciback_irq_disable(struct pciback_pdev *d)
{
	if (d->irq == PCIBACK_IRQ_NONE)
		return;
	if (d->hw)
		d->bus->pb->hw->irq_set(d->hw, vfio_index(d->irq), NULL, 0);
	vecs_free(d);
	d->irq = PCIBACK_IRQ_NONE;
}

void pciback_irq_event(struct pciback_vec *v)
{
	struct pciback_bus *b = v->dev->bus;
	uint64_t n;

	if (v->efd < 0 || read(v->efd, &n, sizeof(n)) != sizeof(n))
		return;
	v->count += n;
	/* Several triggers since the last read are one event: the guest drains its device. */
	if (b->pb->ports->notify(b, v->port) < 0)
		pv_dev_warn_rl(&b->rl, b->prefix, "%s: interrupt to port %u not delivered",
			       v->dev->bdf, v->port);
	else
		PV_STATS_ADD(b->stats, irqs, 1);
}

/* ---- the platform's ports ----------------------------------------------------- */

static int port_alloc(struct pciback_bus *b)
{
	return b->evt ? pv_evtchn_alloc_unbound(b->evt, b->frontend_id) : -ENOTCONN;
}

static void port_free(struct pciback_bus *b, pv_evtchn_port_t port)
{
	if (b->evt)
		pv_evtchn_unbind(b->evt, port);
}

static int port_notify(struct pciback_bus *b, pv_evtchn_port_t port)
{
	return b->evt ? pv_evtchn_notify(b->evt, port) : -ENOTCONN;
}

const struct pciback_port_ops pciback_ports_platform = {port_alloc, port_free, port_notify};
