/* SPDX-License-Identifier: MIT */
/*
 * xenbus library against a real pvkit-xenstored (started by xenbus.sh):
 * node helpers, transactions with retry, watches, the state handshake and
 * device discovery, including malformed entries a hostile peer writes.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xenstore.h>

#include "pvkit/xenbus.h"
#include "../harness/cunit.h"

static struct pv_xs *xs0; /* domain 0 */
static struct pv_xs *xs1; /* domain 1, a guest */

/* Dispatch watch events until @done() or a generous bound of polls. */
static void pump(struct pv_xs *xs, int (*done)(void))
{
	struct pollfd pfd = {.fd = pv_xs_fd(xs), .events = POLLIN};

	for (int i = 0; i < 200 && !done(); i++) {
		if (poll(&pfd, 1, 25) > 0)
			pv_xs_dispatch(xs, 0);
	}
}

static int setup(void)
{
	char path[4096];
	struct xs_handle *h;

	if (pv_xs_open(&xs0, NULL) < 0)
		return -1;
	/* Play the toolstack: introduce domain 1 and give it its domid node. */
	h = pv_xs_handle(xs0);
	if (!xs_introduce_domain(h, 1, 0, 0))
		return -1;
	if (pv_xs_write(xs0, PV_XS_NO_TXN, "/local/domain/1", "domid", "1") < 0)
		return -1;
	if (pv_xs_set_perms(xs0, PV_XS_NO_TXN, "/local/domain/1", 1, 'n', 0, NULL, NULL) < 0 ||
	    pv_xs_set_perms(xs0, PV_XS_NO_TXN, "/local/domain/1/domid", 0, 'n', 1,
			    (pv_domid_t[]){1}, "r") < 0)
		return -1;
	if (pv_xs_local_path(path, sizeof(path), NULL, 1) < 0 || pv_xs_open(&xs1, path) < 0)
		return -1;
	return 0;
}

static int teardown(void)
{
	pv_xs_close(xs1);
	pv_xs_close(xs0);
	return 0;
}

static void test_domids(void)
{
	CU_ASSERT_EQUAL(pv_xs_domid(xs0), 0);
	CU_ASSERT_EQUAL(pv_xs_domid(xs1), 1);
}

static void test_nodes(void)
{
	char *v = NULL, **names = NULL;
	uint64_t u;
	int a, b;

	CU_ASSERT_EQUAL(pv_xs_write(xs0, 0, "/t/nodes", "s", "hello"), 0);
	CU_ASSERT_EQUAL(pv_xs_read(xs0, 0, "/t/nodes", "s", &v), 0);
	CU_ASSERT_STRING_EQUAL(v ? v : "", "hello");
	free(v);
	CU_ASSERT_EQUAL(pv_xs_printf(xs0, 0, "/t/nodes", "n", "%d:%d", 7, 9), 0);
	CU_ASSERT_EQUAL(pv_xs_scanf(xs0, 0, "/t/nodes", "n", "%d:%d", &a, &b), 2);
	CU_ASSERT(a == 7 && b == 9);
	CU_ASSERT_EQUAL(pv_xs_scanf(xs0, 0, "/t/nodes", "s", "%d", &a), -EINVAL);
	CU_ASSERT_EQUAL(pv_xs_read_uint(xs0, 0, "/t/nodes", "absent", 10, 5, &u), 0);
	CU_ASSERT_EQUAL(u, 5);
	CU_ASSERT_EQUAL(pv_xs_write(xs0, 0, "/t/nodes", "u", "12"), 0);
	CU_ASSERT_EQUAL(pv_xs_read_uint(xs0, 0, "/t/nodes", "u", 100, 0, &u), 0);
	CU_ASSERT_EQUAL(u, 12);
	CU_ASSERT_EQUAL(pv_xs_read_uint(xs0, 0, "/t/nodes", "u", 10, 0, &u), -EINVAL);
	CU_ASSERT_EQUAL(pv_xs_read_uint(xs0, 0, "/t/nodes", "s", 10, 0, &u), -EINVAL);
	CU_ASSERT_EQUAL(pv_xs_write(xs0, 0, "/t/nodes", "neg", "-1"), 0);
	CU_ASSERT_EQUAL(pv_xs_read_uint(xs0, 0, "/t/nodes", "neg", 10, 0, &u), -EINVAL);
	CU_ASSERT_EQUAL(pv_xs_exists(xs0, 0, "/t/nodes", "s"), 1);
	CU_ASSERT_EQUAL(pv_xs_exists(xs0, 0, "/t/nodes", "nope"), 0);
	CU_ASSERT_EQUAL(pv_xs_mkdir(xs0, 0, "/t/nodes", "d"), 0);
	CU_ASSERT_EQUAL(pv_xs_directory(xs0, 0, "/t", "nodes", &names), 5);
	free(names);
	CU_ASSERT_EQUAL(pv_xs_read(xs0, 0, "/t/nodes", "nope", &v), -ENOENT);
	CU_ASSERT_EQUAL(pv_xs_rm(xs0, 0, "/t", "nodes"), 0);
	CU_ASSERT_EQUAL(pv_xs_rm(xs0, 0, "/t", "nodes"), 0); /* absent is fine */
	CU_ASSERT_EQUAL(pv_xs_exists(xs0, 0, "/t", "nodes"), 0);
}

static void test_guest_permissions(void)
{
	char *v;

	/* A guest cannot read domain 0's tree, nor write outside its own. */
	CU_ASSERT_EQUAL(pv_xs_write(xs0, 0, "/t/secret", NULL, "x"), 0);
	CU_ASSERT_EQUAL(pv_xs_read(xs1, 0, "/t/secret", NULL, &v), -EACCES);
	CU_ASSERT_EQUAL(pv_xs_write(xs1, 0, "/t/secret", NULL, "y"), -EACCES);
	CU_ASSERT_EQUAL(pv_xs_write(xs1, 0, "/local/domain/1", "mine", "y"), 0);
	CU_ASSERT_EQUAL(pv_xs_rm(xs0, 0, "/t", "secret"), 0);
}

static int txn_tries;
static struct pv_xs *conflicter; /* a second connection that races the transaction */

/* Increment /t/counter; on the first try, another writer changes it under us. */
static int txn_increment(struct pv_xs *xs, pv_xs_txn_t t, void *opaque)
{
	uint64_t v;
	int rc;

	(void)opaque;
	txn_tries++;
	rc = pv_xs_read_uint(xs, t, "/t", "counter", 1000000, 0, &v);
	if (rc < 0)
		return rc;
	if (txn_tries == 1)
		pv_xs_write(conflicter, PV_XS_NO_TXN, "/t", "counter", "100");
	return pv_xs_printf(xs, t, "/t", "counter", "%llu", (unsigned long long)v + 1);
}

static void test_transaction_retry(void)
{
	uint64_t v;

	CU_ASSERT_EQUAL(pv_xs_write(xs0, 0, "/t", "counter", "1"), 0);
	CU_ASSERT_EQUAL_FATAL(pv_xs_open(&conflicter, NULL), 0);
	txn_tries = 0;
	CU_ASSERT_EQUAL(pv_xs_transaction(xs0, txn_increment, NULL, 0), 0);
	pv_xs_close(conflicter);
	CU_ASSERT_EQUAL(txn_tries, 2);
	CU_ASSERT_EQUAL(pv_xs_read_uint(xs0, 0, "/t", "counter", 1000, 0, &v), 0);
	CU_ASSERT_EQUAL(v, 101);
}

static int abort_body(struct pv_xs *xs, pv_xs_txn_t t, void *opaque)
{
	(void)opaque;
	pv_xs_write(xs, t, "/t", "aborted", "1");
	return -ECANCELED;
}

static void test_transaction_abort(void)
{
	CU_ASSERT_EQUAL(pv_xs_transaction(xs0, abort_body, NULL, 0), -ECANCELED);
	CU_ASSERT_EQUAL(pv_xs_exists(xs0, 0, "/t", "aborted"), 0);
}

static int fired;
static char last_path[256];

static void on_watch(struct pv_xs *xs, const char *path, void *opaque)
{
	(void)xs;
	(void)opaque;
	fired++;
	snprintf(last_path, sizeof(last_path), "%s", path);
}

static int fired_once(void)
{
	return fired >= 1;
}

static int fired_twice(void)
{
	return fired >= 2;
}

static void test_watch(void)
{
	int id;

	fired = 0;
	CU_ASSERT_EQUAL(pv_xs_write(xs0, 0, "/t/w", NULL, ""), 0);
	id = pv_xs_watch(xs0, "/t/w", on_watch, NULL);
	CU_ASSERT(id > 0);
	pump(xs0, fired_once); /* the initial event */
	CU_ASSERT_EQUAL(fired, 1);
	CU_ASSERT_EQUAL(pv_xs_write(xs0, 0, "/t/w", "child", "1"), 0);
	pump(xs0, fired_twice);
	CU_ASSERT_EQUAL(fired, 2);
	CU_ASSERT_STRING_EQUAL(last_path, "/t/w/child");
	CU_ASSERT_EQUAL(pv_xs_unwatch(xs0, id), 0);
	CU_ASSERT_EQUAL(pv_xs_unwatch(xs0, id), -ENOENT);
	CU_ASSERT_EQUAL(pv_xs_write(xs0, 0, "/t/w", "child", "2"), 0);
	pump(xs0, fired_twice);
	pv_xs_dispatch(xs0, 0);
	CU_ASSERT_EQUAL(fired, 2);
}

static int fired_end(void)
{
	return !strcmp(last_path, "/t/flood/end");
}

/*
 * At most @max callbacks per call; events queued back to back for the same
 * path run one callback (XSA-349: a peer rewriting a node in a loop).
 */
static void test_dispatch_bound(void)
{
	struct pollfd pfd = {.fd = pv_xs_fd(xs0), .events = POLLIN};
	int id, n;

	fired = 0;
	last_path[0] = 0;
	id = pv_xs_watch(xs0, "/t/flood", on_watch, NULL);
	CU_ASSERT(id > 0);
	pump(xs0, fired_once); /* the initial event */
	for (int i = 0; i < 1000; i++)
		pv_xs_printf(xs0, 0, "/t/flood", i % 2 ? "y" : "x", "%d", i);
	pv_xs_write(xs0, 0, "/t/flood", "end", "1");
	/* Wait until libxenstore has queued some events, then take at most 5. */
	poll(&pfd, 1, 2000);
	n = pv_xs_dispatch(xs0, 5);
	CU_ASSERT(n >= 1 && n <= 5);
	pump(xs0, fired_end);
	CU_ASSERT_STRING_EQUAL(last_path, "/t/flood/end");
	CU_ASSERT(fired >= 3 && fired <= 1002);
	/* The same path rewritten 1000 times while we do not dispatch: far fewer callbacks. */
	fired = 0;
	last_path[0] = 0;
	for (int i = 0; i < 1000; i++)
		pv_xs_printf(xs0, 0, "/t/flood", "x", "%d", i);
	pv_xs_write(xs0, 0, "/t/flood", "end", "2");
	poll(&pfd, 1, 2000);
	pump(xs0, fired_end);
	CU_ASSERT(fired >= 1 && fired < 100);
	pv_xs_unwatch(xs0, id);
}

/* ---- handshake and discovery ---------------------------------------------------- */

#define FE "/local/domain/1/device/vbd/51712"
#define BE "/local/domain/0/backend/vbd/1/51712"

static int probed, removed;
static struct pv_xenbus_dev *bdev;
static enum pv_xenbus_state seen_front;

static void front_changed(struct pv_xenbus_dev *dev, enum pv_xenbus_state st)
{
	(void)dev;
	seen_front = st;
}

static int be_probe(struct pv_xenbus_dev *dev, void *opaque)
{
	(void)opaque;
	probed++;
	bdev = dev;
	dev->otherend_changed = front_changed;
	if (pv_xenbus_dev_start(dev) < 0)
		return -EIO;
	return pv_xenbus_switch_state(dev, PV_XENBUS_STATE_INIT_WAIT);
}

static void be_remove(struct pv_xenbus_dev *dev, void *opaque)
{
	(void)dev;
	(void)opaque;
	removed++;
	bdev = NULL;
}

static const struct pv_xenbus_bus_ops be_ops = {be_probe, be_remove};

/* Write one device's nodes as the toolstack does (both halves). */
static void toolstack_add(const char *fe, const char *be, const char *frontend_id)
{
	pv_xs_write(xs0, 0, be, "frontend", fe);
	pv_xs_write(xs0, 0, be, "frontend-id", frontend_id);
	pv_xs_write(xs0, 0, be, "state", "1");
	pv_xs_write(xs0, 0, fe, "backend", be);
	pv_xs_write(xs0, 0, fe, "backend-id", "0");
	pv_xs_write(xs0, 0, fe, "state", "1");
	pv_xs_set_perms(xs0, 0, fe, 1, 'n', 1, (pv_domid_t[]){0}, "r");
	char state[256];

	snprintf(state, sizeof(state), "%s/state", fe);
	pv_xs_set_perms(xs0, 0, state, 1, 'n', 1, (pv_domid_t[]){0}, "r");
}

static int got_probe(void)
{
	return probed > 0;
}

static int got_remove(void)
{
	return removed > 0;
}

static int front_connected(void)
{
	return seen_front == PV_XENBUS_STATE_CONNECTED;
}

static void test_backend_bus(void)
{
	struct pv_xenbus_bus *bus;
	struct pv_xenbus_dev *fdev = NULL;
	char *err = NULL;

	probed = removed = 0;
	CU_ASSERT_EQUAL_FATAL(pv_xenbus_bus_open(xs0, "vbd", 1, &be_ops, NULL, &bus), 0);
	/* Hostile or half-written entries are ignored, never probed. */
	pv_xs_write(xs0, 0, "/local/domain/0/backend/vbd/1/garbage", "frontend", "x");
	pv_xs_write(xs0, 0, "/local/domain/0/backend/vbd/1/7", "frontend-id", "2");
	pv_xs_write(xs0, 0, "/local/domain/0/backend/vbd/1/7", "frontend", FE);
	pv_xs_write(xs0, 0, "/local/domain/0/backend/vbd/1/8", "frontend-id", "1");
	pv_xs_write(xs0, 0, "/local/domain/0/backend/vbd/1/8", "frontend",
		    "/local/domain/0/device/vbd/8");
	toolstack_add(FE, BE, "1");
	pump(xs0, got_probe);
	CU_ASSERT_EQUAL(probed, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bdev);
	CU_ASSERT_EQUAL(bdev->devid, 51712);
	CU_ASSERT_EQUAL(bdev->otherend_id, 1);
	CU_ASSERT_STRING_EQUAL(bdev->otherend, FE);
	CU_ASSERT_EQUAL(pv_xenbus_read_state(xs0, BE), PV_XENBUS_STATE_INIT_WAIT);

	/* The guest's half sees the backend and connects. */
	CU_ASSERT_EQUAL_FATAL(pv_xenbus_frontend_dev_new(xs1, "vbd", 51712, &fdev), 0);
	CU_ASSERT_STRING_EQUAL(fdev->otherend, BE);
	CU_ASSERT_EQUAL(fdev->otherend_id, 0);
	CU_ASSERT_EQUAL(pv_xenbus_switch_state(fdev, PV_XENBUS_STATE_CONNECTED), 0);
	pump(xs0, front_connected);
	CU_ASSERT_EQUAL(seen_front, PV_XENBUS_STATE_CONNECTED);

	/* A garbage state from the peer reads as Unknown. */
	pv_xs_write(xs1, 0, FE, "state", "banana");
	CU_ASSERT_EQUAL(pv_xenbus_read_state(xs0, FE), PV_XENBUS_STATE_UNKNOWN);
	pv_xs_write(xs1, 0, FE, "state", "99");
	CU_ASSERT_EQUAL(pv_xenbus_read_state(xs0, FE), PV_XENBUS_STATE_UNKNOWN);

	pv_xenbus_dev_error(bdev, EINVAL, "bad ring-ref %d", 3);
	CU_ASSERT_EQUAL(pv_xs_read(xs0, 0, BE, "error", &err), 0);
	CU_ASSERT_STRING_EQUAL(err ? err : "", "22 bad ring-ref 3");
	free(err);
	pv_xenbus_dev_fatal(bdev, EIO, "giving up");
	CU_ASSERT_EQUAL(pv_xenbus_read_state(xs0, BE), PV_XENBUS_STATE_CLOSING);

	/* Unplug: the toolstack removes the backend directory. */
	pv_xs_rm(xs0, 0, BE, NULL);
	pump(xs0, got_remove);
	CU_ASSERT_EQUAL(removed, 1);
	CU_ASSERT_EQUAL(probed, 1);
	pv_xenbus_dev_free(fdev);
	pv_xenbus_bus_close(bus);
	pv_xs_rm(xs0, 0, "/local/domain/0/backend/vbd", NULL);
	pv_xs_rm(xs0, 0, "/local/domain/1/device", NULL);
}

static int fe_probed;

static int fe_probe(struct pv_xenbus_dev *dev, void *opaque)
{
	(void)dev;
	(void)opaque;
	fe_probed++;
	return 0;
}

static void fe_remove(struct pv_xenbus_dev *dev, void *opaque)
{
	(void)dev;
	(void)opaque;
	removed++;
}

static const struct pv_xenbus_bus_ops fe_ops = {fe_probe, fe_remove};

static int fe_got_probe(void)
{
	return fe_probed > 0;
}

static void test_frontend_bus(void)
{
	struct pv_xenbus_bus *bus;

	fe_probed = removed = 0;
	CU_ASSERT_EQUAL_FATAL(pv_xenbus_bus_open(xs1, "vif", 0, &fe_ops, NULL, &bus), 0);
	toolstack_add("/local/domain/1/device/vif/0", "/local/domain/0/backend/vif/1/0", "1");
	pump(xs1, fe_got_probe);
	CU_ASSERT_EQUAL(fe_probed, 1);
	pv_xenbus_bus_close(bus); /* removes what it probed */
	CU_ASSERT_EQUAL(removed, 1);
}

/* A frontend driver's start and remove (pv_xenbus_front_start/_remove). */
#define FE5 "/local/domain/1/device/vif/5"
#define BE5 "/local/domain/0/backend/vif/1/5"

static int released;
static enum pv_xenbus_state state_at_release, fe5_backend;

static void release(void *opaque)
{
	CU_ASSERT_PTR_EQUAL(opaque, &released);
	state_at_release = pv_xenbus_read_state(xs1, FE5);
	released++;
}

static void fe5_changed(struct pv_xenbus_dev *dev, enum pv_xenbus_state st)
{
	(void)dev;
	fe5_backend = st;
}

static int fe5_saw_init_wait(void)
{
	return fe5_backend == PV_XENBUS_STATE_INIT_WAIT;
}

static void test_frontend_start_remove(void)
{
	struct pv_xenbus_dev *dev;

	toolstack_add(FE5, BE5, "1");
	CU_ASSERT_EQUAL_FATAL(pv_xenbus_frontend_dev_new(xs1, "vif", 5, &dev), 0);
	dev->otherend_changed = fe5_changed;
	pv_xs_write(xs1, 0, FE5, "state", "6");

	/* The driver's own set-up failed: released, our state untouched. */
	released = 0;
	dev->opaque = &released;
	CU_ASSERT_EQUAL(pv_xenbus_front_start(dev, -ENOMEM, release), -ENOMEM);
	CU_ASSERT_EQUAL(released, 1);
	CU_ASSERT_PTR_NULL(dev->opaque);
	CU_ASSERT_EQUAL(pv_xenbus_read_state(xs1, FE5), PV_XENBUS_STATE_CLOSED);

	/* It succeeded: Initialising, even where we believed it written already. */
	dev->opaque = &released;
	dev->state = PV_XENBUS_STATE_INITIALISING;
	CU_ASSERT_EQUAL(pv_xenbus_front_start(dev, 0, release), 0);
	CU_ASSERT_EQUAL(released, 1);
	CU_ASSERT_PTR_EQUAL(dev->opaque, &released);
	CU_ASSERT_EQUAL(pv_xenbus_read_state(xs1, FE5), PV_XENBUS_STATE_INITIALISING);
	/* ... and the backend is followed (readable by the guest, as the toolstack makes it). */
	pv_xs_write(xs0, 0, BE5, "state", "2");
	pv_xs_set_perms(xs0, 0, BE5, 0, 'n', 1, (pv_domid_t[]){1}, "r");
	pv_xs_set_perms(xs0, 0, BE5 "/state", 0, 'n', 1, (pv_domid_t[]){1}, "r");
	pump(xs1, fe5_saw_init_wait);
	CU_ASSERT_EQUAL(fe5_backend, PV_XENBUS_STATE_INIT_WAIT);

	/* Remove once Initialised: Closing while released, then Closed. */
	CU_ASSERT_EQUAL(pv_xenbus_switch_state(dev, PV_XENBUS_STATE_INITIALISED), 0);
	pv_xenbus_front_remove(dev, release);
	CU_ASSERT_EQUAL(released, 2);
	CU_ASSERT_EQUAL(state_at_release, PV_XENBUS_STATE_CLOSING);
	CU_ASSERT_PTR_NULL(dev->opaque);
	CU_ASSERT_EQUAL(pv_xenbus_read_state(xs1, FE5), PV_XENBUS_STATE_CLOSED);
	/* Removed already: nothing more. */
	pv_xenbus_front_remove(dev, release);
	CU_ASSERT_EQUAL(released, 2);

	/* Removed before it got to Initialised: no Closing. */
	dev->opaque = &released;
	CU_ASSERT_EQUAL(pv_xenbus_switch_state(dev, PV_XENBUS_STATE_INITIALISING), 0);
	pv_xenbus_front_remove(dev, release);
	CU_ASSERT_EQUAL(state_at_release, PV_XENBUS_STATE_INITIALISING);
	CU_ASSERT_EQUAL(pv_xenbus_read_state(xs1, FE5), PV_XENBUS_STATE_CLOSED);
	pv_xenbus_dev_free(dev);
	pv_xs_rm(xs0, 0, "/local/domain/0/backend/vif", NULL);
	pv_xs_rm(xs0, 0, "/local/domain/1/device", NULL);
}

static CU_TestInfo tests[] = {
	{"own domid", test_domids},
	{"node helpers", test_nodes},
	{"guest permissions", test_guest_permissions},
	{"transaction retried on EAGAIN", test_transaction_retry},
	{"transaction aborted", test_transaction_abort},
	{"watch, child event, unwatch", test_watch},
	{"dispatch is bounded", test_dispatch_bound},
	{"backend bus, handshake, errors, unplug", test_backend_bus},
	{"frontend bus", test_frontend_bus},
	{"frontend start and remove", test_frontend_start_remove},
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{"xenbus", setup, teardown, NULL, NULL, tests},
	CU_SUITE_INFO_NULL,
};

PV_CUNIT_MAIN(suites)
