/* SPDX-License-Identifier: MIT */
/*
 * pvkitd message I/O shared by the daemon and its client library: one
 * SEQPACKET message per call, header checked, fds carried with SCM_RIGHTS.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "proto.h"

int pvkitd_send(int sock, uint32_t op, int32_t status, uint32_t flags, const void *payload,
                uint32_t len, const int *fds, unsigned int nfds)
{
	struct pvkitd_hdr hdr = {.op = op, .status = status, .len = len, .flags = flags};
	union {
		char buf[CMSG_SPACE(sizeof(int) * PVKITD_MAX_FDS)];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov[2] = {{&hdr, sizeof(hdr)}, {(void *)payload, len}};
	struct msghdr msg = {.msg_iov = iov, .msg_iovlen = len ? 2 : 1};
	struct cmsghdr *cmsg;
	ssize_t n;

	if (nfds > PVKITD_MAX_FDS || sizeof(hdr) + len > PVKITD_MSG_MAX)
		return -EINVAL;
	if (nfds) {
		memset(&cbuf, 0, sizeof(cbuf));
		msg.msg_control = cbuf.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * nfds);
	}
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == sizeof(hdr) + len ? 0 : -EIO;
}

/* Take the fds out of @msg: up to *@nfds kept, the rest closed. */
static void take_fds(struct msghdr *msg, int *fds, unsigned int *nfds)
{
	unsigned int room = *nfds, got = 0;
	struct cmsghdr *cmsg;

	for (cmsg = CMSG_FIRSTHDR(msg); cmsg; cmsg = CMSG_NXTHDR(msg, cmsg)) {
		size_t n;

		if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int), sizeof(int));
			if (got < room)
				fds[got++] = fd;
			else
				close(fd);
		}
	}
	*nfds = got;
}

int pvkitd_recv(int sock, void *buf, int *fds, unsigned int *nfds, int flags)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 8)];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = {buf, PVKITD_MSG_MAX};
	struct msghdr msg = {.msg_iov = &iov,
	                     .msg_iovlen = 1,
	                     .msg_control = cbuf.buf,
	                     .msg_controllen = sizeof(cbuf.buf)};
	unsigned int dummy = 0;
	struct pvkitd_hdr hdr;
	ssize_t n;

	if (!nfds)
		nfds = &dummy;
	do
		n = recvmsg(sock, &msg, flags | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		*nfds = 0;
		return -errno;
	}
	take_fds(&msg, fds, nfds);
	if (n == 0)
		return -EPIPE;
	if ((size_t)n < sizeof(hdr) || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
		goto bad;
	memcpy(&hdr, buf, sizeof(hdr));
	if (hdr.len != (size_t)n - sizeof(hdr))
		goto bad;
	return (int)hdr.len;
bad:
	for (unsigned int i = 0; i < *nfds; i++)
		close(fds[i]);
	*nfds = 0;
	return -EPROTO;
}
