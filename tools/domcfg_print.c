/* SPDX-License-Identifier: MIT */
/*
 * Print a guest configuration back in xl.cfg syntax (so it parses to the
 * same result) and a node list like `xenstore-ls -fp`.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "domcfg.h"
#include "domcfg_print.h"

/* @s inside @quote quotes, with the escapes xl.cfg decodes. */
static void put_quoted(FILE *f, const char *s, char quote)
{
	fputc(quote, f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == (unsigned char)quote || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
	fputc(quote, f);
}

static void print_disk(FILE *f, const struct diskspec *d)
{
	char spec[DISKSPEC_TARGET_MAX + 160];

	snprintf(spec, sizeof(spec), "format=raw, vdev=%s, access=%s, devtype=%s, %s%s%starget=%s",
		 d->vdev, d->readwrite ? "rw" : "ro", d->cdrom ? "cdrom" : "disk",
		 d->discard ? "discard, " : "no-discard, ", d->direct_io_safe ? "direct-io-safe, " : "",
		 d->trusted ? "" : "untrusted, ", d->target);
	put_quoted(f, spec, '\'');
}

static void print_vif(FILE *f, const struct vifspec *v)
{
	char spec[512];
	int n;

	n = snprintf(spec, sizeof(spec),
		     "devid=%d, mac=%02x:%02x:%02x:%02x:%02x:%02x, bridge=%s, mtu=%u", v->devid,
		     v->mac[0], v->mac[1], v->mac[2], v->mac[3], v->mac[4], v->mac[5], v->bridge,
		     v->mtu);
	if (v->vifname[0] && n > 0 && (size_t)n < sizeof(spec))
		n += snprintf(spec + n, sizeof(spec) - (size_t)n, ", vifname=%s", v->vifname);
	if (v->ip[0] && n > 0 && (size_t)n < sizeof(spec))
		n += snprintf(spec + n, sizeof(spec) - (size_t)n, ", ip=%s", v->ip);
	/* xl's rate syntax cannot say "bytes per interval": B/s at the same interval. */
	if (v->rate_interval_usecs && n > 0 && (size_t)n < sizeof(spec))
		snprintf(spec + n, sizeof(spec) - (size_t)n, ", rate=%" PRIu64 "B/s@%" PRIu32 "us",
			 v->rate_bytes_per_interval * 1000000 / v->rate_interval_usecs,
			 v->rate_interval_usecs);
	put_quoted(f, spec, '\'');
}

static void print_pci_opt(char *spec, size_t len, const char *key, int v)
{
	size_t n = strlen(spec);

	if (v >= 0 && n < len)
		snprintf(spec + n, len - n, ",%s=%d", key, v);
}

static void print_pci(FILE *f, const struct pcispec *p)
{
	char spec[160];
	size_t n;

	if (p->all_functions)
		snprintf(spec, sizeof(spec), "%04x:%02x:%02x.*", p->domain, p->bus, p->dev);
	else
		snprintf(spec, sizeof(spec), "%04x:%02x:%02x.%x", p->domain, p->bus, p->dev,
			 p->func);
	n = strlen(spec);
	if (p->vslot >= 0)
		snprintf(spec + n, sizeof(spec) - n, "@%x", (unsigned)p->vslot);
	print_pci_opt(spec, sizeof(spec), "permissive", p->permissive);
	print_pci_opt(spec, sizeof(spec), "msitranslate", p->msitranslate);
	print_pci_opt(spec, sizeof(spec), "power_mgmt", p->power_mgmt);
	print_pci_opt(spec, sizeof(spec), "seize", p->seize);
	n = strlen(spec);
	if (p->rdm_policy != PCISPEC_RDM_DEFAULT)
		snprintf(spec + n, sizeof(spec) - n, ",rdm_policy=%s",
			 p->rdm_policy == PCISPEC_RDM_STRICT ? "strict" : "relaxed");
	put_quoted(f, spec, '\'');
}

#define PRINT_LIST(f, key, arr, count, fn)                                                         \
	do {                                                                                       \
		if (!(count))                                                                      \
			break;                                                                     \
		fprintf(f, "%s = [\n", key);                                                       \
		for (size_t i_ = 0; i_ < (count); i_++) {                                          \
			fputs("    ", f);                                                          \
			fn(f, &(arr)[i_]);                                                         \
			fputs(",\n", f);                                                           \
		}                                                                                  \
		fputs("]\n", f);                                                                   \
	} while (0)

static void print_usbdev(FILE *f, char *const *s)
{
	put_quoted(f, *s, '\'');
}

void domcfg_print(FILE *f, const struct domcfg *dc)
{
	fputs("name = ", f);
	put_quoted(f, dc->name, '"');
	fprintf(f, "\nmemory = %u\nvcpus = %u\n", dc->memory_mib, dc->vcpus);
	fprintf(f, "on_poweroff = \"%s\"\non_reboot = \"%s\"\non_crash = \"%s\"\n",
		domcfg_action_name(dc->on_poweroff), domcfg_action_name(dc->on_reboot),
		domcfg_action_name(dc->on_crash));
	fputs("init = ", f);
	put_quoted(f, dc->init, '"');
	fputc('\n', f);
	PRINT_LIST(f, "disk", dc->disks, dc->ndisks, print_disk);
	PRINT_LIST(f, "vif", dc->vifs, dc->nvifs, print_vif);
	PRINT_LIST(f, "pci", dc->pcis, dc->npcis, print_pci);
	PRINT_LIST(f, "usbdev", dc->usbdevs, dc->nusbdevs, print_usbdev);
}

void xsnodes_print(FILE *f, const struct xsnodes *nodes)
{
	for (size_t i = 0; i < nodes->n; i++) {
		const struct xsnode *n = &nodes->v[i];

		fprintf(f, "%s = ", n->path);
		put_quoted(f, n->value, '"');
		if (n->reader >= 0)
			fprintf(f, "  (n%d,r%d)\n", n->owner, n->reader);
		else
			fprintf(f, "  (n%d)\n", n->owner);
	}
}
