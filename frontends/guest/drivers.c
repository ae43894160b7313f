/* SPDX-License-Identifier: MIT */
/*
 * The frontend drivers built into pvkit-guest: one entry per device type,
 * probed in this order at start and unbound in this order at shutdown.
 * A new class adds its driver here.
 */
#include <stddef.h>

#include "runtime.h"
#include "../blk/blkfront-vbd.h"
#include "../echo/echofront.h"
#include "../net/netfront.h"
#include "../pci/pcifront.h"

const struct pv_guest_driver *const pv_guest_drivers[] = {
	&pv_echofront_driver,
	&pv_blkfront_vbd_driver,
	&pv_netfront_driver,
	&pv_pcifront_driver,
	NULL,
};
