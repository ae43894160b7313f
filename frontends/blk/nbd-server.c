/* SPDX-License-Identifier: MIT */
/*
 * NBD export: the event loop (listener, connection input and output, the
 * device completion queues), and creating and freeing the server.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "nbd.h"

#define NBD_MAX_EVENTS 64
#define NBD_MAX_IOV 64
/* Socket reads per readiness event, so one busy client cannot starve others. */
#define NBD_READS_PER_EVENT 16
/* Queued reply bytes one send() takes at once: sent before kicking the device. */
#define NBD_SMALL_REPLIES (64u << 10)

/* The server whose loop runs on this thread, if any (completions need no lock). */
static __thread struct pv_nbd_server *loop_server;

static void conn_process(struct nbd_conn *c);
static int conn_flush(struct nbd_conn *c);

/* ---- helpers ----------------------------------------------------------------- */

static void eventfd_signal(int fd)
{
	uint64_t one = 1;
	ssize_t n;

	do
		n = write(fd, &one, sizeof(one));
	while (n < 0 && errno == EINTR);
	/* EAGAIN: the counter is already non-zero, the loop will wake. */
}

static void eventfd_drain(int fd)
{
	uint64_t v;

	while (read(fd, &v, sizeof(v)) < 0 && errno == EINTR)
		;
}

static int epoll_add(int epfd, int fd, uint32_t events, void *tag)
{
	struct epoll_event ev = {.events = events, .data.ptr = tag};

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

/* ---- output ------------------------------------------------------------------- */

int nbd_out_append(struct nbd_conn *c, const void *data, size_t len)
{
	if (c->out_len + len > c->out_cap) {
		uint32_t cap = c->out_cap ? c->out_cap : 4096;
		uint8_t *p;

		while (cap < c->out_len + len)
			cap *= 2;
		if (cap > (1u << 20))
			return -ENOBUFS;
		p = realloc(c->out, cap);
		if (!p)
			return -ENOMEM;
		c->out = p;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, data, len);
	c->out_len += len;
	return 0;
}

void nbd_hold(struct nbd_conn *c, uint32_t len)
{
	c->held += len;
	c->srv->held += len;
}

static void release(struct nbd_conn *c, uint32_t len)
{
	struct pv_nbd_server *srv = c->srv;

	/* Connections paused for the server's sake, or this one, may read again. */
	if ((srv->held >= NBD_SERVER_BUDGET && srv->held - len < NBD_SERVER_BUDGET) ||
	    (c->held >= NBD_CONN_BUDGET && c->held - len < NBD_CONN_BUDGET))
		srv->unpause = true;
	c->held -= len;
	srv->held -= len;
}

int nbd_io_buf(struct pv_nbd_io *io, bool zero)
{
	struct pv_nbd_server *srv = io->conn->srv;

	io->dev_buf = false;
	if (srv->ops->buf_alloc && srv->ops->buf_free) {
		io->buf = srv->ops->buf_alloc(srv->opaque, io->len);
		io->dev_buf = io->buf != NULL;
	}
	if (!io->buf)
		io->buf = zero ? calloc(1, io->len) : malloc(io->len);
	if (!io->buf)
		return -ENOMEM;
	nbd_hold(io->conn, io->len);
	return 0;
}

void nbd_io_free_buf(struct pv_nbd_io *io)
{
	struct pv_nbd_server *srv = io->conn->srv;

	if (!io->buf)
		return;
	release(io->conn, io->len);
	if (io->dev_buf)
		srv->ops->buf_free(srv->opaque, io->buf, io->len);
	else
		free(io->buf);
	io->buf = NULL;
	io->dev_buf = false;
}

void nbd_io_free(struct pv_nbd_io *io)
{
	nbd_io_free_buf(io);
	io->conn->nios--;
	free(io);
}

void nbd_mark_dirty(struct nbd_conn *c)
{
	if (c->dirty)
		return;
	c->dirty = true;
	c->next_dirty = c->srv->dirty;
	c->srv->dirty = c;
}

/* Handshake bytes first, then replies; returns 0 (sent or would block) or -errno. */
static int send_handshake(struct nbd_conn *c)
{
	while (c->out_sent < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_sent, c->out_len - c->out_sent,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		c->out_sent += n;
	}
	c->out_len = c->out_sent = 0;
	return 0;
}

/* Gather the unsent parts of queued replies into @iov. */
static int gather(struct nbd_conn *c, struct iovec *iov)
{
	int n = 0;

	for (struct pv_nbd_io *io = c->rq_head; io && n + 2 <= NBD_MAX_IOV; io = io->next) {
		uint64_t sent = io->sent;

		if (sent < io->hdr_len) {
			iov[n].iov_base = io->hdr + sent;
			iov[n++].iov_len = io->hdr_len - sent;
			sent = io->hdr_len;
		}
		if (io->data_len && sent < (uint64_t)io->hdr_len + io->data_len) {
			iov[n].iov_base = (uint8_t *)io->buf + (sent - io->hdr_len);
			iov[n++].iov_len = io->hdr_len + io->data_len - sent;
		}
	}
	return n;
}

/* Account @n sent bytes to the queued replies, freeing the finished ones. */
static void consume(struct nbd_conn *c, size_t n)
{
	while (c->rq_head) {
		struct pv_nbd_io *io = c->rq_head;
		uint64_t left = io->hdr_len + io->data_len - io->sent;

		if (n < left) {
			io->sent += n;
			c->rq_bytes -= n;
			return;
		}
		n -= left;
		c->rq_bytes -= left;
		c->rq_head = io->next;
		if (!c->rq_head)
			c->rq_tail = NULL;
		nbd_io_free(io);
	}
}

static int send_replies(struct nbd_conn *c)
{
	struct iovec iov[NBD_MAX_IOV];

	while (c->rq_head) {
		struct msghdr msg = {.msg_iov = iov, .msg_iovlen = gather(c, iov)};
		ssize_t n = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		consume(c, n);
	}
	return 0;
}

/*
 * Input pauses while the client has too much outstanding (it may not be
 * reading replies), or while all clients together hold too much and this one
 * holds some: a client holding nothing may always take one request, so
 * clients that stop reading cannot starve the others.
 */
static bool over_budget(const struct nbd_conn *c)
{
	return c->held >= NBD_CONN_BUDGET || c->nios >= NBD_CONN_MAX_IOS ||
	       (c->srv->held >= NBD_SERVER_BUDGET && c->held > 0);
}

bool nbd_input_wanted(const struct nbd_conn *c)
{
	return c->state != NBD_ST_CLOSING && !over_budget(c) && !c->srv->stopping;
}

/* Register the events the connection now waits for. */
static void update_events(struct nbd_conn *c)
{
	uint32_t want = 0;

	if (nbd_input_wanted(c))
		want |= EPOLLIN;
	if (c->out_len || c->rq_head)
		want |= EPOLLOUT;
	if (want != c->epoll_events && !c->eof) {
		struct epoll_event ev = {.events = want, .data.ptr = c};

		if (epoll_ctl(c->srv->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
			c->epoll_events = want;
	}
}

/* Send what can be sent; close a finished or broken connection. */
static int conn_flush(struct nbd_conn *c)
{
	bool was_paused = over_budget(c);
	int rc = send_handshake(c);

	if (rc == 0 && c->out_len == 0)
		rc = send_replies(c);
	if (rc < 0) {
		pv_dev_debug(c->name, "send failed: %s", strerror(-rc));
		nbd_conn_close(c);
		return rc;
	}
	if (c->state == NBD_ST_CLOSING && !c->inflight &&
	    ((!c->out_len && !c->rq_head) || c->eof)) {
		nbd_conn_close(c);
		return 0;
	}
	if (was_paused && !over_budget(c))
		conn_process(c); /* input may wait in the buffer, with no new event */
	else
		update_events(c);
	return 0;
}

/*
 * Read from the socket: large payloads straight into their buffer.
 * *@short_read says the read got less than it asked for: the socket had no more then.
 */
static ssize_t conn_recv(struct nbd_conn *c, bool *short_read)
{
	size_t want;
	ssize_t n;

	if (c->state == NBD_ST_PAYLOAD && c->in_start == c->in_end &&
	    c->cur->len - c->cur_got >= NBD_INBUF_SIZE / 2) {
		want = c->cur->len - c->cur_got;
		n = recv(c->fd, (uint8_t *)c->cur->buf + c->cur_got, want, MSG_DONTWAIT);
		*short_read = n >= 0 && (size_t)n < want;
		if (n > 0) {
			c->cur_got += n;
			if (c->cur_got == c->cur->len) {
				c->state = NBD_ST_REQUEST;
				nbd_submit(c, c->cur);
				c->cur = NULL;
			}
		}
		return n;
	}
	if (c->in_start == c->in_end) {
		c->in_start = c->in_end = 0;
	} else if (c->in_start > 0) {
		memmove(c->in, c->in + c->in_start, c->in_end - c->in_start);
		c->in_end -= c->in_start;
		c->in_start = 0;
	}
	want = NBD_INBUF_SIZE - c->in_end;
	n = recv(c->fd, c->in + c->in_end, want, MSG_DONTWAIT);
	*short_read = n >= 0 && (size_t)n < want;
	if (n > 0)
		c->in_end += n;
	return n;
}

static int process_buffered(struct nbd_conn *c)
{
	if (c->state == NBD_ST_CLIENT_FLAGS || c->state == NBD_ST_OPTION) {
		int rc = nbd_handshake_input(c);

		if (rc < 0)
			return rc;
	}
	nbd_transmission_input(c);
	return 0;
}

/*
 * The client hung up: finish the requests it sent (NBD wants them done)
 * without polling the dead socket; replies go out if it only half-closed.
 */
static void conn_eof(struct nbd_conn *c)
{
	if (!c->inflight && !c->rq_head && !c->out_len) {
		nbd_conn_close(c);
		return;
	}
	c->state = NBD_ST_CLOSING;
	if (!c->eof) {
		c->eof = true;
		epoll_ctl(c->srv->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	}
}

/* Handle buffered input, then read more while the socket has it. */
static void conn_process(struct nbd_conn *c)
{
	/*
	 * Every read is followed by parsing: input left unparsed would wait
	 * for the next packet. A short read emptied the socket: stop there
	 * rather than pay a recv() for EAGAIN (epoll is level-triggered, so
	 * what arrives meanwhile wakes the loop again).
	 */
	bool drained = false;

	for (int i = 0; !c->dead; i++) {
		bool short_read = false;
		ssize_t n;

		if (process_buffered(c) < 0) {
			nbd_conn_close(c);
			return;
		}
		if (c->dead || !nbd_input_wanted(c) || i == NBD_READS_PER_EVENT || drained)
			break;
		n = conn_recv(c, &short_read);
		drained = short_read && n > 0;
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			conn_eof(c);
			break;
		}
		if (n < 0 && errno == EAGAIN)
			break;
	}
	if (!c->dead)
		nbd_mark_dirty(c);
}

/* ---- completions ------------------------------------------------------------------ */

static void queue_append(struct pv_nbd_io **head, struct pv_nbd_io **tail, struct pv_nbd_io *io)
{
	io->next = NULL;
	if (*tail)
		(*tail)->next = io;
	else
		*head = io;
	*tail = io;
}

void pv_nbd_complete(struct pv_nbd_io *io, int status)
{
	struct pv_nbd_server *srv = io->conn->srv;
	bool was_empty;

	io->status = status;
	if (loop_server == srv) {
		/* From submit() or poll(): the loop picks it up before it sleeps. */
		queue_append(&srv->lq_head, &srv->lq_tail, io);
		return;
	}
	pthread_mutex_lock(&srv->cq_lock);
	was_empty = !srv->cq_head;
	queue_append(&srv->cq_head, &srv->cq_tail, io);
	pthread_mutex_unlock(&srv->cq_lock);
	if (was_empty)
		eventfd_signal(srv->cq_fd);
}

static void completed(struct pv_nbd_server *srv, struct pv_nbd_io *io)
{
	struct nbd_conn *c = io->conn;

	c->inflight--;
	srv->inflight--;
	if (c->dead) {
		nbd_io_free(io);
		return;
	}
	/* A trim is a hint: a device that cannot discard (any more) kept the data. */
	if (io->cmd == NBD_CMD_TRIM && io->status == -EOPNOTSUPP)
		io->status = 0;
	if (io->status == 0 && io->flush_after) {
		/* FUA without device support: a flush makes the write durable. */
		io->flush_after = false;
		srv->ops->submit(srv->opaque, io, PV_NBD_OP_FLUSH, 0, 0, NULL, 0);
		c->inflight++;
		srv->inflight++;
		srv->submitted = true;
		return;
	}
	nbd_reply(c, io, nbd_errno(io->status));
}

static void complete_list(struct pv_nbd_server *srv, struct pv_nbd_io *io)
{
	while (io) {
		struct pv_nbd_io *next = io->next;

		completed(srv, io);
		io = next;
	}
}

static void drain_completions(struct pv_nbd_server *srv)
{
	struct pv_nbd_io *io;

	eventfd_drain(srv->cq_fd);
	pthread_mutex_lock(&srv->cq_lock);
	io = srv->cq_head;
	srv->cq_head = srv->cq_tail = NULL;
	pthread_mutex_unlock(&srv->cq_lock);
	complete_list(srv, io);
}

static void drain_local(struct pv_nbd_server *srv)
{
	struct pv_nbd_io *io = srv->lq_head;

	srv->lq_head = srv->lq_tail = NULL;
	complete_list(srv, io);
}

/* ---- connections ----------------------------------------------------------------- */

void nbd_conn_close(struct nbd_conn *c)
{
	struct pv_nbd_io *io;

	if (c->dead)
		return;
	c->dead = true;
	if (!c->eof)
		epoll_ctl(c->srv->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	c->srv->nclients--;
	while ((io = c->rq_head)) {
		c->rq_head = io->next;
		nbd_io_free(io);
	}
	c->rq_tail = NULL;
	c->rq_bytes = 0;
	if (c->cur) {
		nbd_io_free(c->cur);
		c->cur = NULL;
	}
	pv_dev_debug(c->name, "closed (%u requests still at the device)", c->inflight);
}

static void conn_free(struct nbd_conn *c)
{
	free(c->in);
	free(c->out);
	free(c);
}

static void conn_new(struct pv_nbd_server *srv, int fd)
{
	struct nbd_conn *c = calloc(1, sizeof(*c));

	if (!c || !(c->in = malloc(NBD_INBUF_SIZE))) {
		pv_err("%s: out of memory for a client", srv->prefix);
		goto out_free;
	}
	c->kind = NBD_EP_CONN;
	c->fd = fd;
	c->srv = srv;
	snprintf(c->name, sizeof(c->name), "%s-%u", srv->prefix, ++srv->next_id);
	if (nbd_handshake_start(c) < 0)
		goto out_free;
	c->epoll_events = EPOLLIN;
	if (epoll_add(srv->epfd, fd, EPOLLIN, c) < 0) {
		pv_err_errno(errno, "%s: epoll_ctl for a client", srv->prefix);
		goto out_free;
	}
	c->next_conn = srv->conns;
	srv->conns = c;
	srv->nclients++;
	nbd_mark_dirty(c);
	return;
out_free:
	close(fd);
	if (c)
		conn_free(c);
}

static void accept_clients(struct pv_nbd_server *srv)
{
	for (;;) {
		int fd = accept4(srv->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR)
				pv_dev_warn_rl(&srv->rl, srv->prefix, "accept: %s", strerror(errno));
			return;
		}
		if (srv->stopping || srv->nclients >= srv->max_clients) {
			pv_dev_warn_rl(&srv->rl, srv->prefix, "client refused: %u connected",
				       srv->nclients);
			close(fd);
			continue;
		}
		conn_new(srv, fd);
	}
}

/* Free closed connections whose device requests have all completed. */
static void reap(struct pv_nbd_server *srv)
{
	struct nbd_conn **pp = &srv->conns;

	while (*pp) {
		struct nbd_conn *c = *pp;

		if (c->dead && c->inflight == 0) {
			*pp = c->next_conn;
			conn_free(c);
		} else {
			pp = &c->next_conn;
		}
	}
}

static void begin_stop(struct pv_nbd_server *srv)
{
	eventfd_drain(srv->stop_fd);
	if (srv->stopping)
		return;
	srv->stopping = true;
	for (struct nbd_conn *c = srv->conns; c; c = c->next_conn)
		nbd_conn_close(c);
}

/* ---- the loop ------------------------------------------------------------------------ */

static void handle_event(struct pv_nbd_server *srv, const struct epoll_event *ev)
{
	int kind = *(int *)ev->data.ptr;
	struct nbd_conn *c = ev->data.ptr;

	if (kind == NBD_EP_LISTEN)
		accept_clients(srv);
	else if (kind == NBD_EP_COMPLETIONS)
		drain_completions(srv);
	else if (kind == NBD_EP_STOP)
		begin_stop(srv);
	else if (kind == NBD_EP_DEVICE)
		srv->ops->poll(srv->opaque);
	else if (c->dead)
		return;
	else if (ev->events & EPOLLERR)
		nbd_conn_close(c);
	else if ((ev->events & EPOLLHUP) && !nbd_input_wanted(c))
		conn_eof(c);
	else if (ev->events & (EPOLLIN | EPOLLHUP))
		conn_process(c);
	else if (ev->events & EPOLLOUT)
		nbd_mark_dirty(c);
}

/*
 * The server fell below its budget: read from connections whose input
 * stopped, and parse what they had buffered (no event will say so).
 */
static void resume_paused(struct pv_nbd_server *srv)
{
	for (struct nbd_conn *c = srv->conns; c; c = c->next_conn)
		if (!c->dead && nbd_input_wanted(c) &&
		    (!(c->epoll_events & EPOLLIN) || c->in_end > c->in_start))
			conn_process(c);
}

/*
 * After the events: start what was submitted, reap what the device finished
 * on this thread, send replies. Each step can feed another (a reply frees
 * budget and unpauses input, a completion submits a FUA flush), so repeat
 * until nothing is left to do before sleeping.
 */
static void settle(struct pv_nbd_server *srv)
{
	/*
	 * A device that completes nothing in kick() is kicked after the small
	 * replies are sent: waking it can preempt this thread (on a machine
	 * with few cores), and replies ready now should reach their clients
	 * first. Large replies take long to copy: the device starts first then.
	 */
	bool kick_last = srv->info.flags & PV_NBD_DEV_ASYNC_KICK;

	for (;;) {
		struct nbd_conn *c = srv->dirty;
		bool small_first = kick_last && (srv->lq_head || srv->unpause ||
						 (c && c->rq_bytes <= NBD_SMALL_REPLIES));

		if (srv->submitted && !small_first) {
			srv->submitted = false;
			if (srv->ops->kick)
				srv->ops->kick(srv->opaque);
			/* Completions kick() produced, reaped before sleeping. */
			if (srv->ops->poll && !(srv->info.flags & PV_NBD_DEV_ASYNC_KICK))
				srv->ops->poll(srv->opaque);
		} else if (srv->lq_head) {
			drain_local(srv);
		} else if (srv->unpause) {
			srv->unpause = false;
			resume_paused(srv);
		} else if (c) {
			srv->dirty = c->next_dirty;
			c->dirty = false;
			if (!c->dead)
				conn_flush(c);
		} else {
			return;
		}
	}
}

static int dispatch_round(struct pv_nbd_server *srv, int timeout)
{
	struct epoll_event evs[NBD_MAX_EVENTS];
	int n = epoll_wait(srv->epfd, evs, NBD_MAX_EVENTS, timeout);

	if (n < 0 && errno != EINTR) {
		pv_err_errno(errno, "%s: epoll_wait", srv->prefix);
		return -errno;
	}
	loop_server = srv;
	for (int i = 0; i < n; i++)
		handle_event(srv, &evs[i]);
	settle(srv);
	loop_server = NULL;
	reap(srv);
	return srv->stopping && srv->inflight == 0 ? 1 : 0;
}

int pv_nbd_server_dispatch(struct pv_nbd_server *srv)
{
	return dispatch_round(srv, 0);
}

int pv_nbd_server_run(struct pv_nbd_server *srv)
{
	int rc;

	do
		rc = dispatch_round(srv, -1);
	while (rc == 0);
	return rc < 0 ? rc : 0;
}

int pv_nbd_server_fd(const struct pv_nbd_server *srv)
{
	return srv->epfd;
}

void pv_nbd_server_stop(struct pv_nbd_server *srv)
{
	eventfd_signal((srv)->stop_fd);
}

/* ---- set-up and tear-down ------------------------------------------------------ */

static int listen_unix(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	int fd, rc;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	/* A stale socket from an earlier run is replaced; any other file is not. */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

static int check_config(const struct pv_nbd_server_config *cfg, const struct pv_nbd_dev_info *info,
			const struct pv_nbd_dev_ops *ops)
{
	uint32_t ss = info->sector_size;

	if (!cfg->socket_path || !ops || !ops->submit)
		return -EINVAL;
	if (ss < 512 || ss > 65536 || (ss & (ss - 1)) || info->size % ss)
		return -EINVAL;
	if (info->max_request && (info->max_request < ss || info->max_request % ss))
		return -EINVAL;
	if ((cfg->export_name && strlen(cfg->export_name) > 4096) ||
	    (cfg->description && strlen(cfg->description) > 4096))
		return -EINVAL;
	return 0;
}

static int copy_config(struct pv_nbd_server *srv, const struct pv_nbd_server_config *cfg)
{
	srv->socket_path = strdup(cfg->socket_path);
	srv->export_name = strdup(cfg->export_name ? cfg->export_name : "");
	srv->prefix = strdup(cfg->log_prefix ? cfg->log_prefix : "nbd");
	srv->description = cfg->description ? strdup(cfg->description) : NULL;
	if (!srv->socket_path || !srv->export_name || !srv->prefix ||
	    (cfg->description && !srv->description))
		return -ENOMEM;
	srv->max_clients = cfg->max_clients ? cfg->max_clients : 64;
	return 0;
}

static int open_fds(struct pv_nbd_server *srv)
{
	int rc;

	srv->epfd = epoll_create1(EPOLL_CLOEXEC);
	srv->cq_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	srv->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (srv->epfd < 0 || srv->cq_fd < 0 || srv->stop_fd < 0) {
		rc = -errno;
		pv_err_errno(rc, "%s: epoll or eventfd", srv->prefix);
		return rc;
	}
	srv->listen_fd = listen_unix(srv->socket_path);
	if (srv->listen_fd < 0) {
		pv_err_errno(srv->listen_fd, "%s: listen on %s", srv->prefix, srv->socket_path);
		return srv->listen_fd;
	}
	srv->listen_kind = NBD_EP_LISTEN;
	srv->cq_kind = NBD_EP_COMPLETIONS;
	srv->stop_kind = NBD_EP_STOP;
	rc = epoll_add(srv->epfd, srv->listen_fd, EPOLLIN, &srv->listen_kind);
	if (rc == 0)
		rc = epoll_add(srv->epfd, srv->cq_fd, EPOLLIN, &srv->cq_kind);
	if (rc == 0)
		rc = epoll_add(srv->epfd, srv->stop_fd, EPOLLIN, &srv->stop_kind);
	if (rc == 0 && srv->ops->poll_fd && srv->ops->poll) {
		srv->dev_kind = NBD_EP_DEVICE;
		srv->dev_fd = srv->ops->poll_fd(srv->opaque);
		if (srv->dev_fd >= 0)
			rc = epoll_add(srv->epfd, srv->dev_fd, EPOLLIN, &srv->dev_kind);
	}
	if (rc < 0)
		pv_err_errno(rc, "%s: epoll_ctl", srv->prefix);
	return rc;
}

int pv_nbd_server_new(const struct pv_nbd_server_config *cfg, const struct pv_nbd_dev_info *info,
		      const struct pv_nbd_dev_ops *ops, void *opaque, struct pv_nbd_server **out)
{
	struct pv_nbd_server *srv;
	int rc = check_config(cfg, info, ops);

	if (rc < 0) {
		pv_err("nbd: invalid export settings for %s",
		       cfg->socket_path ? cfg->socket_path : "(no socket)");
		return rc;
	}
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return -ENOMEM;
	srv->epfd = srv->cq_fd = srv->stop_fd = srv->listen_fd = srv->dev_fd = -1;
	srv->info = *info;
	if (!srv->info.max_request || srv->info.max_request > PV_NBD_MAX_REQUEST)
		srv->info.max_request = PV_NBD_MAX_REQUEST;
	srv->ops = ops;
	srv->opaque = opaque;
	srv->rl = (struct pv_ratelimit)PV_RATELIMIT_INIT;
	pthread_mutex_init(&srv->cq_lock, NULL);
	rc = copy_config(srv, cfg);
	if (rc == 0)
		rc = open_fds(srv);
	if (rc < 0) {
		pv_nbd_server_free(srv);
		return rc;
	}
	*out = srv;
	return 0;
}

void pv_nbd_server_free(struct pv_nbd_server *srv)
{
	if (!srv)
		return;
	for (struct nbd_conn *c = srv->conns; c; c = c->next_conn)
		nbd_conn_close(c);
	reap(srv);
	if (srv->listen_fd >= 0) {
		close(srv->listen_fd);
		unlink(srv->socket_path);
	}
	if (srv->epfd >= 0)
		close(srv->epfd);
	if (srv->cq_fd >= 0)
		close(srv->cq_fd);
	if (srv->stop_fd >= 0)
		close(srv->stop_fd);
	pthread_mutex_destroy(&srv->cq_lock);
	free(srv->socket_path);
	free(srv->export_name);
	free(srv->description);
	free(srv->prefix);
	free(srv);
}
