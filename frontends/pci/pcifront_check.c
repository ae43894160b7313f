/* SPDX-License-Identifier: MIT */
/*
 * pcifront's check of a backend's answer: it must name the op it answers,
 * carry a known error code, and hold values the op can have. Pure
 * functions, so the unit test drives every branch.
 */
#include <errno.h>
#include <stddef.h>

#include "pcifront.h"

static int errno_of(int32_t e)
{
	switch (e) {
	case PV_PCI_ERR_SUCCESS: return 0;
	case PV_PCI_ERR_DEV_NOT_FOUND: return -ENODEV;
	case PV_PCI_ERR_INVALID_OFFSET: return -EINVAL;
	case PV_PCI_ERR_ACCESS_DENIED: return -EPERM;
	case PV_PCI_ERR_NOT_IMPLEMENTED: return -EOPNOTSUPP;
	case PV_PCI_ERR_OP_FAILED: return -EIO;
	default: return -EPROTO;
	}
}

/* Does the answer name the request it answers (a late or garbled one does not)? */
static int same_op(const struct pv_pci_op *req, const struct pv_pci_op *rsp)
{
	if (rsp->cmd != req->cmd || rsp->domain != req->domain || rsp->bus != req->bus ||
	    rsp->devfn != req->devfn || rsp->offset != req->offset || rsp->size != req->size)
		return 0;
	return req->cmd < PV_PCI_OP_PVKIT_BASE ||
	       (rsp->ext.bar == req->ext.bar && rsp->ext.offset == req->ext.offset);
}

/* Are the answer's out values possible for the op (0), or garbage (-EPROTO)? */
static int check_values(const struct pv_pci_op *req, const struct pv_pci_op *rsp)
{
	int32_t v = (int32_t)rsp->value;

	switch (req->cmd) {
	case PV_PCI_OP_CONF_READ:
		return req->size < 4 && rsp->value >> (8 * (unsigned int)req->size) ? -EPROTO : 0;
	case PV_PCI_OP_BAR_READ:
		return req->size < 8 && rsp->ext.data >> (8 * (unsigned int)req->size) ? -EPROTO : 0;
	case PV_PCI_OP_BAR_INFO:
		/* A BAR is a power of two long; flags only the known bits. */
		return rsp->ext.flags & ~0xfu || (rsp->ext.size & (rsp->ext.size - 1)) ? -EPROTO : 0;
	case PV_PCI_OP_ENABLE_MSIX:
		return v > 0 || v < -4095 ? -EPROTO : 0; /* 0, or -errno as Linux's pciback */
	default:
		return 0;
	}
}

int pcifront_check_answer(const struct pv_pci_op *req, const struct pv_pci_op *rsp, const char **why)
{
	int rc;

	*why = NULL;
	if (!same_op(req, rsp)) {
		*why = "the answer names another op";
		return -EPROTO;
	}
	rc = errno_of(rsp->err);
	if (rc == -EPROTO)
		*why = "unknown error code in the answer";
	if (rc)
		return rc;
	rc = check_values(req, rsp);
	if (rc < 0)
		*why = "impossible values in the answer";
	else if (req->cmd == PV_PCI_OP_ENABLE_MSIX)
		rc = (int32_t)rsp->value; /* the backend's -errno */
	return rc;
}
