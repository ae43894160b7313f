/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for tools/domcfg.c and tools/domcfg_print.c: typed settings,
 * defaults, rejections with positions, overrides, printing that parses back,
 * and random mutations of a good config.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pvkit/log.h"
#include "../../../tools/domcfg.h"
#include "../../../tools/domcfg_print.h"
#include "../../harness/cunit.h"

static char last_warning[1024];
static int warnings;

static void capture(enum pv_log_level level, const char *line, void *opaque)
{
	(void)opaque;
	if (level == PV_LOG_WARN) {
		snprintf(last_warning, sizeof(last_warning), "%s", line);
		warnings++;
	}
}

static int setup(void)
{
	pv_log_set_sink(capture, NULL);
	return 0;
}

/* Parse @text as "t.cfg" into a fresh domcfg (freed with teardown_dc). */
static int load(const char *text, struct domcfg **dc, struct xlcfg_err *err)
{
	struct xlcfg cfg;
	int rc;

	*dc = calloc(1, sizeof(**dc));
	CU_ASSERT_PTR_NOT_NULL_FATAL(*dc);
	xlcfg_init(&cfg);
	err->msg[0] = '\0';
	rc = xlcfg_parse(&cfg, "t.cfg", text, strlen(text), err);
	if (!rc)
		rc = domcfg_from_xlcfg(&cfg, *dc, err);
	xlcfg_free(&cfg);
	return rc;
}

static void drop(struct domcfg *dc)
{
	domcfg_free(dc);
	free(dc);
}

static const char full_config[] =
	"# the issue's example guest\n"
	"name = \"g1\"\n"
	"memory = 512\n"
	"vcpus = 2\n"
	"on_crash = 'preserve'\n"
	"on_reboot = 'destroy'\n"
	"on_poweroff = 'restart'\n"
	"init = \"/sbin/init --verbose\"\n"
	"disk = [ 'format=raw, vdev=xvda, access=rw, target=/srv/g1.img',\n"
	"         '/srv/ro.img,,xvdb,ro', ]\n"
	"vif = [ 'mac=00:16:3e:00:00:01, bridge=pvbr0', 'rate=10Mb/s@20ms' ]\n"
	"pci = [ '0000:03:00.0@2,permissive=1' ]\n"
	"usbdev = [ 'hostbus=1, hostaddr=3' ]\n";

static void test_full_config(void)
{
	struct domcfg *dc;
	struct xlcfg_err err;

	CU_ASSERT_EQUAL_FATAL(load(full_config, &dc, &err), 0);
	CU_ASSERT_STRING_EQUAL(dc->name, "g1");
	CU_ASSERT_EQUAL(dc->memory_mib, 512);
	CU_ASSERT_EQUAL(dc->vcpus, 2);
	CU_ASSERT_EQUAL(dc->on_crash, DOMCFG_PRESERVE);
	CU_ASSERT_EQUAL(dc->on_reboot, DOMCFG_DESTROY);
	CU_ASSERT_EQUAL(dc->on_poweroff, DOMCFG_RESTART);
	CU_ASSERT_STRING_EQUAL(dc->init, "/sbin/init --verbose");
	CU_ASSERT_EQUAL_FATAL(dc->ndisks, 2);
	CU_ASSERT_STRING_EQUAL(dc->disks[0].target, "/srv/g1.img");
	CU_ASSERT_EQUAL(dc->disks[1].virtual_device, 51728);
	CU_ASSERT_EQUAL(dc->disks[1].readwrite, 0);
	CU_ASSERT_EQUAL_FATAL(dc->nvifs, 2);
	CU_ASSERT_EQUAL(dc->vifs[0].devid, 0);
	CU_ASSERT_EQUAL(dc->vifs[1].devid, 1);
	CU_ASSERT_EQUAL(dc->vifs[0].mac[5], 1);
	CU_ASSERT_STRING_EQUAL(dc->vifs[1].bridge, "xenbr0");
	CU_ASSERT_EQUAL(dc->vifs[1].rate_bytes_per_interval, 25000);
	CU_ASSERT_EQUAL_FATAL(dc->npcis, 1);
	CU_ASSERT_EQUAL(dc->pcis[0].bus, 3);
	CU_ASSERT_EQUAL(dc->pcis[0].vslot, 2);
	CU_ASSERT_EQUAL_FATAL(dc->nusbdevs, 1);
	CU_ASSERT_STRING_EQUAL(dc->usbdevs[0], "hostbus=1, hostaddr=3");
	drop(dc);
}

static void test_defaults(void)
{
	struct domcfg *dc;
	struct xlcfg_err err;

	CU_ASSERT_EQUAL_FATAL(load("name = 'g'", &dc, &err), 0);
	CU_ASSERT_EQUAL(dc->memory_mib, DOMCFG_DEFAULT_MEMORY);
	CU_ASSERT_EQUAL(dc->vcpus, 1);
	CU_ASSERT_EQUAL(dc->on_poweroff, DOMCFG_DESTROY);
	CU_ASSERT_EQUAL(dc->on_reboot, DOMCFG_RESTART);
	CU_ASSERT_EQUAL(dc->on_crash, DOMCFG_DESTROY);
	CU_ASSERT_STRING_EQUAL(dc->init, "/bin/sh");
	CU_ASSERT_EQUAL(dc->ndisks + dc->nvifs + dc->npcis + dc->nusbdevs, 0);
	drop(dc);
}

static void test_actions(void)
{
	static const char *const names[] = {"destroy", "restart", "preserve"};
	/* xl's other actions: rejected by name, not as unknown words. */
	static const char *const later[] = {"coredump-destroy", "coredump-restart",
					    "rename-restart", "soft-reset"};

	for (size_t i = 0; i < 3; i++) {
		struct domcfg *dc;
		struct xlcfg_err err;
		char text[128];

		snprintf(text, sizeof(text), "name='g'\non_crash = '%s'\n", names[i]);
		CU_ASSERT_EQUAL_FATAL(load(text, &dc, &err), 0);
		CU_ASSERT_EQUAL(dc->on_crash, (enum domcfg_action)i);
		CU_ASSERT_STRING_EQUAL(domcfg_action_name(dc->on_crash), names[i]);
		drop(dc);
	}
	for (size_t i = 0; i < 4; i++) {
		struct domcfg *dc = NULL;
		struct xlcfg_err err;
		char text[128], want[160];

		snprintf(text, sizeof(text), "name='g'\non_poweroff = '%s'\n", later[i]);
		snprintf(want, sizeof(want), "t.cfg:2:15: on_poweroff = %s: not implemented by pvkit "
			 "(use destroy, restart or preserve)", later[i]);
		CU_ASSERT_NOT_EQUAL(load(text, &dc, &err), 0);
		CU_ASSERT_STRING_EQUAL(err.msg, want);
		if (dc)
			drop(dc);
	}
}

static void test_numbers_and_later_wins(void)
{
	struct domcfg *dc;
	struct xlcfg_err err;

	CU_ASSERT_EQUAL_FATAL(load("name='g'\nmemory = 0x100\nvcpus = \"3\"\nmemory = 1024\n"
				   "name = 'h'\n",
				   &dc, &err),
			      0);
	CU_ASSERT_EQUAL(dc->memory_mib, 1024);
	CU_ASSERT_EQUAL(dc->vcpus, 3);
	CU_ASSERT_STRING_EQUAL(dc->name, "h");
	drop(dc);
	/* Only the winning setting is checked, as in xl. */
	CU_ASSERT_EQUAL_FATAL(load("name='g'\nmemory = 'lots'\nmemory = 64\n", &dc, &err), 0);
	CU_ASSERT_EQUAL(dc->memory_mib, 64);
	drop(dc);
}

static void test_ignored_key_warns(void)
{
	struct domcfg *dc;
	struct xlcfg_err err;
	int before = warnings;

	CU_ASSERT_EQUAL_FATAL(load("name='g'\nkernel = \"/boot/vmlinuz\"\nvnc = 1\n", &dc, &err), 0);
	CU_ASSERT_EQUAL(warnings, before + 2);
	CU_ASSERT_STRING_EQUAL(last_warning, "t.cfg:3:1: 'vnc' is an xl setting pvkit ignores");
	drop(dc);
}

struct reject_case {
	const char *text, *msg;
};

#define ACTIONS "use destroy, restart or preserve"
#define NAME_RULE "use 1-63 letters, digits, '_', '.' or '-', not all digits, not starting with '-' or '.'"

static const struct reject_case rejected[] = {
	{"name = 'g1'\nmemory = 'abc'",
	 "t.cfg:2:10: memory = abc: expected a number of MiB from 1 to 1048576"},
	{"name = 'g1'\nmemory = 0", "t.cfg:2:10: memory = 0: expected a number of MiB from 1 to "
				    "1048576"},
	{"name = 'g1'\nmemory = 0x100000000",
	 "t.cfg:2:10: memory = 0x100000000: expected a number of MiB from 1 to 1048576"},
	{"name = 'g1'\nvcpus = 129", "t.cfg:2:9: vcpus = 129: expected a number of vcpus from 1 to "
				     "128"},
	{"name = 'g1'\non_crash = 'explode'", "t.cfg:2:12: on_crash = \"explode\": " ACTIONS},
	{"name = 'g1'\non_reboot = 'soft-reset'",
	 "t.cfg:2:13: on_reboot = soft-reset: not implemented by pvkit (use destroy, restart or "
	 "preserve)"},
	{"name = '123'", "t.cfg:1:8: name \"123\": " NAME_RULE},
	{"name = ''", "t.cfg:1:8: name \"\": " NAME_RULE},
	{"name = '-g'", "t.cfg:1:8: name \"-g\": " NAME_RULE},
	{"name = 'a/b'", "t.cfg:1:8: name \"a/b\": " NAME_RULE},
	{"name = 'a b'", "t.cfg:1:8: name \"a b\": " NAME_RULE},
	{"name = 1234", "t.cfg:1:8: name \"1234\": " NAME_RULE},
	{"memory = 64\n", "t.cfg: no 'name' setting (every guest needs a name)"},
	{"", "t.cfg: no 'name' setting (every guest needs a name)"},
	{"name = 'g'\nfoo = 1", "t.cfg:2:1: unknown setting 'foo'"},
	{"name = 'g'\n  vtpm = ['x']", "t.cfg:2:3: 'vtpm' is an xl setting pvkit does not support"},
	{"name = 'g'\nchannel = ['x']", "t.cfg:2:1: 'channel' is an xl setting pvkit does not "
					"support"},
	{"name = 'g'\ndisk = '/x,,xvda'", "t.cfg:2:8: disk: expected a list: disk = [ '...', ... ]"},
	{"name = ['g']", "t.cfg:1:8: name: expected a single value, not a list"},
	{"name = 'g'\ndisk = [ 5 ]", "t.cfg:2:10: disk 0: expected a quoted spec"},
	{"name = 'g'\ndisk = [ '/x,,xvda', '/y,,xvda' ]",
	 "t.cfg:2:22: disk 1: vdev xvda (51712) is already disk 0's"},
	{"name = 'g'\ndisk = [ '/x,,d0', '/y,,xvda' ]",
	 "t.cfg:2:20: disk 1: vdev xvda (51712) is already disk 0's"},
	{"name = 'g'\ndisk = [ '/x,,xvda',\n  '/y,qcow2,xvdb' ]",
	 "t.cfg:3:3: disk 1: format=qcow2: not supported by pvkit (only raw)"},
	{"name = 'g'\nvif = [ 'devid=1', 'devid=1' ]", "t.cfg:2:20: vif 1: devid 1 is already vif 0's"},
	{"name = 'g'\nvif = [ 'model=e1000' ]", "t.cfg:2:9: vif 0: model=e1000: not supported by pvkit"},
	{"name = 'g'\npci = [ 'zz' ]",
	 "t.cfg:2:9: pci 0: 'zz' is not a PCI address ([[DDDD:]BB:]DD.F, hex, F may be *)"},
	{"name = 'g'\ninit = ''", "t.cfg:2:8: init: must be a command of 1 to 1023 bytes"},
};

static void test_rejected(void)
{
	for (size_t i = 0; i < sizeof(rejected) / sizeof(rejected[0]); i++) {
		struct domcfg *dc;
		struct xlcfg_err err;
		int rc = load(rejected[i].text, &dc, &err);

		if (rc != -EINVAL || strcmp(err.msg, rejected[i].msg))
			fprintf(stderr, "case %zu: rc %d \"%s\"\n", i, rc, err.msg);
		CU_ASSERT_EQUAL(rc, -EINVAL);
		CU_ASSERT_STRING_EQUAL(err.msg, rejected[i].msg);
		drop(dc);
	}
}

static void test_too_many_devices(void)
{
	char text[8192] = "name = 'g'\nvif = [";
	struct domcfg *dc;
	struct xlcfg_err err;

	for (int i = 0; i <= DOMCFG_MAX_DEVICES; i++)
		strcat(text, "'',");
	strcat(text, "]");
	CU_ASSERT_EQUAL(load(text, &dc, &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.msg, "t.cfg:2:7: vif: more than 64 devices");
	drop(dc);
}

static void test_vif_ids_and_macs(void)
{
	struct domcfg *dc;
	struct xlcfg_err err;
	uint8_t mac[6];

	CU_ASSERT_EQUAL_FATAL(load("name='g'\nvif = [ '', 'devid=5', '', 'devid=2' ]", &dc, &err),
			      0);
	/* libxl: the ones without devid= follow the largest given devid, in order. */
	CU_ASSERT_EQUAL(dc->vifs[0].devid, 6);
	CU_ASSERT_EQUAL(dc->vifs[1].devid, 5);
	CU_ASSERT_EQUAL(dc->vifs[2].devid, 7);
	CU_ASSERT_EQUAL(dc->vifs[3].devid, 2);
	for (size_t i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(dc->vifs[i].mac[0], 0x00);
		CU_ASSERT_EQUAL(dc->vifs[i].mac[1], 0x16);
		CU_ASSERT_EQUAL(dc->vifs[i].mac[2], 0x3e);
		CU_ASSERT_EQUAL(dc->vifs[i].mac[3] & 0x80, 0);
		domcfg_default_mac("g", dc->vifs[i].devid, mac);
		CU_ASSERT_EQUAL(memcmp(mac, dc->vifs[i].mac, 6), 0);
	}
	CU_ASSERT_NOT_EQUAL(memcmp(dc->vifs[0].mac, dc->vifs[1].mac, 6), 0);
	drop(dc);
}

static void test_load_with_overrides(void)
{
	char path[] = "/tmp/pvkit-test-domcfg-XXXXXX";
	char *good[] = {"memory=256", "name=g2", "vif=['bridge=br9']", "disk+=['/z,,xvdz']"};
	char *bad[] = {"memory=256", "memory=lots"};
	struct domcfg *dc = calloc(1, sizeof(*dc));
	struct xlcfg_err err;
	int fd = mkstemp(path);

	CU_ASSERT_FATAL(fd >= 0 && dc);
	CU_ASSERT_EQUAL((size_t)write(fd, full_config, strlen(full_config)), strlen(full_config));
	close(fd);
	CU_ASSERT_EQUAL_FATAL(domcfg_load(path, good, 4, 2, dc, &err), 0);
	CU_ASSERT_EQUAL(dc->memory_mib, 256);
	CU_ASSERT_STRING_EQUAL(dc->name, "g2");
	CU_ASSERT_EQUAL(dc->nvifs, 1);
	CU_ASSERT_STRING_EQUAL(dc->vifs[0].bridge, "br9");
	CU_ASSERT_EQUAL_FATAL(dc->ndisks, 3);
	CU_ASSERT_STRING_EQUAL(dc->disks[2].target, "/z");
	CU_ASSERT_STRING_EQUAL(dc->disk_where[2], "command line argument 5:1:8");
	CU_ASSERT_STRING_EQUAL(dc->disk_where[0] + strlen(path), ":9:10");
	domcfg_free(dc);
	CU_ASSERT_EQUAL(domcfg_load(path, bad, 2, 2, dc, &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.msg, "command line argument 3:1:8: memory = lots: expected a "
					"number of MiB from 1 to 1048576");
	CU_ASSERT_EQUAL(domcfg_load("/nonexistent.cfg", NULL, 0, 2, dc, &err), -ENOENT);
	CU_ASSERT_STRING_EQUAL(err.msg, "/nonexistent.cfg: cannot open: No such file or directory");
	unlink(path);
	free(dc);
}

/* domcfg_print's output parses back to the same configuration. */
static void test_print_round_trip(void)
{
	struct domcfg *a, *b;
	struct xlcfg_err err;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	CU_ASSERT_EQUAL_FATAL(load(full_config, &a, &err), 0);
	strcpy(a->disks[0].target, "/srv/odd 'name', \"quoted\"\\.img");
	strcpy(a->init, "/bin/echo 'it''s' \"x\"\t\\");
	f = open_memstream(&text, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	domcfg_print(f, a);
	fclose(f);
	if (load(text, &b, &err))
		fprintf(stderr, "%s\n%s\n", text, err.msg);
	CU_ASSERT_STRING_EQUAL(err.msg, "");
	CU_ASSERT_STRING_EQUAL(b->name, a->name);
	CU_ASSERT_STRING_EQUAL(b->init, a->init);
	CU_ASSERT_EQUAL(b->memory_mib, a->memory_mib);
	CU_ASSERT_EQUAL(b->on_reboot, a->on_reboot);
	CU_ASSERT_EQUAL(b->ndisks, a->ndisks);
	CU_ASSERT_EQUAL(memcmp(b->disks, a->disks, sizeof(a->disks[0]) * a->ndisks), 0);
	CU_ASSERT_EQUAL(b->nvifs, a->nvifs);
	for (size_t i = 0; i < a->nvifs; i++) {
		CU_ASSERT_EQUAL(memcmp(b->vifs[i].mac, a->vifs[i].mac, 6), 0);
		CU_ASSERT_EQUAL(b->vifs[i].devid, a->vifs[i].devid);
		CU_ASSERT_EQUAL(b->vifs[i].rate_bytes_per_interval, a->vifs[i].rate_bytes_per_interval);
	}
	CU_ASSERT_EQUAL(memcmp(b->pcis, a->pcis, sizeof(a->pcis[0]) * a->npcis), 0);
	CU_ASSERT_STRING_EQUAL(b->usbdevs[0], a->usbdevs[0]);
	free(text);
	drop(a);
	drop(b);
}

static uint32_t rng_state = 424242;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/* Mutate the good config byte by byte: never a crash, always a result or one error line. */
static void test_random_mutations(void)
{
	static const char noise[] = "=,[]'\":@.*#\n x0";
	size_t n = strlen(full_config);
	char *text = malloc(n + 1);

	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	for (int iter = 0; iter < 3000; iter++) {
		struct domcfg *dc;
		struct xlcfg_err err;
		int rc;

		memcpy(text, full_config, n + 1);
		for (int k = 1 + (int)(rng() % 4); k > 0; k--)
			text[rng() % n] = noise[rng() % (sizeof(noise) - 1)];
		rc = load(text, &dc, &err);
		CU_ASSERT(rc == 0 || rc == -EINVAL);
		if (rc)
			CU_ASSERT(!strncmp(err.msg, "t.cfg", 5) && !strchr(err.msg, '\n'));
		drop(dc);
	}
	free(text);
}

static CU_TestInfo domcfg_tests[] = {
	{"full config", test_full_config},
	{"defaults", test_defaults},
	{"on_* actions", test_actions},
	{"numbers, later setting wins", test_numbers_and_later_wins},
	{"ignored xl keys warn", test_ignored_key_warns},
	{"rejections with positions", test_rejected},
	{"too many devices", test_too_many_devices},
	{"vif devids and default MACs", test_vif_ids_and_macs},
	{"file plus overrides", test_load_with_overrides},
	{"print parses back", test_print_round_trip},
	{"random mutations", test_random_mutations},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"domcfg", setup, NULL, NULL, NULL, domcfg_tests},
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)
