/* SPDX-License-Identifier: MIT */
/*
 * From xl.cfg settings to a typed guest configuration: every key is either
 * handled, ignored with a warning (xl knows it, pvkit has no use), or rejected.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvkit/log.h"
#include "domcfg.h"

static const char *const action_names[] = {
	[DOMCFG_DESTROY] = "destroy",
	[DOMCFG_RESTART] = "restart",
	[DOMCFG_PRESERVE] = "preserve",
	[DOMCFG_COREDUMP_DESTROY] = "coredump-destroy",
	[DOMCFG_COREDUMP_RESTART] = "coredump-restart",
	[DOMCFG_RENAME_RESTART] = "rename-restart",
};

const char *domcfg_action_name(enum domcfg_action a)
{
	return (unsigned)a < sizeof(action_names) / sizeof(action_names[0]) ? action_names[a]
									     : "?";
}

/*
 * xl settings that describe a hardware virtual machine (kernel, firmware,
 * display, scheduling) and mean nothing for a pvkit guest: warned, ignored.
 */
static const char *const ignored_keys[] = {
	"type", "builder", "kernel", "ramdisk", "cmdline", "root", "extra", "bootloader",
	"bootloader_args", "uuid", "maxmem", "maxvcpus", "cpus", "cpus_soft", "cpu_weight",
	"cap", "pool", "localtime", "rtc_timeoffset", "vfb", "vkb", "vnc", "vnclisten",
	"vncdisplay", "vncunused", "vncpasswd", "sdl", "opengl", "serial", "boot", "acpi",
	"apic", "pae", "hap", "nestedhvm", "device_model_version", "stdvga", "videoram",
	"keymap", "nographic", "tsc_mode", "seclabel", "on_watchdog", "on_soft_reset",
	"usbctrl", "max_grant_frames", "max_maptrack_frames", "claim_mode", NULL,
};

/* xl settings for devices or features pvkit does not have: rejected by name. */
static const char *const unsupported_keys[] = {
	"channel", "vtpm", "p9", "pvcalls", "vdispl", "vsnd", "virtio", "dtdev", "iomem",
	"ioports", "irqs", "rdm", "driver_domain", "gfx_passthru", "usb", "usbdevice",
	"vscsi", "device_tree", "soundhw", NULL,
};

static int in_list(const char *const *list, const char *key)
{
	for (; *list; list++)
		if (!strcmp(*list, key))
			return 1;
	return 0;
}

/* --- scalar settings --------------------------------------------------------------- */

static int want_atom(const struct xlcfg_setting *s, struct xlcfg_err *err)
{
	if (s->value.kind == XLCFG_LIST)
		return xlcfg_errorf(err, &s->value.pos, "%s: expected a single value, not a list",
				    s->key);
	return 0;
}

static int valid_name(const char *name)
{
	size_t n = strlen(name), digits = 0;

	if (!n || n >= DOMCFG_NAME_MAX || name[0] == '-' || name[0] == '.')
		return 0;
	for (const char *p = name; *p; p++) {
		if (!isalnum((unsigned char)*p) && !strchr("_.-", *p))
			return 0;
		digits += isdigit((unsigned char)*p) != 0;
	}
	return digits != n;
}

static int set_name(struct domcfg *dc, const struct xlcfg_setting *s, struct xlcfg_err *err)
{
	if (!valid_name(s->value.text))
		return xlcfg_errorf(err, &s->value.pos,
				    "name \"%.80s\": use 1-63 letters, digits, '_', '.' or '-', "
				    "not all digits, not starting with '-' or '.'",
				    s->value.text);
	strcpy(dc->name, s->value.text);
	return 0;
}

static int set_number(const struct xlcfg_setting *s, long max, const char *unit, unsigned *out,
		      struct xlcfg_err *err)
{
	long v;

	if (xlcfg_parse_long(s->value.text, 1, max, &v))
		return xlcfg_errorf(err, &s->value.pos, "%s = %.40s: expected %s from 1 to %ld",
				    s->key, s->value.text, unit, max);
	*out = (unsigned)v;
	return 0;
}

static int set_action(const struct xlcfg_setting *s, enum domcfg_action *out,
		      struct xlcfg_err *err)
{
	for (size_t i = 0; i < sizeof(action_names) / sizeof(action_names[0]); i++) {
		if (strcmp(s->value.text, action_names[i]))
			continue;
		if (i > DOMCFG_PRESERVE) /* xl's, but no core to dump and no rename yet */
			break;
		*out = (enum domcfg_action)i;
		return 0;
	}
	if (!strcmp(s->value.text, "soft-reset") || !strcmp(s->value.text, "coredump-destroy") ||
	    !strcmp(s->value.text, "coredump-restart") || !strcmp(s->value.text, "rename-restart"))
		return xlcfg_errorf(err, &s->value.pos,
				    "%s = %s: not implemented by pvkit (use destroy, restart or "
				    "preserve)",
				    s->key, s->value.text);
	return xlcfg_errorf(err, &s->value.pos,
			    "%s = \"%.40s\": use destroy, restart or preserve",
			    s->key, s->value.text);
}

static int set_init(struct domcfg *dc, const struct xlcfg_setting *s, struct xlcfg_err *err)
{
	size_t n = strlen(s->value.text);

	if (!n || n >= sizeof(dc->init))
		return xlcfg_errorf(err, &s->value.pos, "init: must be a command of 1 to %zu bytes",
				    sizeof(dc->init) - 1);
	memcpy(dc->init, s->value.text, n + 1);
	return 0;
}

static int scalar(struct domcfg *dc, const struct xlcfg_setting *s, struct xlcfg_err *err)
{
	const char *k = s->key;
	int rc = want_atom(s, err);

	if (rc)
		return rc;
	if (!strcmp(k, "name"))
		return set_name(dc, s, err);
	if (!strcmp(k, "memory"))
		return set_number(s, DOMCFG_MAX_MEMORY, "a number of MiB", &dc->memory_mib, err);
	if (!strcmp(k, "vcpus"))
		return set_number(s, DOMCFG_MAX_VCPUS, "a number of vcpus", &dc->vcpus, err);
	if (!strcmp(k, "on_poweroff"))
		return set_action(s, &dc->on_poweroff, err);
	if (!strcmp(k, "on_reboot"))
		return set_action(s, &dc->on_reboot, err);
	if (!strcmp(k, "on_crash"))
		return set_action(s, &dc->on_crash, err);
	return set_init(dc, s, err);
}

/* --- device lists --------------------------------------------------------------------- */

static int item_string(const struct xlcfg_setting *s, size_t i, struct xlcfg_err *err)
{
	if (s->value.items[i].kind != XLCFG_STRING)
		return xlcfg_errorf(err, &s->value.items[i].pos, "%s %zu: expected a quoted spec",
				    s->key, i);
	return 0;
}

static void where(char buf[DOMCFG_WHERE_MAX], const struct xlcfg_pos *pos)
{
	snprintf(buf, DOMCFG_WHERE_MAX, "%s:%d:%d", pos->source, pos->line, pos->column);
}

static int add_disk(struct domcfg *dc, const struct xlcfg_setting *s, size_t i,
		    struct xlcfg_err *err)
{
	struct diskspec *d = &dc->disks[dc->ndisks];
	char msg[DEVSPEC_ERR_LEN];

	if (diskspec_parse(s->value.items[i].text, d, msg))
		return xlcfg_errorf(err, &s->value.items[i].pos, "disk %zu: %s", i, msg);
	where(dc->disk_where[dc->ndisks], &s->value.items[i].pos);
	for (size_t j = 0; j < dc->ndisks; j++)
		if (dc->disks[j].virtual_device == d->virtual_device)
			return xlcfg_errorf(err, &s->value.items[i].pos,
					    "disk %zu: vdev %s (%u) is already disk %zu's", i,
					    d->vdev, d->virtual_device, j);
	dc->ndisks++;
	return 0;
}

static int add_vif(struct domcfg *dc, const struct xlcfg_setting *s, size_t i,
		   struct xlcfg_err *err)
{
	char msg[DEVSPEC_ERR_LEN];

	if (vifspec_parse(s->value.items[i].text, &dc->vifs[dc->nvifs], msg))
		return xlcfg_errorf(err, &s->value.items[i].pos, "vif %zu: %s", i, msg);
	where(dc->vif_where[dc->nvifs], &s->value.items[i].pos);
	for (size_t j = 0; j < dc->nvifs; j++)
		if (dc->vifs[dc->nvifs].devid >= 0 && dc->vifs[j].devid == dc->vifs[dc->nvifs].devid)
			return xlcfg_errorf(err, &s->value.items[i].pos,
					    "vif %zu: devid %d is already vif %zu's", i,
					    dc->vifs[j].devid, j);
	dc->nvifs++;
	return 0;
}

static int add_pci(struct domcfg *dc, const struct xlcfg_setting *s, size_t i,
		   struct xlcfg_err *err)
{
	char msg[DEVSPEC_ERR_LEN];

	if (pcispec_parse(s->value.items[i].text, &dc->pcis[dc->npcis], msg))
		return xlcfg_errorf(err, &s->value.items[i].pos, "pci %zu: %s", i, msg);
	where(dc->pci_where[dc->npcis], &s->value.items[i].pos);
	dc->npcis++;
	return 0;
}

static int add_usbdev(struct domcfg *dc, const struct xlcfg_setting *s, size_t i,
		      struct xlcfg_err *err)
{
	(void)err;
	dc->usbdevs[dc->nusbdevs] = strdup(s->value.items[i].text);
	if (!dc->usbdevs[dc->nusbdevs])
		return -ENOMEM;
	dc->nusbdevs++;
	return 0;
}

typedef int (*add_fn)(struct domcfg *, const struct xlcfg_setting *, size_t,
		      struct xlcfg_err *);

static int device_list(struct domcfg *dc, const struct xlcfg_setting *s, add_fn add,
		       size_t *count, struct xlcfg_err *err)
{
	int rc = 0;

	if (s->value.kind != XLCFG_LIST)
		return xlcfg_errorf(err, &s->value.pos, "%s: expected a list: %s = [ '...', ... ]",
				    s->key, s->key);
	if (s->value.nitems > DOMCFG_MAX_DEVICES)
		return xlcfg_errorf(err, &s->value.pos, "%s: more than %d devices", s->key,
				    DOMCFG_MAX_DEVICES);
	*count = 0;
	for (size_t i = 0; !rc && i < s->value.nitems; i++) {
		rc = item_string(s, i, err);
		if (!rc)
			rc = add(dc, s, i, err);
	}
	return rc;
}

/* libxl's rule: vifs without devid= take the ids after the largest given one. */
static void assign_vif_ids(struct domcfg *dc)
{
	int last = -1;

	for (size_t i = 0; i < dc->nvifs; i++)
		if (dc->vifs[i].devid > last)
			last = dc->vifs[i].devid;
	for (size_t i = 0; i < dc->nvifs; i++) {
		if (dc->vifs[i].devid < 0)
			dc->vifs[i].devid = ++last;
		if (!dc->vifs[i].mac_set)
			domcfg_default_mac(dc->name, dc->vifs[i].devid, dc->vifs[i].mac);
	}
}

void domcfg_default_mac(const char *name, int devid, uint8_t mac[6])
{
	uint32_t h = 2166136261u; /* FNV-1a */
	char buf[DOMCFG_NAME_MAX + 16];

	snprintf(buf, sizeof(buf), "%s/%d", name, devid);
	for (const char *p = buf; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	mac[0] = 0x00;
	mac[1] = 0x16;
	mac[2] = 0x3e;
	mac[3] = (uint8_t)((h >> 16) & 0x7f); /* xl keeps the top bit clear too */
	mac[4] = (uint8_t)(h >> 8);
	mac[5] = (uint8_t)h;
}

/* --- the whole config --------------------------------------------------------------------- */

static int one_setting(struct domcfg *dc, const struct xlcfg_setting *s, struct xlcfg_err *err)
{
	static const char *const scalars[] = {"name", "memory", "vcpus", "on_poweroff",
					      "on_reboot", "on_crash", "init", NULL};
	const char *k = s->key;

	if (in_list(scalars, k))
		return scalar(dc, s, err);
	if (!strcmp(k, "disk"))
		return device_list(dc, s, add_disk, &dc->ndisks, err);
	if (!strcmp(k, "vif"))
		return device_list(dc, s, add_vif, &dc->nvifs, err);
	if (!strcmp(k, "pci"))
		return device_list(dc, s, add_pci, &dc->npcis, err);
	if (!strcmp(k, "usbdev"))
		return device_list(dc, s, add_usbdev, &dc->nusbdevs, err);
	if (in_list(ignored_keys, k)) {
		pv_warn("%s:%d:%d: '%s' is an xl setting pvkit ignores", s->pos.source, s->pos.line,
			s->pos.column, k);
		return 0;
	}
	if (in_list(unsupported_keys, k))
		return xlcfg_errorf(err, &s->pos, "'%s' is an xl setting pvkit does not support", k);
	return xlcfg_errorf(err, &s->pos, "unknown setting '%s'", k);
}

static void set_defaults(struct domcfg *dc)
{
	memset(dc, 0, sizeof(*dc));
	dc->memory_mib = DOMCFG_DEFAULT_MEMORY;
	dc->vcpus = 1;
	dc->on_poweroff = DOMCFG_DESTROY;
	dc->on_reboot = DOMCFG_RESTART;
	dc->on_crash = DOMCFG_DESTROY;
	strcpy(dc->init, DOMCFG_DEFAULT_INIT);
}

int domcfg_from_xlcfg(const struct xlcfg *cfg, struct domcfg *out, struct xlcfg_err *err)
{
	int rc = 0;

	set_defaults(out);
	/* A key set twice: only the later setting counts, as in xl. */
	for (size_t i = 0; !rc && i < cfg->nsettings; i++)
		if (xlcfg_find(cfg, cfg->settings[i].key) == &cfg->settings[i])
			rc = one_setting(out, &cfg->settings[i], err);
	if (!rc && !out->name[0]) {
		struct xlcfg_pos at = {.source = cfg->nsources ? cfg->sources[0] : "config"};

		rc = xlcfg_errorf(err, &at, "no 'name' setting (every guest needs a name)");
	}
	if (rc) {
		domcfg_free(out);
		return rc;
	}
	assign_vif_ids(out);
	return 0;
}

void domcfg_free(struct domcfg *dc)
{
	for (size_t i = 0; i < dc->nusbdevs; i++)
		free(dc->usbdevs[i]);
	dc->nusbdevs = 0;
}

int domcfg_load(const char *path, char *const *overrides, int noverrides, int first_argno,
		struct domcfg *out, struct xlcfg_err *err)
{
	struct xlcfg cfg;
	int rc;

	xlcfg_init(&cfg);
	rc = xlcfg_parse_file(&cfg, path, err);
	for (int i = 0; !rc && i < noverrides; i++)
		rc = xlcfg_parse_override(&cfg, overrides[i], first_argno + i, err);
	if (!rc)
		rc = domcfg_from_xlcfg(&cfg, out, err);
	xlcfg_free(&cfg);
	return rc;
}
