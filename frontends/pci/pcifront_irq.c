/* SPDX-License-Identifier: MIT */
/*
 * pcifront's interrupts: the backend answers ENABLE_MSI / ENABLE_MSIX /
 * INTx enable with event-channel ports it allocated unbound for us; we
 * bind them on our channel handle and turn each event into one count on
 * an eventfd the driver polls (as a kernel turns an interrupt into an
 * eventfd for a user-space driver).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "pcifront.h"

int pcifront_irq_event(struct pcifront *f, uint32_t port)
{
	static const uint64_t one = 1;

	for (unsigned int i = 0; i < PV_PCISOCK_MAX_DEVS; i++) {
		struct pcifront_irq *q = &f->devs[i].irq;

		if (!f->devs[i].present || q->kind < 0)
			continue;
		for (unsigned int v = 0; v < q->nvec; v++) {
			if (q->local[v] != port)
				continue;
			/* A full counter (2^64 - 2 events unread) just drops this one. */
			if (write(q->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
				pv_dev_warn_rl(&f->rl, f->x->prefix, "%s: interrupt lost", f->devs[i].bdf);
			pv_evtchn_unmask(f->evt, port);
			return 1;
		}
	}
	return 0;
}

void pcifront_irq_unbind(struct pcifront *f, struct pcifront_dev *d)
{
	struct pcifront_irq *q = &d->irq;

	for (unsigned int v = 0; v < q->nvec; v++)
		if (f->evt)
			pv_evtchn_unbind(f->evt, q->local[v]);
	if (q->efd >= 0)
		close(q->efd);
	*q = (struct pcifront_irq){.kind = -1, .efd = -1};
}

/* The ports the backend answered with: op.value, or each MSI-X entry's vector. */
static int remote_ports(const struct pv_pci_op *rsp, unsigned int nreq, unsigned int *n,
			uint32_t *ports)
{
	if (rsp->cmd != PV_PCI_OP_ENABLE_MSIX) {
		*n = 1;
		ports[0] = rsp->value;
	} else {
		if (!nreq || nreq > PCIFRONT_MAX_VEC)
			return -EINVAL;
		*n = nreq; /* what we asked for, not what the answer claims */
		for (unsigned int v = 0; v < *n; v++)
			ports[v] = rsp->msix_entries[v].vector;
	}
	for (unsigned int v = 0; v < *n; v++)
		if (!ports[v] || ports[v] >= UINT16_MAX)
			return -EPROTO; /* port 0 is never a channel (as Xen's) */
	return 0;
}

int pcifront_irq_bind(struct pcifront *f, struct pcifront_dev *d, int kind, unsigned int nreq,
		      const struct pv_pci_op *rsp, struct pcifront_client *owner, int *efd_dup)
{
	struct pcifront_irq *q = &d->irq;
	uint32_t ports[PCIFRONT_MAX_VEC];
	unsigned int n = 0;
	int rc;

	pcifront_irq_unbind(f, d);
	rc = remote_ports(rsp, nreq, &n, ports);
	if (rc < 0) {
		pv_dev_warn_rl(&f->rl, f->x->prefix, "%s: the backend's interrupt port is garbage",
			       d->bdf);
		return rc;
	}
	q->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (q->efd < 0)
		return -errno;
	q->kind = kind;
	q->owner = owner;
	for (q->nvec = 0; q->nvec < n; q->nvec++) {
		rc = pv_evtchn_bind_interdomain(f->evt, f->x->otherend_id, ports[q->nvec]);
		if (rc < 0) {
			pv_dev_warn_rl(&f->rl, f->x->prefix, "%s: cannot bind the backend's port %u (%d)",
				       d->bdf, ports[q->nvec], rc);
			pcifront_irq_unbind(f, d);
			return -EPROTO;
		}
		q->local[q->nvec] = (uint32_t)rc;
	}
	*efd_dup = fcntl(q->efd, F_DUPFD_CLOEXEC, 0);
	if (*efd_dup < 0) {
		rc = -errno;
		pcifront_irq_unbind(f, d);
		return rc;
	}
	return 0;
}
