/* SPDX-License-Identifier: MIT */
/*
 * pvkit logging: err / warn / info / debug, an errno-appending variant, a
 * per-device prefix, and rate limiting for anything a peer can trigger.
 */
#ifndef PVKIT_LOG_H
#define PVKIT_LOG_H

#include <stdarg.h>
#include <stdint.h>

enum pv_log_level {
	PV_LOG_ERR = 3,
	PV_LOG_WARN = 4,
	PV_LOG_INFO = 6,
	PV_LOG_DEBUG = 7,
};

/*
 * A caller-installed sink receives each formatted line (no trailing newline).
 * The default writes "<program>: <level>: <line>" to stderr.
 * Threading: the sink may be called from any thread, concurrently.
 */
typedef void (*pv_log_sink_fn)(enum pv_log_level level, const char *line, void *opaque);

/* Install @sink (NULL restores the default). Not thread-safe: call at start. */
void pv_log_set_sink(pv_log_sink_fn sink, void *opaque);
/* Lines above @level are discarded. Default PV_LOG_INFO; PVKIT_DEBUG=1 in the environment raises it. */
void pv_log_set_level(enum pv_log_level level);
enum pv_log_level pv_log_get_level(void);
/* Program name used by the default sink (default: program_invocation_short_name). */
void pv_log_set_ident(const char *ident);
/* Also append every line to @path (with a timestamp). Returns 0 or -errno. */
int pv_log_open_file(const char *path);

/*
 * Log one line. @prefix names the object ("vbd-3-51712"), may be NULL.
 * @errnum != 0 appends ": <strerror(errnum)>" (pass a positive errno).
 */
void pv_log(enum pv_log_level level, const char *prefix, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void pv_vlog(enum pv_log_level level, const char *prefix, int errnum, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

#define pv_err(...)   pv_log(PV_LOG_ERR, NULL, 0, __VA_ARGS__)
#define pv_warn(...)  pv_log(PV_LOG_WARN, NULL, 0, __VA_ARGS__)
#define pv_info(...)  pv_log(PV_LOG_INFO, NULL, 0, __VA_ARGS__)
#define pv_debug(...) pv_log(PV_LOG_DEBUG, NULL, 0, __VA_ARGS__)
/* errno-appending variants: @e is a positive errno or a negative -errno. */
#define pv_err_errno(e, ...)  pv_log(PV_LOG_ERR, NULL, (e) < 0 ? -(e) : (e), __VA_ARGS__)
#define pv_warn_errno(e, ...) pv_log(PV_LOG_WARN, NULL, (e) < 0 ? -(e) : (e), __VA_ARGS__)
/* Prefixed variants for a device or a connection. */
#define pv_dev_err(p, ...)   pv_log(PV_LOG_ERR, (p), 0, __VA_ARGS__)
#define pv_dev_warn(p, ...)  pv_log(PV_LOG_WARN, (p), 0, __VA_ARGS__)
#define pv_dev_info(p, ...)  pv_log(PV_LOG_INFO, (p), 0, __VA_ARGS__)
#define pv_dev_debug(p, ...) pv_log(PV_LOG_DEBUG, (p), 0, __VA_ARGS__)

/*
 * Rate limiting for peer-triggerable messages: at most @burst lines per
 * @interval_ms; the first line after a suppressed stretch says how many were
 * dropped. Embed one per message site or per device; zero-initialise, then
 * set interval_ms and burst (PV_RATELIMIT_INIT does both).
 */
struct pv_ratelimit {
	uint64_t interval_ms;
	uint32_t burst;
	uint32_t printed;
	uint64_t suppressed;
	uint64_t window_start_ms;
};
#define PV_RATELIMIT_INIT {.interval_ms = 5000, .burst = 10}

/* Returns 1 if the caller may log now, 0 if the line must be dropped. Not thread-safe per struct. */
int pv_ratelimit_ok(struct pv_ratelimit *rl);

#define pv_dev_warn_rl(rl, p, ...)                                                                 \
	do {                                                                                       \
		if (pv_ratelimit_ok(rl))                                                           \
			pv_log(PV_LOG_WARN, (p), 0, __VA_ARGS__);                                  \
	} while (0)

#endif
