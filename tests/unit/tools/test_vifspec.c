/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for tools/vifspec.c: rates computed as xl computes them, MACs,
 * accepted vif specs and every rejection.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../../../tools/devspec.h"
#include "../../harness/cunit.h"

struct rate_case {
	const char *rate;
	int rc;
	uint64_t bytes;
	uint32_t usecs;
	const char *msg;
};

static const struct rate_case rates[] = {
	{"10Mb/s", 0, 62500, 50000, NULL},
	{"10Mb/s@20ms", 0, 25000, 20000, NULL},
	{"100MB/s@20ms", 0, 2000000, 20000, NULL},
	{"1GB/s", 0, 50000000, 50000, NULL},
	{"1Gb/s@1s", 0, 125000000, 1000000, NULL},
	{"1000B/s@100us", 0, 0, 100, NULL},
	{"8Kb/s@1", 0, 1000, 1000000, NULL},
	{"5KB/s@20m", 0, 100, 20000, NULL},
	{"5KB/s@250u", 0, 1, 250, NULL},
	{"5KB/s@250us", 0, 1, 250, NULL},
	{"4294967295B/s@1s", 0, 4294967295u, 1000000, NULL},
	{"10", -EINVAL, 0, 0, "rate=10: not a rate (e.g. 10Mb/s or 1MB/s@20ms)"},
	{"10Mb", -EINVAL, 0, 0, "rate=10Mb: not a rate (e.g. 10Mb/s or 1MB/s@20ms)"},
	{"10mb/s", -EINVAL, 0, 0, "rate=10mb/s: not a rate (e.g. 10Mb/s or 1MB/s@20ms)"},
	{"10Mb/sec", -EINVAL, 0, 0, "rate=10Mb/sec: not a rate (e.g. 10Mb/s or 1MB/s@20ms)"},
	{"Mb/s", -EINVAL, 0, 0, "rate=Mb/s: not a rate (e.g. 10Mb/s or 1MB/s@20ms)"},
	{"0Mb/s", -EINVAL, 0, 0, "rate=0Mb/s: the rate must be between 1 and 4294967295 units"},
	{"4294967296B/s", -EINVAL, 0, 0,
	 "rate=4294967296B/s: the rate must be between 1 and 4294967295 units"},
	{"@20ms", -EINVAL, 0, 0, "rate=@20ms: no rate before '@'"},
	{"10Mb/s@", -EINVAL, 0, 0, "rate interval '' is not a time (e.g. 20ms, 500us, 1s)"},
	{"10Mb/s@20h", -EINVAL, 0, 0, "rate interval '20h' is not a time (e.g. 20ms, 500us, 1s)"},
	{"10Mb/s@0ms", -EINVAL, 0, 0, "rate interval '0ms' must be above zero and fit in 32 bits"},
	{"10Mb/s@5000s", -EINVAL, 0, 0, "rate interval '5000s' is longer than 4294967295us"},
	{"4294967295GB/s@4294967295us", -EINVAL, 0, 0, "rate=4294967295GB/s@4294967295us: overflows"},
};

static void test_rates(void)
{
	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		const struct rate_case *c = &rates[i];
		char err[DEVSPEC_ERR_LEN] = "";
		uint64_t bytes = 7;
		uint32_t us = 7;
		int rc = vifspec_parse_rate(c->rate, &bytes, &us, err);

		if (rc != c->rc || (!rc && (bytes != c->bytes || us != c->usecs)) ||
		    (rc && strcmp(err, c->msg)))
			fprintf(stderr, "rate '%s': rc %d %llu/%u \"%s\"\n", c->rate, rc,
				(unsigned long long)bytes, us, err);
		CU_ASSERT_EQUAL(rc, c->rc);
		if (rc) {
			CU_ASSERT_STRING_EQUAL(err, c->msg);
			continue;
		}
		CU_ASSERT_EQUAL(bytes, c->bytes);
		CU_ASSERT_EQUAL(us, c->usecs);
	}
}

static void test_macs(void)
{
	uint8_t mac[6];

	CU_ASSERT_EQUAL(vifspec_parse_mac("00:16:3E:74:3d:76", mac), 0);
	CU_ASSERT_EQUAL(mac[0], 0x00);
	CU_ASSERT_EQUAL(mac[2], 0x3e);
	CU_ASSERT_EQUAL(mac[5], 0x76);
	CU_ASSERT_EQUAL(vifspec_parse_mac("00:16:3e:74:3d", mac), -EINVAL);
	CU_ASSERT_EQUAL(vifspec_parse_mac("00:16:3e:74:3d:76:01", mac), -EINVAL);
	CU_ASSERT_EQUAL(vifspec_parse_mac("0:16:3e:74:3d:76", mac), -EINVAL);
	CU_ASSERT_EQUAL(vifspec_parse_mac("00-16-3e-74-3d-76", mac), -EINVAL);
	CU_ASSERT_EQUAL(vifspec_parse_mac("g0:16:3e:74:3d:76", mac), -EINVAL);
	CU_ASSERT_EQUAL(vifspec_parse_mac("", mac), -EINVAL);
}

static void test_accepted_vifs(void)
{
	struct vifspec v;
	char err[DEVSPEC_ERR_LEN];

	CU_ASSERT_EQUAL_FATAL(vifspec_parse("", &v, err), 0);
	CU_ASSERT_EQUAL(v.devid, -1);
	CU_ASSERT_EQUAL(v.mac_set, 0);
	CU_ASSERT_STRING_EQUAL(v.bridge, "xenbr0");
	CU_ASSERT_EQUAL(v.mtu, 1500);
	CU_ASSERT_EQUAL(v.rate_interval_usecs, 0);
	CU_ASSERT_STRING_EQUAL(v.vifname, "");

	CU_ASSERT_EQUAL_FATAL(vifspec_parse("mac=00:16:3E:74:3d:76,bridge=xenbr1", &v, err), 0);
	CU_ASSERT_EQUAL(v.mac_set, 1);
	CU_ASSERT_EQUAL(v.mac[3], 0x74);
	CU_ASSERT_STRING_EQUAL(v.bridge, "xenbr1");

	CU_ASSERT_EQUAL_FATAL(vifspec_parse(" mac=00:16:3e:5f:48:e4 , bridge=pvbr0 ,", &v, err), 0);
	CU_ASSERT_EQUAL(v.mac[5], 0xe4);
	CU_ASSERT_STRING_EQUAL(v.bridge, "pvbr0");

	CU_ASSERT_EQUAL_FATAL(vifspec_parse("ip=198.18.0.2 fd00::2/64", &v, err), 0);
	CU_ASSERT_STRING_EQUAL(v.ip, "198.18.0.2 fd00::2/64");

	CU_ASSERT_EQUAL_FATAL(vifspec_parse("type=vif, vifname=vif-g1, mtu=9000, devid=3, "
					    "backend=Domain-0",
					    &v, err),
			      0);
	CU_ASSERT_STRING_EQUAL(v.vifname, "vif-g1");
	CU_ASSERT_EQUAL(v.mtu, 9000);
	CU_ASSERT_EQUAL(v.devid, 3);

	CU_ASSERT_EQUAL_FATAL(vifspec_parse("bridge=pvbr0,,rate=10Mb/s@20ms,mtu=68,backend=0", &v,
					    err),
			      0);
	CU_ASSERT_EQUAL(v.rate_bytes_per_interval, 25000);
	CU_ASSERT_EQUAL(v.rate_interval_usecs, 20000);
	CU_ASSERT_EQUAL(v.mtu, 68);
}

struct reject_case {
	const char *spec, *msg;
};

static const struct reject_case rejected[] = {
	{"model=rtl8139", "model=rtl8139: not supported by pvkit"},
	{"mac=00:16:3E:74:3d:76,model=rtl8139,bridge=xenbr0", "model=rtl8139: not supported by pvkit"},
	{"script=vif-bridge", "script=vif-bridge: not supported by pvkit"},
	{"gatewaydev=eth0", "gatewaydev=eth0: not supported by pvkit"},
	{"netdev=eth0", "netdev=eth0: not supported by pvkit"},
	{"accel=x", "accel=x: not supported by pvkit"},
	{"forwarddev=eth1", "forwarddev=eth1: not supported by pvkit"},
	{"vlan=10", "vlan=10: not supported by pvkit"},
	{"colo_sock_mirror_id=1", "colo_sock_mirror_id=1: not supported by pvkit"},
	{"type=ioemu", "type=ioemu: not supported by pvkit (PV devices only)"},
	{"type=foo", "type=foo: unknown value (use vif)"},
	{"mac=00:16:3e:74:3d", "mac=00:16:3e:74:3d: not a MAC address (six hex pairs: "
			       "00:16:3e:xx:xx:xx)"},
	{"mac=00-16-3e-00-00-01", "mac=00-16-3e-00-00-01: not a MAC address (six hex pairs: "
				  "00:16:3e:xx:xx:xx)"},
	{"mac=01:16:3e:00:00:01", "mac=01:16:3e:00:00:01: a multicast address cannot be a guest's "
				  "MAC"},
	{"bridge=", "bridge=: not an interface name (1-15 characters, no '/', ':' or blanks)"},
	{"bridge=abcdefghijklmnop",
	 "bridge=abcdefghijklmnop: not an interface name (1-15 characters, no '/', ':' or blanks)"},
	{"vifname=a/b", "vifname=a/b: not an interface name (1-15 characters, no '/', ':' or blanks)"},
	{"vifname=..", "vifname=..: not an interface name (1-15 characters, no '/', ':' or blanks)"},
	{"bridge=br 0", "bridge=br 0: not an interface name (1-15 characters, no '/', ':' or blanks)"},
	{"mtu=67", "mtu=67: must be a number from 68 to 65535"},
	{"mtu=70000", "mtu=70000: must be a number from 68 to 65535"},
	{"mtu=abc", "mtu=abc: must be a number from 68 to 65535"},
	{"mtu=", "mtu=: must be a number from 68 to 65535"},
	{"devid=-1", "devid=-1: must be a number from 0 to 65535"},
	{"devid=0x1", "devid=0x1: must be a number from 0 to 65535"},
	{"backend=drv", "backend=drv: not supported by pvkit (only Domain-0 serves vifs)"},
	{"ip=foo", "ip=foo: not a list of IP addresses"},
	{"bridge", "unknown vif parameter 'bridge' (expected key=value)"},
	{"color=red", "unknown vif parameter 'color'"},
	{"rate=10", "rate=10: not a rate (e.g. 10Mb/s or 1MB/s@20ms)"},
};

static void test_rejected_vifs(void)
{
	for (size_t i = 0; i < sizeof(rejected) / sizeof(rejected[0]); i++) {
		struct vifspec v;
		char err[DEVSPEC_ERR_LEN];
		int rc = vifspec_parse(rejected[i].spec, &v, err);

		if (rc != -EINVAL || strcmp(err, rejected[i].msg))
			fprintf(stderr, "vif '%s': rc %d \"%s\"\n", rejected[i].spec, rc, err);
		CU_ASSERT_EQUAL(rc, -EINVAL);
		CU_ASSERT_STRING_EQUAL(err, rejected[i].msg);
	}
}

static CU_TestInfo vifspec_tests[] = {
	{"rates as xl computes them", test_rates},
	{"MAC addresses", test_macs},
	{"accepted vif specs", test_accepted_vifs},
	{"rejected vif specs", test_rejected_vifs},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"vifspec", NULL, NULL, NULL, NULL, vifspec_tests},
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)
