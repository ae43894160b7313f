/* SPDX-License-Identifier: MIT */
/*
 * NBD export: the fixed newstyle handshake (client flags, then option
 * haggling up to NBD_OPT_GO or NBD_OPT_EXPORT_NAME). Input is hostile.
 */
#include <errno.h>
#include <string.h>

#include "nbd.h"

static uint32_t input_avail(const struct nbd_conn *c)
{
	return c->in_end - c->in_start;
}

/* One option reply: magic, option, reply type, length, data. */
static int opt_reply(struct nbd_conn *c, uint32_t opt, uint32_t type, const void *data,
		     uint32_t len)
{
	uint8_t hdr[20];
	int rc;

	nbd_put64(hdr, NBD_MAGIC_OPT_REPLY);
	nbd_put32(hdr + 8, opt);
	nbd_put32(hdr + 12, type);
	nbd_put32(hdr + 16, len);
	rc = nbd_out_append(c, hdr, sizeof(hdr));
	if (rc == 0 && len)
		rc = nbd_out_append(c, data, len);
	return rc;
}

static int opt_error(struct nbd_conn *c, uint32_t opt, uint32_t type, const char *why)
{
	pv_dev_warn_rl(&c->srv->rl, c->name, "option %u refused: %s", opt, why);
	return opt_reply(c, opt, type, NULL, 0);
}

uint16_t nbd_transmission_flags(const struct nbd_conn *c)
{
	uint32_t dev = c->srv->info.flags;
	uint16_t f = NBD_FLAG_HAS_FLAGS;

	if (dev & PV_NBD_DEV_READ_ONLY)
		f |= NBD_FLAG_READ_ONLY;
	if (dev & PV_NBD_DEV_FLUSH)
		f |= NBD_FLAG_SEND_FLUSH | NBD_FLAG_SEND_FUA;
	if ((dev & PV_NBD_DEV_TRIM) && !(dev & PV_NBD_DEV_READ_ONLY))
		f |= NBD_FLAG_SEND_TRIM;
	if ((dev & PV_NBD_DEV_WRITE_ZEROES) && !(dev & PV_NBD_DEV_READ_ONLY))
		f |= NBD_FLAG_SEND_WRITE_ZEROES;
	if (dev & PV_NBD_DEV_MULTI_CONN)
		f |= NBD_FLAG_CAN_MULTI_CONN;
	if (dev & PV_NBD_DEV_ROTATIONAL)
		f |= NBD_FLAG_ROTATIONAL;
	/* Reads are always one chunk, so "don't fragment" costs nothing. */
	if (c->structured)
		f |= NBD_FLAG_SEND_DF;
	return f;
}

/* The default export "" and the configured name both select the device. */
static int name_matches(const struct nbd_conn *c, const uint8_t *name, uint32_t len)
{
	const char *ours = c->srv->export_name;

	return len == 0 || (len == strlen(ours) && memcmp(name, ours, len) == 0);
}

int nbd_handshake_start(struct nbd_conn *c)
{
	uint8_t greet[18];

	nbd_put64(greet, NBD_MAGIC_INIT);
	nbd_put64(greet + 8, NBD_MAGIC_OPT);
	nbd_put16(greet + 16, NBD_FLAG_FIXED_NEWSTYLE | NBD_FLAG_NO_ZEROES);
	c->state = NBD_ST_CLIENT_FLAGS;
	return nbd_out_append(c, greet, sizeof(greet));
}

static int client_flags(struct nbd_conn *c)
{
	uint32_t flags = nbd_get32(c->in + c->in_start);

	c->in_start += 4;
	if (flags & ~(uint32_t)(NBD_FLAG_C_FIXED_NEWSTYLE | NBD_FLAG_C_NO_ZEROES)) {
		pv_dev_warn_rl(&c->srv->rl, c->name, "unknown client flags %#x", flags);
		return -EPROTO;
	}
	c->no_zeroes = flags & NBD_FLAG_C_NO_ZEROES;
	c->state = NBD_ST_OPTION;
	return 0;
}

/* NBD_OPT_EXPORT_NAME: no error reply exists, so a wrong name closes. */
static int opt_export_name(struct nbd_conn *c, const uint8_t *data, uint32_t len)
{
	uint8_t reply[10 + 124];
	uint32_t n = c->no_zeroes ? 10 : sizeof(reply);

	if (!name_matches(c, data, len)) {
		pv_dev_warn_rl(&c->srv->rl, c->name, "NBD_OPT_EXPORT_NAME: unknown export");
		return -ENOENT;
	}
	memset(reply, 0, sizeof(reply));
	nbd_put64(reply, c->srv->info.size);
	nbd_put16(reply + 8, nbd_transmission_flags(c));
	c->state = NBD_ST_REQUEST;
	return nbd_out_append(c, reply, n);
}

static int opt_list(struct nbd_conn *c, uint32_t len)
{
	const char *name = c->srv->export_name;
	uint8_t buf[4 + NBD_OPT_MAX_DATA];
	uint32_t n = strlen(name);
	int rc;

	if (len)
		return opt_error(c, NBD_OPT_LIST, NBD_REP_ERR_INVALID, "NBD_OPT_LIST with data");
	nbd_put32(buf, n);
	memcpy(buf + 4, name, n);
	rc = opt_reply(c, NBD_OPT_LIST, NBD_REP_SERVER, buf, 4 + n);
	return rc ? rc : opt_reply(c, NBD_OPT_LIST, NBD_REP_ACK, NULL, 0);
}

static int info_export(struct nbd_conn *c, uint32_t opt)
{
	uint8_t b[12];

	nbd_put16(b, NBD_INFO_EXPORT);
	nbd_put64(b + 2, c->srv->info.size);
	nbd_put16(b + 10, nbd_transmission_flags(c));
	return opt_reply(c, opt, NBD_REP_INFO, b, sizeof(b));
}

/* Minimum: the sector size; preferred: a page or a sector; maximum: the request cap. */
static int info_block_size(struct nbd_conn *c, uint32_t opt)
{
	const struct pv_nbd_dev_info *info = &c->srv->info;
	uint32_t pref = info->sector_size > 4096 ? info->sector_size : 4096;
	uint8_t b[14];

	nbd_put16(b, NBD_INFO_BLOCK_SIZE);
	nbd_put32(b + 2, info->sector_size);
	nbd_put32(b + 6, pref);
	nbd_put32(b + 10, info->max_request);
	return opt_reply(c, opt, NBD_REP_INFO, b, sizeof(b));
}

/* NBD_INFO_NAME or NBD_INFO_DESCRIPTION: a 16-bit type then the string. */
static int info_string(struct nbd_conn *c, uint32_t opt, uint16_t type, const char *s)
{
	uint8_t b[2 + NBD_OPT_MAX_DATA];
	size_t n = strlen(s);

	if (n > NBD_OPT_MAX_DATA)
		n = NBD_OPT_MAX_DATA;
	nbd_put16(b, type);
	memcpy(b + 2, s, n);
	return opt_reply(c, opt, NBD_REP_INFO, b, 2 + n);
}

/* The optional replies a client asked for; unknown requests are ignored. */
static int info_requested(struct nbd_conn *c, uint32_t opt, const uint8_t *req, uint16_t n)
{
	int rc = 0;

	for (uint16_t i = 0; i < n && rc == 0; i++) {
		uint16_t type = nbd_get16(req + 2 * i);

		if (type == NBD_INFO_NAME)
			rc = info_string(c, opt, NBD_INFO_NAME, c->srv->export_name);
		else if (type == NBD_INFO_DESCRIPTION && c->srv->description)
			rc = info_string(c, opt, NBD_INFO_DESCRIPTION, c->srv->description);
	}
	return rc;
}

/*
 * NBD_OPT_INFO / NBD_OPT_GO: 32-bit name length, name, 16-bit count of
 * information requests, the requests. Block sizes are sent unasked: the
 * export enforces them.
 */
static int opt_go(struct nbd_conn *c, uint32_t opt, const uint8_t *data, uint32_t len)
{
	uint32_t namelen;
	uint16_t nreq;
	int rc;

	if (len < 6)
		return opt_error(c, opt, NBD_REP_ERR_INVALID, "short NBD_OPT_GO/INFO");
	namelen = nbd_get32(data);
	if (namelen > len - 6)
		return opt_error(c, opt, NBD_REP_ERR_INVALID, "name longer than the option");
	nreq = nbd_get16(data + 4 + namelen);
	if (len != 6 + namelen + 2u * nreq)
		return opt_error(c, opt, NBD_REP_ERR_INVALID, "bad information request count");
	if (!name_matches(c, data + 4, namelen))
		return opt_error(c, opt, NBD_REP_ERR_UNKNOWN, "unknown export");
	rc = info_export(c, opt);
	if (rc == 0)
		rc = info_block_size(c, opt);
	if (rc == 0)
		rc = info_requested(c, opt, data + 6 + namelen, nreq);
	if (rc == 0)
		rc = opt_reply(c, opt, NBD_REP_ACK, NULL, 0);
	if (rc == 0 && opt == NBD_OPT_GO)
		c->state = NBD_ST_REQUEST;
	return rc;
}

static int opt_structured(struct nbd_conn *c, uint32_t len)
{
	if (len)
		return opt_error(c, NBD_OPT_STRUCTURED_REPLY, NBD_REP_ERR_INVALID, "data given");
	c->structured = true;
	return opt_reply(c, NBD_OPT_STRUCTURED_REPLY, NBD_REP_ACK, NULL, 0);
}

static int option(struct nbd_conn *c, uint32_t opt, const uint8_t *data, uint32_t len)
{
	switch (opt) {
	case NBD_OPT_EXPORT_NAME:
		return opt_export_name(c, data, len);
	case NBD_OPT_ABORT:
		c->state = NBD_ST_CLOSING;
		return opt_reply(c, opt, NBD_REP_ACK, NULL, 0);
	case NBD_OPT_LIST:
		return opt_list(c, len);
	case NBD_OPT_INFO:
	case NBD_OPT_GO:
		return opt_go(c, opt, data, len);
	case NBD_OPT_STRUCTURED_REPLY:
		return opt_structured(c, len);
	default:
		/* STARTTLS, meta contexts, extended headers and the unknown. */
		return opt_reply(c, opt, NBD_REP_ERR_UNSUP, NULL, 0);
	}
}

/* One complete option in the input buffer, or 1 when more input is needed. */
static int option_input(struct nbd_conn *c)
{
	const uint8_t *p = c->in + c->in_start;
	uint32_t opt, len;

	if (input_avail(c) < 16)
		return 1;
	if (nbd_get64(p) != NBD_MAGIC_OPT) {
		pv_dev_warn_rl(&c->srv->rl, c->name, "bad option magic");
		return -EPROTO;
	}
	opt = nbd_get32(p + 8);
	len = nbd_get32(p + 12);
	if (len > NBD_OPT_MAX_DATA || c->options + 1 > NBD_OPT_MAX_COUNT) {
		pv_dev_warn_rl(&c->srv->rl, c->name, "option %u: %u bytes, option number %u: refused",
			       opt, len, c->options);
		return -EMSGSIZE;
	}
	if (input_avail(c) < 16 + len)
		return 1;
	c->options++;
	c->in_start += 16 + len;
	return option(c, opt, p + 16, len);
}

int nbd_handshake_input(struct nbd_conn *c)
{
	int rc = 0;

	while (rc == 0) {
		if (c->state == NBD_ST_CLIENT_FLAGS) {
			if (input_avail(c) < 4)
				return 0;
			rc = client_flags(c);
		} else if (c->state == NBD_ST_OPTION) {
			rc = option_input(c);
		} else {
			return 0;
		}
	}
	return rc < 0 ? rc : 0;
}
