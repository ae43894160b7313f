/* SPDX-License-Identifier: MIT */
/*
 * The names of a vbd's NBD export in a guest run by pvkit-guest (the vbd
 * driver, blkfront-vbd.c, and pvkit block-list agree through these).
 */
#include <stdint.h>
#include <stdio.h>

#include "pvkit/blkfront.h"

void pv_blkfront_disk_name(uint32_t devid, char *buf, size_t len)
{
	unsigned int disk;
	char suffix[8] = "";

	if (devid >> 8 == 202 && !(devid & 15))
		disk = (devid & 0xff) >> 4;
	else if (devid >> 28 == 1 && !(devid & 0xff))
		disk = (devid >> 8) & 0xfffff;
	else
		disk = UINT32_MAX;
	if (disk < 26)
		snprintf(suffix, sizeof(suffix), "%c", 'a' + disk);
	else if (disk < 26 * 27)
		snprintf(suffix, sizeof(suffix), "%c%c", 'a' + disk / 26 - 1, 'a' + disk % 26);
	snprintf(buf, len, suffix[0] ? "xvd%s" : "", suffix);
}

void pv_blkfront_export_socket(uint32_t devid, char *buf, size_t len)
{
	char name[16];

	pv_blkfront_disk_name(devid, name, sizeof(name));
	if (name[0])
		snprintf(buf, len, "%s.sock", name);
	else
		snprintf(buf, len, "vbd-%u.sock", devid);
}
