/* SPDX-License-Identifier: MIT */
/*
 * pvkit-test-platform, local platform with pvkit-xenstored running: a
 * domain's death reaches xenstored as a RELEASE, so @releaseDomain fires
 * and the domain's xenstored socket goes.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xenstore.h>

#include "pvkitd_test.h"

/* Read watch events until one for @path arrives: 1, or 0 after 5 s. */
static int wait_watch(struct xs_handle *xs, const char *path)
{
	struct pollfd pfd = {.fd = xs_fileno(xs), .events = POLLIN};

	for (int i = 0; i < 50; i++) {
		unsigned int n;
		char **ev;

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		ev = xs_check_watch(xs);
		if (!ev)
			continue;
		n = !strcmp(ev[XS_WATCH_PATH], path);
		free(ev);
		if (n)
			return 1;
	}
	return 0;
}

void test_xenstore(struct tctx *t)
{
	char path[4200], sock[4200];
	struct xs_handle *xs;
	pv_domid_t id;

	snprintf(path, sizeof(path), "%s/xenstored.sock", t->rundir);
	if (access(path, F_OK) < 0) {
		skip("pvkit-xenstored is not running");
		return;
	}
	setenv("XENSTORED_PATH", path, 1);
	xs = xs_open(XS_OPEN_SOCKETONLY);
	if (!xs || pv_local_domain_create(t->admin, "pvtest-xs", 1u << 20, &id)) {
		check(0, "reach xenstored and create a domain");
		if (xs)
			xs_close(xs);
		return;
	}
	snprintf(sock, sizeof(sock), "%s/dom/%u/xenstored.sock", t->rundir, id);
	CHECK(xs_introduce_domain(xs, id, 0, 0), "the toolstack introduces domain %u", id);
	CHECK(access(sock, F_OK) == 0, "its xenstored socket exists");
	CHECK(xs_watch(xs, "@releaseDomain", "rel") && wait_watch(xs, "@releaseDomain"),
	      "watch @releaseDomain (first event on registration)");
	CHECK(pv_local_domain_destroy(t->admin, id) == 0, "destroy the domain");
	CHECK(wait_watch(xs, "@releaseDomain"), "pvkitd's RELEASE fires @releaseDomain");
	for (int i = 0; i < 100 && access(sock, F_OK) == 0; i++)
		usleep(10000);
	CHECK(access(sock, F_OK) < 0, "and the domain's xenstored socket is gone");
	xs_close(xs);
}
