/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for tools/diskspec.c: Xen VBD numbers for every vdev form, and
 * the xl disk spec grammar, accepted forms and every rejection.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../../../tools/devspec.h"
#include "../../harness/cunit.h"

struct vdev_case {
	const char *vdev;
	int rc;
	uint32_t number;
};

/* Numbers from docs/misc/vbd-interface.txt's encodings. */
static const struct vdev_case vdevs[] = {
	{"xvda", 0, 202 << 8},
	{"xvdb", 0, 51728},
	{"xvda1", 0, 51713},
	{"xvda15", 0, 51727},
	{"xvdp", 0, 51952},
	{"xvdp15", 0, 51967},
	{"xvda16", 0, (1u << 28) | 16},          /* partition > 15: extended form */
	{"xvdq", 0, (1u << 28) | (16 << 8)},     /* disk 16: extended form */
	{"xvdz", 0, (1u << 28) | (25 << 8)},
	{"xvdaa", 0, (1u << 28) | (26 << 8)},    /* letters count like a, ..., z, aa */
	{"xvdtq37", 0, (1u << 28) | (536 << 8) | 37},
	{"xvda255", 0, (1u << 28) | 255},
	{"d0", 0, 51712},
	{"d0p0", 0, 51712},
	{"d1p2", 0, 51730},
	{"d536p37", 0, (1u << 28) | (536 << 8) | 37},
	{"d1048575p255", 0, (1u << 28) | (1048575u << 8) | 255},
	{"hda", 0, 3 << 8},
	{"hda1", 0, 769},
	{"hda63", 0, 831},
	{"hdb", 0, (3 << 8) | (1 << 6)},
	{"hdc", 0, 22 << 8},
	{"hdc2", 0, (22 << 8) | 2},
	{"hdd", 0, (22 << 8) | (1 << 6)},
	{"sda", 0, 8 << 8},
	{"sdb3", 0, (8 << 8) | (1 << 4) | 3},
	{"sdp15", 0, 2303},
	{"51712", 0, 51712},
	{"0xca00", 0, 51712},
	{"0145000", 0, 51712},
	{"0", 0, 0},
	{"xvd", -EINVAL, 0},
	{"xvda0", -EINVAL, 0},
	{"xvda01", -EINVAL, 0},
	{"xvda256", -EINVAL, 0},
	{"xvdA", -EINVAL, 0},
	{"xvda-1", -EINVAL, 0},
	{"vda", -EINVAL, 0},
	{"hde", -EINVAL, 0},
	{"hda64", -EINVAL, 0},
	{"sdq", -EINVAL, 0},
	{"sda16", -EINVAL, 0},
	{"d", -EINVAL, 0},
	{"dp1", -EINVAL, 0},
	{"d1p", -EINVAL, 0},
	{"d1048576", -EINVAL, 0},
	{"d0p256", -EINVAL, 0},
	{"2147483648", -EINVAL, 0},
	{"-1", -EINVAL, 0},
	{"", -EINVAL, 0},
	{"12abc", -EINVAL, 0},
};

static void test_vdev_numbers(void)
{
	for (size_t i = 0; i < sizeof(vdevs) / sizeof(vdevs[0]); i++) {
		uint32_t n = 0xdeadbeef;
		int rc = diskspec_vdev_number(vdevs[i].vdev, &n);

		if (rc != vdevs[i].rc || (!rc && n != vdevs[i].number))
			fprintf(stderr, "vdev '%s': rc %d number %u, want %d %u\n", vdevs[i].vdev,
				rc, n, vdevs[i].rc, vdevs[i].number);
		CU_ASSERT_EQUAL(rc, vdevs[i].rc);
		if (!rc)
			CU_ASSERT_EQUAL(n, vdevs[i].number);
	}
}

struct disk_case {
	const char *spec;
	const char *target, *vdev;
	uint32_t number;
	int readwrite, cdrom, discard, direct_io_safe;
};

static const struct disk_case disks[] = {
	/* The equivalent forms of xl-disk-configuration's first example. */
	{"/dev/vg/guest-volume,,hda", "/dev/vg/guest-volume", "hda", 768, 1, 0, 1, 0},
	{"/dev/vg/guest-volume,raw,hda,rw", "/dev/vg/guest-volume", "hda", 768, 1, 0, 1, 0},
	{"format=raw, vdev=hda, access=rw, target=/dev/vg/guest-volume", "/dev/vg/guest-volume",
	 "hda", 768, 1, 0, 1, 0},
	{"raw:/dev/vg/guest-volume,hda,w", "/dev/vg/guest-volume", "hda", 768, 1, 0, 1, 0},
	/* ... and of its cdrom example. */
	{"/root/image.iso,,hdc,cdrom", "/root/image.iso", "hdc", 5632, 0, 1, 1, 0},
	{"/root/image.iso,,hdc,,cdrom", "/root/image.iso", "hdc", 5632, 0, 1, 1, 0},
	{"/root/image.iso,raw,hdc,devtype=cdrom", "/root/image.iso", "hdc", 5632, 0, 1, 1, 0},
	{"format=raw, vdev=hdc, access=ro, devtype=cdrom, target=/root/image.iso",
	 "/root/image.iso", "hdc", 5632, 0, 1, 1, 0},
	{"raw:/root/image.iso,hdc:cdrom,ro", "/root/image.iso", "hdc", 5632, 0, 1, 1, 0},
	/* The example and other key=value forms. */
	{"format=raw, vdev=xvda, access=rw, target=/srv/g1.img", "/srv/g1.img", "xvda", 51712, 1,
	 0, 1, 0},
	{"vdev=xvdb, target=/srv/a,b c.img ", "/srv/a,b c.img ", "xvdb", 51728, 1, 0, 1, 0},
	{"vdev=xvdb, target=/srv/x.img,", "/srv/x.img", "xvdb", 51728, 1, 0, 1, 0},
	{",,xvda,,target=/srv/x.img", "/srv/x.img", "xvda", 51712, 1, 0, 1, 0},
	{"vdev=xvda, no-discard, direct-io-safe, target=/x", "/x", "xvda", 51712, 1, 0, 0, 1},
	{"vdev=xvda,backendtype=phy,specification=xen,backend=0,untrusted,trusted,no-colo,"
	 "grant_usage=1,target=/x",
	 "/x", "xvda", 51712, 1, 0, 1, 0},
	{"backend=Domain-0,vdev=xvda,devtype=disk,access=r,target=/x", "/x", "xvda", 51712, 0, 0,
	 1, 0},
	{"access=w,vdev=xvda,format=,target=/x", "/x", "xvda", 51712, 1, 0, 1, 0},
	/* Positional forms, whitespace, prefixes, the /dev rule. */
	{" /srv/x.img , raw , xvda , ro ", "/srv/x.img", "xvda", 51712, 0, 0, 1, 0},
	{"/srv/x.img,,xvda,rw,discard", "/srv/x.img", "xvda", 51712, 1, 0, 1, 0},
	{"/srv/x.img,,xvda,r,no-discard", "/srv/x.img", "xvda", 51712, 0, 0, 0, 0},
	{"tap:aio:/srv/x.img,xvdc,r", "/srv/x.img", "xvdc", 51744, 0, 0, 1, 0},
	{"file:/srv/x.img,xvdc,w", "/srv/x.img", "xvdc", 51744, 1, 0, 1, 0},
	{"phy:/dev/sdb1,xvdd,w", "/dev/sdb1", "xvdd", 51760, 1, 0, 1, 0},
	{"vg/lv,,xvda", "/dev/vg/lv", "xvda", 51712, 1, 0, 1, 0},
	{"/x,,51712", "/x", "51712", 51712, 1, 0, 1, 0},
	{"/x,,d0p1", "/x", "d0p1", 51713, 1, 0, 1, 0},
	{"/x,,xvdq", "/x", "xvdq", (1u << 28) | (16 << 8), 1, 0, 1, 0},
	{"/x,raw,sdb3,ro", "/x", "sdb3", 2067, 0, 0, 1, 0},
	{"cdrom,/x,,hdc", "/x", "hdc", 5632, 0, 1, 1, 0},
	{"cdrom,/x,,hdc,w", "/x", "hdc", 5632, 1, 1, 1, 0},
};

static void test_accepted_disks(void)
{
	for (size_t i = 0; i < sizeof(disks) / sizeof(disks[0]); i++) {
		const struct disk_case *c = &disks[i];
		struct diskspec d;
		char err[DEVSPEC_ERR_LEN];
		int rc = diskspec_parse(c->spec, &d, err);

		if (rc)
			fprintf(stderr, "disk '%s': %s\n", c->spec, err);
		CU_ASSERT_EQUAL_FATAL(rc, 0);
		if (strcmp(d.target, c->target) || strcmp(d.vdev, c->vdev) ||
		    d.readwrite != c->readwrite || d.cdrom != c->cdrom)
			fprintf(stderr, "disk '%s': target '%s' vdev '%s' rw %d cdrom %d\n", c->spec,
				d.target, d.vdev, d.readwrite, d.cdrom);
		CU_ASSERT_STRING_EQUAL(d.target, c->target);
		CU_ASSERT_STRING_EQUAL(d.vdev, c->vdev);
		CU_ASSERT_EQUAL(d.virtual_device, c->number);
		CU_ASSERT_EQUAL(d.readwrite, c->readwrite);
		CU_ASSERT_EQUAL(d.cdrom, c->cdrom);
		CU_ASSERT_EQUAL(d.discard, c->discard);
		CU_ASSERT_EQUAL(d.direct_io_safe, c->direct_io_safe);
	}
}

static void test_trusted_flag(void)
{
	struct diskspec d;
	char err[DEVSPEC_ERR_LEN];

	CU_ASSERT_EQUAL(diskspec_parse("/x,,xvda", &d, err), 0);
	CU_ASSERT_EQUAL(d.trusted, 1);
	CU_ASSERT_EQUAL(diskspec_parse("/x,,xvda,untrusted", &d, err), 0);
	CU_ASSERT_EQUAL(d.trusted, 0);
}

struct reject_case {
	const char *spec, *msg;
};

static const struct reject_case rejected[] = {
	{"format=qcow2, vdev=xvda, target=/x", "format=qcow2: not supported by pvkit (only raw)"},
	{"/x,qcow2,xvda", "format=qcow2: not supported by pvkit (only raw)"},
	{"qcow2:/x,xvda,w", "format=qcow2: not supported by pvkit (only raw)"},
	{"/x,qcow,xvda", "format=qcow: not supported by pvkit (only raw)"},
	{"/x,vhd,xvda", "format=vhd: not supported by pvkit (only raw)"},
	{"vhd:/x,xvda,w", "format=vhd: not supported by pvkit (only raw)"},
	{"/x,qed,xvda", "format=qed: not supported by pvkit (only raw)"},
	{"format=empty,vdev=hdc,cdrom", "format=empty: not supported by pvkit (only raw)"},
	{"/x,foo,xvda", "format=foo: unknown format (xl knows raw, qcow, qcow2, vhd, qed)"},
	{"/x,raw,xvda,rw,extra", "too many positional parameters at 'extra'"},
	{"/x,raw,xvda,rx", "access=rx: unknown value (use ro, r, rw or w)"},
	{"vdev=xvda,access=readonly,target=/x", "access=readonly: unknown value (use ro, r, rw or w)"},
	{"/x", "no vdev (the guest's device name, e.g. vdev=xvda)"},
	{"", "no vdev (the guest's device name, e.g. vdev=xvda)"},
	{"vdev=xvda", "no target (the image file or block device)"},
	{",,xvda", "no target (the image file or block device)"},
	{"vdev=hdc, devtype=cdrom", "empty cdrom drives are not supported by pvkit"},
	{",hdc:cdrom,r", "empty cdrom drives are not supported by pvkit"},
	{"/x,,xvdA", "vdev=xvdA: not a Xen virtual disk name (xvda, hdc, sdb3, d0p1 or a number)"},
	{"/x,,hde", "vdev=hde: not a Xen virtual disk name (xvda, hdc, sdb3, d0p1 or a number)"},
	{"vdev=xvda, vdev=xvdb, target=/x", "vdev specified twice"},
	{"/x,,xvda,vdev=xvdb", "vdev specified twice"},
	{"/x,raw,xvda,format=raw", "format specified twice"},
	{"/x,,xvda,target=/y", "target specified twice"},
	{"/x,raw,xvda,ro,access=rw", "access specified twice"},
	{"raw:/x,hdc:floppy,r", "devtype=floppy: unknown value (use disk or cdrom)"},
	{"vdev=xvda, devtype=floppy, target=/x", "devtype=floppy: unknown value (use disk or cdrom)"},
	{"vdev=xvda, backendtype=qdisk, target=/x",
	 "backendtype=qdisk: not supported by pvkit (only phy)"},
	{"vdev=xvda, backendtype=tap, target=/x", "backendtype=tap: not supported by pvkit (only phy)"},
	{"vdev=xvda, backendtype=standalone, target=/x",
	 "backendtype=standalone: not supported by pvkit (only phy)"},
	{"vdev=xvda, backendtype=foo, target=/x", "backendtype=foo: unknown value"},
	{"vdev=xvda, specification=virtio, target=/x",
	 "specification=virtio: not supported by pvkit (only xen)"},
	{"vdev=xvda, specification=foo, target=/x", "specification=foo: unknown value"},
	{"vdev=xvda, backend=stor, target=/x",
	 "backend=stor: not supported by pvkit (only Domain-0 serves disks)"},
	{"vdev=xvda, script=block-iscsi, target=/x",
	 "script=block-iscsi: not supported by pvkit (it runs no hotplug scripts)"},
	{"iscsi:/x,xvda,w",
	 "iscsi: prefix (script=block-iscsi): not supported by pvkit (it runs no hotplug scripts)"},
	{"nbd:/x,xvda,w",
	 "nbd: prefix (script=block-nbd): not supported by pvkit (it runs no hotplug scripts)"},
	{"foo:/x,xvda,w", "unknown deprecated disk prefix 'foo:'"},
	{"abcdefghijklmnopqrstuvwxyz:/x,xvda,w",
	 "unknown deprecated disk prefix 'abcdefghijklmnopqrstuvwxyz:'"},
	{"vdev=xvda, colo, target=/x", "colo: not supported by pvkit (no COLO replication)"},
	{"vdev=xvda, colo-host=h, target=/x",
	 "colo-host=h: not supported by pvkit (no COLO replication)"},
	{"vdev=xvda, hidden-disk=/h, target=/x",
	 "hidden-disk=/h: not supported by pvkit (no COLO replication)"},
	{"vdev=xvda, color=red, target=/x", "unknown disk parameter 'color'"},
	{"vdev=xvda, grant_usage=2, target=/x", "grant_usage=2: unknown value (use 0 or 1)"},
	{"vdev=xvda, Foo=1, target=/x", "cannot parse disk parameter 'Foo=1'"},
	{"vdev=xvda, =1, target=/x", "cannot parse disk parameter '=1'"},
	{"vdev=xvdabcdefghijklmnopqrstuvwxyzabcdef, target=/x", "vdev is longer than 31 bytes"},
};

static void test_rejected_disks(void)
{
	for (size_t i = 0; i < sizeof(rejected) / sizeof(rejected[0]); i++) {
		struct diskspec d;
		char err[DEVSPEC_ERR_LEN];
		int rc = diskspec_parse(rejected[i].spec, &d, err);

		if (rc != -EINVAL || strcmp(err, rejected[i].msg))
			fprintf(stderr, "disk '%s': rc %d \"%s\"\n", rejected[i].spec, rc, err);
		CU_ASSERT_EQUAL(rc, -EINVAL);
		CU_ASSERT_STRING_EQUAL(err, rejected[i].msg);
	}
}

static void test_long_target(void)
{
	char spec[DISKSPEC_TARGET_MAX + 64], err[DEVSPEC_ERR_LEN];
	struct diskspec d;

	strcpy(spec, "vdev=xvda, target=/");
	memset(spec + strlen(spec), 'a', DISKSPEC_TARGET_MAX);
	spec[sizeof(spec) - 1] = '\0';
	CU_ASSERT_EQUAL(diskspec_parse(spec, &d, err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "target is longer than 1023 bytes");
	/* The longest that fits. */
	strcpy(spec, "vdev=xvda, target=/");
	memset(spec + strlen(spec), 'a', DISKSPEC_TARGET_MAX - 2);
	spec[strlen("vdev=xvda, target=/") + DISKSPEC_TARGET_MAX - 2] = '\0';
	CU_ASSERT_EQUAL(diskspec_parse(spec, &d, err), 0);
	CU_ASSERT_EQUAL(strlen(d.target), DISKSPEC_TARGET_MAX - 1);
}

static CU_TestInfo diskspec_tests[] = {
	{"VBD numbers", test_vdev_numbers},
	{"accepted disk specs", test_accepted_disks},
	{"trusted flag", test_trusted_flag},
	{"rejected disk specs", test_rejected_disks},
	{"long target", test_long_target},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"diskspec", NULL, NULL, NULL, NULL, diskspec_tests},
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)
