/* SPDX-License-Identifier: MIT */
/*
 * pvkit block-list and network-list: a guest's disks and vifs as xenstore
 * has them (the frontend's directory, then its backend's), like xl; each
 * disk also with the NBD URI of its export in the guest.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pvkit/blkfront.h"
#include "pvkit_cmd.h"
#include "toolstack.h"

/* @dir/@node, or "-" when absent; at most @len - 1 bytes (guest-written, so bounded). */
static void read_or_dash(struct pv_xs *xs, const char *dir, const char *node, char *buf,
			 size_t len)
{
	char *v = NULL;

	if (pv_xs_read(xs, PV_XS_NO_TXN, dir, node, &v) || !v[0])
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%s", v);
	/* What a guest wrote may hold anything: print it on one line. */
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	free(v);
}

/*
 * @out: the NBD URI of disk @id's export in guest @domid
 * (nbd+unix:///?socket=<absolute path>, the path percent-encoded), or "-"
 * when pvkit-guest has no socket there (not connected, or not its disk).
 */
static void export_uri(pv_domid_t domid, const char *id, char *out, size_t len)
{
	char file[32], path[4096], abs[PATH_MAX];
	unsigned long devid;
	struct stat st;
	char *end;
	size_t n;

	snprintf(out, len, "-");
	errno = 0;
	devid = strtoul(id, &end, 10);
	if (!*id || *end || errno || devid > UINT32_MAX)
		return;
	pv_blkfront_export_socket((uint32_t)devid, file, sizeof(file));
	if (ts_path(path, sizeof(path), "dom/%u/%s", domid, file) || stat(path, &st) ||
	    !S_ISSOCK(st.st_mode) || !realpath(path, abs))
		return;
	n = (size_t)snprintf(out, len, "nbd+unix:///?socket=");
	for (const unsigned char *p = (const unsigned char *)abs; *p && n + 4 < len; p++) {
		if (isalnum(*p) || strchr("/-._~", *p))
			out[n++] = (char)*p;
		else
			n += (size_t)snprintf(out + n, len - n, "%%%02X", *p);
	}
	out[n] = '\0';
}

/* One disk: Vdev BE handle state evt-ch ring-ref BE-path NBD-URI. */
static void print_vbd(struct pv_xs *xs, pv_domid_t domid, const char *front, const char *id)
{
	char be[16], state[8], evt[16], ref[16], bepath[128], dev[24], uri[PATH_MAX * 3 + 32];
	int st = pv_xenbus_read_state(xs, front);

	read_or_dash(xs, front, "backend-id", be, sizeof(be));
	read_or_dash(xs, front, "event-channel", evt, sizeof(evt));
	if (!strcmp(evt, "-")) /* multi-queue: the first queue's */
		read_or_dash(xs, front, "queue-0/event-channel", evt, sizeof(evt));
	read_or_dash(xs, front, "ring-ref", ref, sizeof(ref));
	if (!strcmp(ref, "-")) /* a multi-page ring */
		read_or_dash(xs, front, "ring-ref0", ref, sizeof(ref));
	if (!strcmp(ref, "-"))
		read_or_dash(xs, front, "queue-0/ring-ref", ref, sizeof(ref));
	if (!strcmp(ref, "-"))
		read_or_dash(xs, front, "queue-0/ring-ref0", ref, sizeof(ref));
	read_or_dash(xs, front, "backend", bepath, sizeof(bepath));
	read_or_dash(xs, bepath, "dev", dev, sizeof(dev));
	snprintf(state, sizeof(state), "%d", st);
	export_uri(domid, id, uri, sizeof(uri));
	printf("%-8s %-6s %-4s %-6s %-6s %-6s %-9s %s %s\n", id, dev, be, id, state, evt, ref, bepath,
	       uri);
}

/* A vif queue's channel(s) and rings under @dir: "evt" or "tx/rx" when split, "tx/rx" refs. */
static void vif_queue(struct pv_xs *xs, const char *dir, char *evt, size_t elen, char *refs,
		      size_t rlen)
{
	char tx[16], rx[16];

	read_or_dash(xs, dir, "event-channel", evt, elen);
	if (!strcmp(evt, "-")) { /* split event channels */
		read_or_dash(xs, dir, "event-channel-tx", tx, sizeof(tx));
		read_or_dash(xs, dir, "event-channel-rx", rx, sizeof(rx));
		if (strcmp(tx, "-"))
			snprintf(evt, elen, "%s/%s", tx, rx);
	}
	read_or_dash(xs, dir, "tx-ring-ref", tx, sizeof(tx));
	read_or_dash(xs, dir, "rx-ring-ref", rx, sizeof(rx));
	snprintf(refs, rlen, "%s/%s", tx, rx);
}

#define VIF_MAX_QUEUES_SHOWN 64

/*
 * One vif: Idx BE Mac handle state evt-ch tx-/rx-ring-ref BE-path. A
 * multi-queue vif keeps its channels and rings under queue-N/: the line
 * shows queue 0's, and one line per queue follows.
 */
static void print_vif(struct pv_xs *xs, const char *front, const char *id)
{
	char be[16], mac[24], state[8], evt[32], refs[40], bepath[128], q[192];
	uint64_t nq = 1;

	read_or_dash(xs, front, "backend-id", be, sizeof(be));
	read_or_dash(xs, front, "mac", mac, sizeof(mac));
	read_or_dash(xs, front, "backend", bepath, sizeof(bepath));
	snprintf(state, sizeof(state), "%d", pv_xenbus_read_state(xs, front));
	vif_queue(xs, front, evt, sizeof(evt), refs, sizeof(refs));
	if (!strcmp(refs, "-/-") &&
	    pv_xs_read_uint(xs, PV_XS_NO_TXN, front, "multi-queue-num-queues", UINT32_MAX, 1, &nq) == 0 &&
	    nq > 1) {
		snprintf(q, sizeof(q), "%s/queue-0", front);
		vif_queue(xs, q, evt, sizeof(evt), refs, sizeof(refs));
	} else {
		nq = 1;
	}
	printf("%-4s %-4s %-18s %-6s %-6s %-6s %-15s %s\n", id, be, mac, id, state, evt, refs,
	       bepath);
	for (uint64_t i = 0; nq > 1 && i < nq && i < VIF_MAX_QUEUES_SHOWN; i++) {
		snprintf(q, sizeof(q), "%s/queue-%u", front, (unsigned int)i);
		vif_queue(xs, q, evt, sizeof(evt), refs, sizeof(refs));
		printf("     queue %u of %u: evt-ch %s tx-/rx-ring-ref %s\n", (unsigned int)i,
		       (unsigned int)nq, evt, refs);
	}
}

static int list_kind(struct pv_xs *xs, pv_domid_t domid, const char *kind)
{
	char dir[96], front[160], **ids = NULL;
	int n;

	snprintf(dir, sizeof(dir), "/local/domain/%u/device/%s", domid, kind);
	n = pv_xs_directory(xs, PV_XS_NO_TXN, dir, NULL, &ids);
	if (!strcmp(kind, "vbd"))
		printf("%-8s %-6s %-4s %-6s %-6s %-6s %-9s %s %s\n", "Vdev", "Dev", "BE", "handle",
		       "state", "evt-ch", "ring-ref", "BE-path", "NBD-URI");
	else
		printf("%-4s %-4s %-18s %-6s %-6s %-6s %-15s %s\n", "Idx", "BE", "Mac Addr.",
		       "handle", "state", "evt-ch", "tx-/rx-ring-ref", "BE-path");
	for (int i = 0; i < n; i++) {
		snprintf(front, sizeof(front), "%s/%s", dir, ids[i]);
		if (!strcmp(kind, "vbd"))
			print_vbd(xs, domid, front, ids[i]);
		else
			print_vif(xs, front, ids[i]);
	}
	free(ids);
	return 0;
}

static int devlist(int argc, char **argv, const char *kind)
{
	struct pv_local_domain_info d;
	const char *what = NULL;
	struct pv_local *l;
	struct pv_xs *xs;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--rundir") && i + 1 < argc)
			pvkit_rundir = argv[++i];
		else if (argv[i][0] == '-' || what)
			return pvkit_usage_error(argv[0], "unexpected argument '%s'", argv[i]);
		else
			what = argv[i];
	}
	if (!what)
		return pvkit_usage_error(argv[0], "which guest? give its name or domid");
	if (ts_admin_open(&l) < 0)
		return PVKIT_EXIT_FAILURE;
	rc = ts_find_domain(l, argv[0], what, &d);
	pv_local_close(l);
	if (rc < 0 || ts_xs_open(&xs) < 0)
		return PVKIT_EXIT_FAILURE;
	rc = list_kind(xs, d.domid, kind);
	pv_xs_close(xs);
	return rc ? PVKIT_EXIT_FAILURE : 0;
}

int pvkit_cmd_block_list(int argc, char **argv)
{
	return devlist(argc, argv, "vbd");
}

int pvkit_cmd_network_list(int argc, char **argv)
{
	return devlist(argc, argv, "vif");
}
