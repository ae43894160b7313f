/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for pvkit-xenstored's message handling: the input is a
 * byte stream from one client (its first byte picks the domain: 0, 1 or
 * 2), framed and handled exactly as the daemon does, on a fresh daemon
 * without sockets. Build: make fuzz-xs-wire; run: build/fuzz/xs-wire-fuzz.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../platform/local/xenstored/xenstored.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void setup_domains(struct xsd *x)
{
	struct xsd_perm own = {.mode = XSD_PERM_NONE};

	for (unsigned int d = 1; d <= 2; d++) {
		struct xsd_view v = {.x = x};
		struct xsd_node *n;
		char path[32];

		xsd_introduce(x, d);
		snprintf(path, sizeof(path), "/local/domain/%u", d);
		n = xsd_node_new(path);
		own.dom = (uint16_t)d;
		if (!n || xsd_node_set_value(n, "", 0) < 0 || xsd_node_set_perms(n, &own, 1) < 0 ||
		    xsd_view_create(&v, n) < 0) {
			xsd_node_free(n);
			abort();
		}
		xsd_node_kid_add(xsd_view_edit(&v, "/local/domain"), xsd_path_base(path));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct xsd x;
	struct xsd_conn *c;
	size_t off = 1;

	if (size < 1)
		return 0;
	pv_log_set_level(PV_LOG_ERR);
	if (xsd_init(&x) < 0)
		abort();
	x.quota = (struct xsd_quota){.nodes = 50, .watches = 8, .transactions = 4,
				     .node_size = 256, .output = 8192, .connections = 4};
	setup_domains(&x);
	c = xsd_conn_new(&x, -1, data[0] % 3u);
	while (c && !c->dead && off < size) {
		size_t room = sizeof(c->in) - c->in_len, n = size - off < room ? size - off : room;

		memcpy(c->in + c->in_len, data + off, n);
		c->in_len += n;
		off += n;
		if (xsd_conn_process(&x, c) < 0)
			break;
		c->out_off = c->out_len; /* the client reads everything */
		if (n == 0)
			break; /* a full buffer that frames nothing cannot happen */
	}
	xsd_fini(&x);
	memset(&x, 0, sizeof(x));
	return 0;
}
