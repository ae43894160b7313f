/* SPDX-License-Identifier: MIT */
/*
 * pvkit-pciback's op handler: the one op a frontend posts in the shared
 * page is copied out, validated against the device and the config filter,
 * run, and answered with Xen's XEN_PCI_ERR_* codes (proto/pciif.h).
 */
#include <errno.h>
#include <string.h>

#include "common.h"

struct pciback_pdev *pciback_find(struct pciback_bus *b, uint32_t domain, uint32_t bus,
				  uint32_t devfn)
{
	if (domain != 0 || bus != 0 || devfn > 0xff)
		return NULL;
	for (unsigned int i = 0; i < PCIBACK_MAX_DEVS; i++)
		if (b->devs[i] && b->devs[i]->hw && b->devs[i]->vdevfn == devfn)
			return b->devs[i];
	return NULL;
}

/* A hardware error as the wire says it. */
static int32_t hw_err(int rc)
{
	if (rc == -EINVAL)
		return PV_PCI_ERR_INVALID_OFFSET;
	if (rc == -EPERM || rc == -EACCES)
		return PV_PCI_ERR_ACCESS_DENIED;
	return rc ? PV_PCI_ERR_OP_FAILED : PV_PCI_ERR_SUCCESS;
}

static int cfg_range_ok(struct pciback_pdev *d, const struct pv_pci_op *op)
{
	unsigned int size = d->bus->pb->hw->cfg_size(d->hw);

	return (op->size == 1 || op->size == 2 || op->size == 4) && op->offset >= 0 &&
	       op->offset % op->size == 0 && (unsigned int)op->offset < size &&
	       (unsigned int)op->size <= size - (unsigned int)op->offset;
}

static int32_t conf_read(struct pciback_pdev *d, struct pv_pci_op *op)
{
	uint32_t v = 0;
	int rc;

	op->value = 0;
	if (!cfg_range_ok(d, op))
		return PV_PCI_ERR_INVALID_OFFSET;
	rc = d->bus->pb->hw->cfg_read(d->hw, (unsigned int)op->offset, (unsigned int)op->size, &v);
	if (rc == 0)
		op->value = v;
	return hw_err(rc);
}

static int overlaps(unsigned int off, unsigned int len, unsigned int start, unsigned int n)
{
	return start && off < start + n && start < off + len;
}

/*
 * MSI and MSI-X state is the backend's: the guest enables vectors through
 * ENABLE_MSI/ENABLE_MSIX, so writes to those capabilities are absorbed.
 */
static int msi_absorbed(const struct pv_pci_cfg_filter *f, unsigned int off, unsigned int len)
{
	return overlaps(off, len, f->msi_cap, f->msi_len) ||
	       (f->msix_cap && overlaps(off, len, f->msix_cap + 2u, 2));
}

static int32_t conf_write(struct pciback_pdev *d, struct pv_pci_op *op)
{
	const struct pciback_hw_ops *hw = d->bus->pb->hw;
	const struct pv_pci_cfg_filter *f = hw->filter(d->hw);
	unsigned int off = (unsigned int)op->offset, size = (unsigned int)op->size;
	enum pv_pci_cfg_verdict v;

	if (!cfg_range_ok(d, op))
		return PV_PCI_ERR_INVALID_OFFSET;
	v = pv_pci_cfg_check_write(f, off, size);
	if (v == PV_PCI_CFG_DENY) {
		pv_dev_warn_rl(&d->bus->rl, d->bus->prefix,
			       "%s: config write of %u bytes at %#x refused by the filter", d->bdf,
			       size, off);
		return PV_PCI_ERR_ACCESS_DENIED;
	}
	if (v == PV_PCI_CFG_EMULATE && msi_absorbed(f, off, size))
		return PV_PCI_ERR_SUCCESS;
	return hw_err(hw->cfg_write(d->hw, off, size, op->value));
}

/* Enable one vector of @kind: op->value gets the port. */
static int32_t enable_one(struct pciback_pdev *d, struct pv_pci_op *op, enum pciback_irq_kind kind,
			  enum pv_vfio_irq irq)
{
	uint16_t slot = 0;
	pv_evtchn_port_t port;

	op->value = 0;
	if (d->irq == kind)
		return PV_PCI_ERR_OP_FAILED; /* already on: disable first */
	if (d->irq != PCIBACK_IRQ_NONE)
		return PV_PCI_ERR_ACCESS_DENIED; /* another kind is on */
	if (!d->bus->pb->hw->irq_count(d->hw, irq))
		return PV_PCI_ERR_ACCESS_DENIED; /* the device has none */
	if (pciback_irq_enable(d, kind, 1, &slot, &port) < 0)
		return PV_PCI_ERR_OP_FAILED;
	op->value = port;
	return PV_PCI_ERR_SUCCESS;
}

static int32_t disable_kind(struct pciback_pdev *d, struct pv_pci_op *op,
			    enum pciback_irq_kind kind)
{
	op->value = 0;
	if (d->irq == kind)
		pciback_irq_disable(d);
	return PV_PCI_ERR_SUCCESS;
}

/* XSA-164: a count past the table, an entry past it, or one named twice is refused. */
static int msix_entries_ok(struct pciback_pdev *d, const struct pv_pci_op *op, uint16_t *slots)
{
	unsigned int table = d->bus->pb->hw->irq_count(d->hw, PV_VFIO_IRQ_MSIX);
	unsigned char seen[2048 / 8] = {0};

	if (op->value < 1 || op->value > PV_PCI_SH_INFO_MAX_VEC || op->value > table)
		return 0;
	for (uint32_t i = 0; i < op->value; i++) {
		uint16_t e = op->msix_entries[i].entry;

		if (e >= table || e >= 2048 || (seen[e / 8] & (1u << (e % 8))))
			return 0;
		seen[e / 8] |= (unsigned char)(1u << (e % 8));
		slots[i] = e;
	}
	return 1;
}

static int32_t enable_msix(struct pciback_pdev *d, struct pv_pci_op *op)
{
	uint16_t slots[PV_PCI_SH_INFO_MAX_VEC];
	pv_evtchn_port_t ports[PV_PCI_SH_INFO_MAX_VEC];
	unsigned int n = op->value;

	if (!msix_entries_ok(d, op, slots)) {
		pv_dev_warn_rl(&d->bus->rl, d->bus->prefix,
			       "%s: ENABLE_MSIX of %u entries refused: past the table (%u) or repeated",
			       d->bdf, op->value,
			       d->bus->pb->hw->irq_count(d->hw, PV_VFIO_IRQ_MSIX));
		op->value = (uint32_t)-EINVAL;
		return PV_PCI_ERR_ACCESS_DENIED;
	}
	op->value = (uint32_t)-EBUSY;
	if (d->irq == PCIBACK_IRQ_MSIX)
		return PV_PCI_ERR_OP_FAILED;
	if (d->irq != PCIBACK_IRQ_NONE)
		return PV_PCI_ERR_ACCESS_DENIED;
	if (pciback_irq_enable(d, PCIBACK_IRQ_MSIX, n, slots, ports) < 0) {
		op->value = (uint32_t)-EIO;
		return PV_PCI_ERR_OP_FAILED;
	}
	for (unsigned int i = 0; i < n; i++)
		op->msix_entries[i].vector = (uint16_t)ports[i];
	op->value = 0;
	return PV_PCI_ERR_SUCCESS;
}

/* The BAR access in op->ext is inside the BAR, aligned, and of a width the wire allows. */
static int32_t bar_check(struct pciback_pdev *d, const struct pv_pci_op *op, uint64_t *size)
{
	uint32_t flags;
	uint64_t off = op->ext.offset;
	unsigned int len = (unsigned int)op->size;

	if (op->ext.bar > PV_PCI_BAR_ROM ||
	    d->bus->pb->hw->bar_info(d->hw, op->ext.bar, size, &flags) < 0)
		return PV_PCI_ERR_INVALID_OFFSET;
	if ((op->size != 1 && op->size != 2 && op->size != 4 && op->size != 8) || off % len ||
	    off >= *size || len > *size - off)
		return PV_PCI_ERR_INVALID_OFFSET;
	return PV_PCI_ERR_SUCCESS;
}

static int32_t bar_read(struct pciback_pdev *d, struct pv_pci_op *op)
{
	uint64_t size, data = 0;
	int32_t err = bar_check(d, op, &size);
	int rc;

	if (err)
		return err;
	rc = d->bus->pb->hw->bar_read(d->hw, op->ext.bar, op->ext.offset, &data,
				      (unsigned int)op->size);
	op->ext.data = rc ? 0 : data; /* little-endian host: the low bytes */
	return hw_err(rc);
}

static int32_t bar_write(struct pciback_pdev *d, struct pv_pci_op *op)
{
	uint64_t size, data = op->ext.data, off = op->ext.offset;
	int32_t err = bar_check(d, op, &size);

	if (err)
		return err;
	if (op->ext.bar == PV_PCI_BAR_ROM)
		return PV_PCI_ERR_ACCESS_DENIED;
	/* The MSI-X table is the backend's (XSA-164): the guest goes through ENABLE_MSIX. */
	if (d->msix_len && op->ext.bar == d->msix_bir && off < d->msix_off + d->msix_len &&
	    d->msix_off < off + (uint64_t)op->size) {
		pv_dev_warn_rl(&d->bus->rl, d->bus->prefix,
			       "%s: BAR%u write at %#llx into the MSI-X table refused", d->bdf,
			       op->ext.bar, (unsigned long long)off);
		return PV_PCI_ERR_ACCESS_DENIED;
	}
	return hw_err(d->bus->pb->hw->bar_write(d->hw, op->ext.bar, off, &data,
						(unsigned int)op->size));
}

static int32_t bar_info(struct pciback_pdev *d, struct pv_pci_op *op)
{
	uint64_t size = 0;
	uint32_t flags = 0;

	if (op->ext.bar > PV_PCI_BAR_ROM ||
	    d->bus->pb->hw->bar_info(d->hw, op->ext.bar, &size, &flags) < 0)
		return PV_PCI_ERR_INVALID_OFFSET;
	op->ext.size = size;
	op->ext.flags = flags;
	return PV_PCI_ERR_SUCCESS;
}

static int32_t intx_ack(struct pciback_pdev *d)
{
	if (d->irq != PCIBACK_IRQ_INTX)
		return PV_PCI_ERR_ACCESS_DENIED;
	return hw_err(d->bus->pb->hw->irq_unmask(d->hw, PV_VFIO_IRQ_INTX));
}

static int32_t reset(struct pciback_pdev *d)
{
	int rc;

	pciback_irq_disable(d); /* the device forgets its vectors: so do the ports */
	rc = d->bus->pb->hw->reset(d->hw);
	return rc == -ENOTTY ? PV_PCI_ERR_NOT_IMPLEMENTED : hw_err(rc);
}

static int32_t dispatch(struct pciback_pdev *d, struct pv_pci_op *op)
{
	switch (op->cmd) {
	case PV_PCI_OP_CONF_READ: return conf_read(d, op);
	case PV_PCI_OP_CONF_WRITE: return conf_write(d, op);
	case PV_PCI_OP_ENABLE_MSI: return enable_one(d, op, PCIBACK_IRQ_MSI, PV_VFIO_IRQ_MSI);
	case PV_PCI_OP_DISABLE_MSI: return disable_kind(d, op, PCIBACK_IRQ_MSI);
	case PV_PCI_OP_ENABLE_MSIX: return enable_msix(d, op);
	case PV_PCI_OP_DISABLE_MSIX: return disable_kind(d, op, PCIBACK_IRQ_MSIX);
	case PV_PCI_OP_BAR_INFO: return bar_info(d, op);
	case PV_PCI_OP_BAR_READ: return bar_read(d, op);
	case PV_PCI_OP_BAR_WRITE: return bar_write(d, op);
	case PV_PCI_OP_INTX_ENABLE: return enable_one(d, op, PCIBACK_IRQ_INTX, PV_VFIO_IRQ_INTX);
	case PV_PCI_OP_INTX_DISABLE: return disable_kind(d, op, PCIBACK_IRQ_INTX);
	case PV_PCI_OP_INTX_ACK: return intx_ack(d);
	case PV_PCI_OP_RESET: return reset(d);
	}
	return PV_PCI_ERR_NOT_IMPLEMENTED;
}

static int known_cmd(uint32_t cmd)
{
	return cmd <= PV_PCI_OP_DISABLE_MSIX ||
	       (cmd >= PV_PCI_OP_BAR_INFO && cmd <= PV_PCI_OP_RESET);
}

/* An op answered with an error: counted for the bus, its device (if any) and pvkit top. */
static void refused(struct pciback_bus *b, struct pciback_pdev *d)
{
	if (d)
		d->errors++;
	b->errors++;
	PV_STATS_ADD(b->stats, errors, 1);
}

void pciback_op_handle(struct pciback_bus *b, struct pv_pci_op *op)
{
	struct pciback_pdev *d;

	b->ops++;
	PV_STATS_ADD(b->stats, requests, 1);
	if (!known_cmd(op->cmd)) {
		op->err = PV_PCI_ERR_NOT_IMPLEMENTED;
		pv_dev_warn_rl(&b->rl, b->prefix, "op %#x is not implemented", op->cmd);
		refused(b, NULL);
		return;
	}
	d = pciback_find(b, op->domain, op->bus, op->devfn);
	if (!d) {
		op->err = PV_PCI_ERR_DEV_NOT_FOUND;
		pv_dev_warn_rl(&b->rl, b->prefix, "op %#x for %04x:%02x:%02x.%x: no such device",
			       op->cmd, op->domain, op->bus, op->devfn >> 3, op->devfn & 7);
		refused(b, NULL);
		return;
	}
	d->ops++;
	op->err = dispatch(d, op);
	if (op->err)
		refused(b, d);
}

int pciback_op_service(struct pciback_bus *b)
{
	struct pv_pci_sharedinfo *sh = b->sh;
	struct pv_pci_op op;

	/* Acquire: the op's bytes are read after the frontend's flag. */
	if (!sh || !(__atomic_load_n(&sh->flags, __ATOMIC_ACQUIRE) & PV_PCIF_ACTIVE))
		return 0;
	/* One copy; everything below works on it, never on the page (XSA-155). */
	memcpy(&op, (const void *)&sh->op, sizeof(op));
	pciback_op_handle(b, &op);
	sh->op.err = op.err;
	sh->op.value = op.value;
	if (op.cmd == PV_PCI_OP_ENABLE_MSIX && op.err == PV_PCI_ERR_SUCCESS)
		for (uint32_t i = 0; i < PV_PCI_SH_INFO_MAX_VEC; i++)
			sh->op.msix_entries[i].vector = op.msix_entries[i].vector;
	if (op.cmd >= PV_PCI_OP_PVKIT_BASE)
		memcpy((void *)&sh->op.ext, &op.ext, sizeof(op.ext));
	/* Release: the answer is visible before the flag clears. */
	__atomic_fetch_and(&sh->flags, ~PV_PCIF_ACTIVE, __ATOMIC_RELEASE);
	if (b->pb->ports->notify(b, b->op_port) < 0)
		pv_dev_warn_rl(&b->rl, b->prefix, "notify on port %u failed", b->op_port);
	return 1;
}

void pciback_op_notified(struct pciback_bus *b, pv_evtchn_port_t port)
{
	if (port == b->op_port && pciback_op_service(b))
		return;
	b->spurious++;
	PV_STATS_ADD(b->stats, spurious, 1);
}
