/* SPDX-License-Identifier: MIT */
/*
 * echofront: the template frontend driver for pvkit-guest (echofront.c).
 */
#ifndef PVKIT_ECHOFRONT_H
#define PVKIT_ECHOFRONT_H

#include "pvkit/guest.h"

extern const struct pv_guest_driver pv_echofront_driver;

#endif
