/* SPDX-License-Identifier: MIT */
/*
 * pvkit logging (include/pvkit/log.h): one formatted line per call, handed
 * to a sink; the default sink writes to stderr and optionally to a file.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pvkit/log.h"

#define LINE_MAX_LEN 1024

static pv_log_sink_fn sink;
static void *sink_opaque;
static int level_set;
static enum pv_log_level max_level = PV_LOG_INFO;
static const char *ident;
static FILE *log_file;
static pthread_mutex_t file_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *level_name(enum pv_log_level level)
{
	switch (level) {
	case PV_LOG_ERR:
		return "error";
	case PV_LOG_WARN:
		return "warning";
	case PV_LOG_INFO:
		return "info";
	default:
		return "debug";
	}
}

void pv_log_set_sink(pv_log_sink_fn fn, void *opaque)
{
	sink = fn;
	sink_opaque = opaque;
}

void pv_log_set_level(enum pv_log_level level)
{
	max_level = level;
	level_set = 1;
}

enum pv_log_level pv_log_get_level(void)
{
	const char *env;

	if (!level_set) {
		env = getenv("PVKIT_DEBUG");
		if (env && *env && strcmp(env, "0"))
			max_level = PV_LOG_DEBUG;
		level_set = 1;
	}
	return max_level;
}

void pv_log_set_ident(const char *name)
{
	ident = name;
}

int pv_log_open_file(const char *path)
{
	FILE *f = fopen(path, "ae");

	if (!f)
		return -errno;
	setvbuf(f, NULL, _IOLBF, 0);
	pthread_mutex_lock(&file_lock);
	if (log_file)
		fclose(log_file);
	log_file = f;
	pthread_mutex_unlock(&file_lock);
	return 0;
}

static void default_sink(enum pv_log_level level, const char *line)
{
	const char *who = ident ? ident : program_invocation_short_name;
	struct timespec ts;
	struct tm tm;
	char stamp[32];

	fprintf(stderr, "%s: %s: %s\n", who, level_name(level), line);
	pthread_mutex_lock(&file_lock);
	if (log_file) {
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(log_file, "%s.%03ldZ %s: %s: %s\n", stamp, ts.tv_nsec / 1000000, who,
			level_name(level), line);
	}
	pthread_mutex_unlock(&file_lock);
}

void pv_vlog(enum pv_log_level level, const char *prefix, int errnum, const char *fmt, va_list ap)
{
	char line[LINE_MAX_LEN];
	char errbuf[128];
	size_t n = 0;
	int saved = errno;

	if (level > pv_log_get_level())
		return;
	if (prefix)
		n = (size_t)snprintf(line, sizeof(line), "%s: ", prefix);
	if (n < sizeof(line))
		vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (errnum) {
		n = strlen(line);
		snprintf(line + n, sizeof(line) - n, ": %s",
			 strerror_r(errnum, errbuf, sizeof(errbuf)));
	}
	if (sink)
		sink(level, line, sink_opaque);
	else
		default_sink(level, line);
	errno = saved;
}

void pv_log(enum pv_log_level level, const char *prefix, int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pv_vlog(level, prefix, errnum, fmt, ap);
	va_end(ap);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int pv_ratelimit_ok(struct pv_ratelimit *rl)
{
	uint64_t now = now_ms();

	if (!rl->interval_ms || now - rl->window_start_ms >= rl->interval_ms) {
		if (rl->suppressed)
			pv_log(PV_LOG_WARN, NULL, 0, "%llu similar messages suppressed",
			       (unsigned long long)rl->suppressed);
		rl->window_start_ms = now;
		rl->printed = 0;
		rl->suppressed = 0;
	}
	if (rl->printed < rl->burst) {
		rl->printed++;
		return 1;
	}
	rl->suppressed++;
	return 0;
}
