/* SPDX-License-Identifier: MIT */
/*
 * pvkit top: the counters the backends publish under <rundir>/stats, per
 * domain and per device, sampled every few seconds like xentop.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "pvkit/local.h"
#include "pvkit/stats.h"
#include "pvkit_cmd.h"
#include "toolstack.h"

/* Devices one sample holds at most; more are left out (and said so). */
#define TOP_MAX_DEVS 1024

struct top_opts {
	int batch;
	long iterations; /* 0: until q or Ctrl-C */
	double delay;    /* seconds */
};

struct top_sample {
	struct pv_local_domain_info *doms;
	int nr_doms;
	struct pv_stats_counters *devs;
	int nr_devs;
	int truncated;
	double when; /* CLOCK_MONOTONIC seconds */
};

static volatile sig_atomic_t top_stop;

static void on_signal(int sig)
{
	(void)sig;
	top_stop = 1;
}

static int top_parse(int argc, char **argv, struct top_opts *o)
{
	static const struct option lo[] = {
		{"batch", no_argument, NULL, 'b'},
		{"iterations", required_argument, NULL, 'n'},
		{"delay", required_argument, NULL, 'd'},
		{0},
	};
	char *end;
	int c;

	*o = (struct top_opts){.delay = 3};
	optind = 1;
	while ((c = getopt_long(argc, argv, "+bn:d:", lo, NULL)) != -1) {
		switch (c) {
		case 'b': o->batch = 1; break;
		case 'n':
			errno = 0;
			o->iterations = strtol(optarg, &end, 10);
			if (errno || *end || o->iterations < 1)
				return pvkit_usage_error("top", "-n wants a count of 1 or more, not '%s'", optarg);
			break;
		case 'd':
			o->delay = strtod(optarg, &end);
			if (*end || !(o->delay >= 0.1 && o->delay <= 86400))
				return pvkit_usage_error("top", "-d wants seconds from 0.1 to 86400, not '%s'", optarg);
			break;
		default: return pvkit_usage_error("top", "unknown option");
		}
	}
	if (optind < argc)
		return pvkit_usage_error("top", "unexpected argument '%s'", argv[optind]);
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Every valid stats file under <rundir>/stats; files that fail the checks are skipped. */
static int read_devices(struct top_sample *s)
{
	char dir[TS_PATH_MAX], path[TS_PATH_MAX + 300];
	struct dirent *e;
	DIR *d;

	s->devs = calloc(TOP_MAX_DEVS, sizeof(*s->devs));
	if (!s->devs)
		return -ENOMEM;
	if (ts_path(dir, sizeof(dir), PV_STATS_DIR) < 0)
		return -ENAMETOOLONG;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (s->nr_devs == TOP_MAX_DEVS) {
			s->truncated = 1;
			break;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (pv_stats_read(path, &s->devs[s->nr_devs]) == 0)
			s->nr_devs++;
	}
	closedir(d);
	return 0;
}

static int by_domid(const void *a, const void *b)
{
	const struct pv_local_domain_info *x = a, *y = b;

	return (int)x->domid - (int)y->domid;
}

static int by_device(const void *a, const void *b)
{
	const struct pv_stats_counters *x = a, *y = b;
	int c = strcmp(x->cls, y->cls);

	return c ? c : x->devid < y->devid ? -1 : x->devid > y->devid;
}

static void sample_free(struct top_sample *s)
{
	free(s->doms);
	free(s->devs);
	*s = (struct top_sample){0};
}

static int sample_take(struct pv_local *l, struct top_sample *s)
{
	int n, rc;

	*s = (struct top_sample){0};
	n = pv_local_domain_list(l, &s->doms);
	if (n < 0) {
		fprintf(stderr, "pvkit top: cannot list domains: %s\n", strerror(-n));
		return n;
	}
	s->nr_doms = n;
	if (n > 0)
		qsort(s->doms, (size_t)n, sizeof(*s->doms), by_domid);
	rc = read_devices(s);
	if (rc < 0) {
		fprintf(stderr, "pvkit top: cannot read the counters under %s/" PV_STATS_DIR ": %s\n",
			ts_rundir(), strerror(-rc));
		sample_free(s);
		return rc;
	}
	if (s->nr_devs > 0)
		qsort(s->devs, (size_t)s->nr_devs, sizeof(*s->devs), by_device);
	s->when = now_s();
	return 0;
}

/* Counters summed over a domain's devices, or one device's; rates per second. */
struct top_row {
	uint64_t requests, bytes_in, bytes_out, errors, drops, inflight, irqs, spurious;
	double r_req, r_in, r_out;
	int have_rate;
};

static const struct pv_stats_counters *find_prev(const struct top_sample *prev,
						 const struct pv_stats_counters *c)
{
	for (int i = 0; prev && i < prev->nr_devs; i++) {
		const struct pv_stats_counters *p = &prev->devs[i];

		if (p->domid == c->domid && p->devid == c->devid && !strcmp(p->cls, c->cls))
			return p;
	}
	return NULL;
}

/* A counter's rate; a counter that went back (device re-created) counts from 0. */
static double rate(uint64_t now, uint64_t before, double secs)
{
	return (double)(now >= before ? now - before : now) / secs;
}

static void row_of_device(const struct top_sample *prev, double secs,
			  const struct pv_stats_counters *c, struct top_row *r)
{
	const struct pv_stats_counters *p = find_prev(prev, c);

	*r = (struct top_row){.requests = c->requests, .bytes_in = c->bytes_in,
			      .bytes_out = c->bytes_out, .errors = c->errors,
			      .drops = c->drops, .inflight = c->inflight, .irqs = c->irqs,
			      .spurious = c->spurious};
	if (!p || secs <= 0)
		return;
	r->have_rate = 1;
	r->r_req = rate(c->requests, p->requests, secs);
	r->r_in = rate(c->bytes_in, p->bytes_in, secs);
	r->r_out = rate(c->bytes_out, p->bytes_out, secs);
}

static void row_add(struct top_row *sum, const struct top_row *r)
{
	sum->requests += r->requests;
	sum->bytes_in += r->bytes_in;
	sum->bytes_out += r->bytes_out;
	sum->errors += r->errors;
	sum->drops += r->drops;
	sum->inflight += r->inflight;
	sum->irqs += r->irqs;
	sum->spurious += r->spurious;
	sum->r_req += r->r_req;
	sum->r_in += r->r_in;
	sum->r_out += r->r_out;
	sum->have_rate |= r->have_rate;
}

static void print_header(FILE *f)
{
	fprintf(f, "%-24s %5s %4s %10s %8s %12s %12s %10s %10s %6s %6s %5s %8s %6s\n", "NAME",
		"ID", "DEVS", "REQS", "REQS/s", "IN_BYTES", "OUT_BYTES", "IN_B/s", "OUT_B/s", "ERRS",
		"DROPS", "INFL", "IRQS", "SPUR");
}

static void print_row(FILE *f, const char *name, unsigned int domid, const char *devs,
		      const struct top_row *r)
{
	char rq[24] = "-", ri[24] = "-", ro[24] = "-";

	if (r->have_rate) {
		snprintf(rq, sizeof(rq), "%.0f", r->r_req);
		snprintf(ri, sizeof(ri), "%.0f", r->r_in);
		snprintf(ro, sizeof(ro), "%.0f", r->r_out);
	}
	fprintf(f, "%-24s %5u %4s %10" PRIu64 " %8s %12" PRIu64 " %12" PRIu64 " %10s %10s %6" PRIu64
		   " %6" PRIu64 " %5" PRIu64 " %8" PRIu64 " %6" PRIu64 "\n",
		name, domid, devs, r->requests, rq, r->bytes_in, r->bytes_out, ri, ro, r->errors,
		r->drops, r->inflight, r->irqs, r->spurious);
}

/* One domain: its totals, then a line per device ("  vbd/51712"). */
static void print_domain(FILE *f, const struct top_sample *cur, const struct top_sample *prev,
			 double secs, unsigned int domid, const char *name)
{
	struct top_row sum = {0}, rows[64];
	char devs[16], dname[40];
	int n = 0, shown = 0;

	for (int i = 0; i < cur->nr_devs; i++) {
		struct top_row r;

		if (cur->devs[i].domid != domid)
			continue;
		row_of_device(prev, secs, &cur->devs[i], &r);
		row_add(&sum, &r);
		if (shown < 64)
			rows[shown++] = r;
		n++;
	}
	snprintf(devs, sizeof(devs), "%d", n);
	print_row(f, name, domid, devs, &sum);
	for (int i = 0, k = 0; i < cur->nr_devs && k < shown; i++) {
		const struct pv_stats_counters *c = &cur->devs[i];

		if (c->domid != domid)
			continue;
		snprintf(dname, sizeof(dname), "  %s/%u", c->cls, c->devid);
		print_row(f, dname, domid, "", &rows[k++]);
	}
}

static int known_domain(const struct top_sample *s, unsigned int domid)
{
	for (int i = 0; i < s->nr_doms; i++)
		if (s->doms[i].domid == domid)
			return 1;
	return 0;
}

static void print_sample(FILE *f, const struct top_sample *cur, const struct top_sample *prev)
{
	double secs = prev ? cur->when - prev->when : 0;

	print_header(f);
	for (int i = 0; i < cur->nr_doms; i++)
		print_domain(f, cur, prev, secs, cur->doms[i].domid, cur->doms[i].name);
	/* Counters of a domain pvkitd no longer knows (its devices are being torn down). */
	for (int i = 0; i < cur->nr_devs; i++) {
		unsigned int d = cur->devs[i].domid;
		int seen = known_domain(cur, d);

		for (int j = 0; j < i && !seen; j++)
			seen = cur->devs[j].domid == d;
		if (!seen)
			print_domain(f, cur, prev, secs, d, "(gone)");
	}
	if (cur->truncated)
		fprintf(f, "(more than %d devices: the rest not shown)\n", TOP_MAX_DEVS);
	fflush(f);
}

/*
 * Wait @secs, or until 'q' on the terminal (interactive) or a signal.
 * Returns 1 to stop.
 */
static int top_wait(double secs, int interactive)
{
	double end = now_s() + secs;
	struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
	char ch;

	while (!top_stop) {
		double left = end - now_s();

		if (left <= 0)
			return 0;
		if (poll(&pfd, interactive ? 1 : 0, (int)(left * 1000) + 1) > 0) {
			if (read(STDIN_FILENO, &ch, 1) <= 0 || ch == 'q' || ch == 'Q')
				return 1;
		}
	}
	return 1;
}

static void install_signals(void)
{
	struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: poll returns */

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static int top_loop(struct pv_local *l, const struct top_opts *o, int interactive)
{
	struct top_sample prev = {0}, cur;
	int have_prev = 0, rc = 0;

	for (long i = 0; !top_stop && (!o->iterations || i < o->iterations); i++) {
		if (i && top_wait(o->delay, interactive))
			break;
		rc = sample_take(l, &cur);
		if (rc < 0)
			break;
		if (interactive)
			fputs("\033[H\033[2J", stdout);
		else if (i)
			putchar('\n');
		print_sample(stdout, &cur, have_prev ? &prev : NULL);
		if (interactive)
			printf("(every %.1f s; q to quit)\n", o->delay);
		fflush(stdout);
		sample_free(&prev);
		prev = cur;
		have_prev = 1;
	}
	sample_free(&prev);
	return rc < 0 ? PVKIT_EXIT_FAILURE : 0;
}

int pvkit_cmd_top(int argc, char **argv)
{
	struct termios saved, raw;
	struct top_opts o;
	struct pv_local *l;
	int rc = top_parse(argc, argv, &o), interactive, tty_set = 0;

	if (rc)
		return rc;
	if (ts_admin_open(&l) < 0)
		return PVKIT_EXIT_FAILURE;
	interactive = !o.batch && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	install_signals();
	if (interactive && tcgetattr(STDIN_FILENO, &saved) == 0) {
		raw = saved;
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		raw.c_cc[VMIN] = 1;
		raw.c_cc[VTIME] = 0;
		tty_set = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
	}
	rc = top_loop(l, &o, interactive);
	if (tty_set)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	pv_local_close(l);
	return rc;
}
