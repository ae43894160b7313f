/* SPDX-License-Identifier: MIT */
/*
 * The vbd driver of pvkit-guest (blkfront-vbd.c): each vbd exported over
 * NBD on <guest dir>/xvdX.sock (or vbd-<devid>.sock).
 */
#ifndef PVKIT_FRONTENDS_BLK_BLKFRONT_VBD_H
#define PVKIT_FRONTENDS_BLK_BLKFRONT_VBD_H

#include "pvkit/guest.h"

extern const struct pv_guest_driver pv_blkfront_vbd_driver;

#endif
