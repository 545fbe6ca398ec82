/* response.c: response heads (with the security headers), bodies, errors, pages and streams. */
#include "response.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <fastcgi.h>
#include <fcgiapp.h>
#include <json-c/json.h>

#include "config.h"
#include "db.h"
#include "log.h"
#include "template.h"
#include "xalloc.h"

/* The same on every answer; pages load nothing but their own scripts and styles. */
static const char security_headers[] =
	"Content-Security-Policy: default-src 'self'; script-src 'self'; style-src 'self'; "
	"img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
	"base-uri 'none'; object-src 'none'\r\n"
	"X-Content-Type-Options: nosniff\r\n"
	"Referrer-Policy: same-origin\r\n"
	"X-Frame-Options: DENY\r\n";

const char *
resp_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "Unknown";
	}
}

/* Header values must not carry line breaks: a CR or LF would start a new header. */
static void
put_header_value(struct buf *b, const char *v)
{
	for (; *v; v++)
		buf_putc(b, (*v == '\r' || *v == '\n') ? ' ' : *v);
}

void
resp_header(struct req *r, const char *name, const char *value)
{
	struct buf *h = &r->w->hdr;

	buf_puts(h, name);
	buf_puts(h, ": ");
	put_header_value(h, value);
	buf_puts(h, "\r\n");
}

void
resp_cookie(struct req *r, const char *name, const char *value, long max_age)
{
	struct buf *h = &r->w->hdr;

	buf_puts(h, "Set-Cookie: ");
	put_header_value(h, name);
	buf_putc(h, '=');
	put_header_value(h, value);
	buf_puts(h, "; Path=/; HttpOnly; SameSite=Lax");
	if (r->cfg->secure_cookies)
		buf_puts(h, "; Secure");
	if (max_age == 0)
		buf_puts(h, "; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
	else if (max_age > 0)
		buf_printf(h, "; Max-Age=%ld", max_age);
	buf_puts(h, "\r\n");
}

/* Writes status line, standard headers and the queued ones; len < 0: no Content-Length. */
static int
write_head(struct req *r, int status, const char *ctype, long long len)
{
	char line[256];
	int n;

	if (r->head_sent)
		return -1;
	r->status = status;
	r->head_sent = true;
	n = snprintf(line, sizeof line, "Status: %d %s\r\n", status, resp_reason(status));
	if (FCGX_PutStr(line, n, r->fcgx->out) < 0)
		goto gone;
	if (ctype != NULL) {
		n = snprintf(line, sizeof line, "Content-Type: %s\r\n", ctype);
		if (FCGX_PutStr(line, n, r->fcgx->out) < 0)
			goto gone;
	}
	if (len >= 0) {
		n = snprintf(line, sizeof line, "Content-Length: %lld\r\n", len);
		if (FCGX_PutStr(line, n, r->fcgx->out) < 0)
			goto gone;
	}
	n = snprintf(line, sizeof line, "X-Request-Id: %s\r\n", r->request_id);
	if (FCGX_PutStr(line, n, r->fcgx->out) < 0 ||
	    FCGX_PutStr(security_headers, sizeof security_headers - 1, r->fcgx->out) < 0)
		goto gone;
	if (r->w->hdr.len > 0 &&
	    FCGX_PutStr(r->w->hdr.data, (int)r->w->hdr.len, r->fcgx->out) < 0)
		goto gone;
	if (FCGX_PutStr("\r\n", 2, r->fcgx->out) < 0)
		goto gone;
	return 0;
gone:
	r->client_gone = true;
	return -1;
}

/* Writes all of iov (n entries, changed on the way); -1 when the peer is gone or stalled. */
static int
writev_all(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t w = writev(fd, iov, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/*
 * Writes that can wait on a slow client hold no pooled connection (outside
 * a transaction); the next statement borrows one again.
 */
static void
release_db(struct req *r)
{
	if (r->w != NULL && r->w->db != NULL)
		(void)db_release(r->w->db);
}

/*
 * A body larger than libfcgi's 8 KB buffer, which would leave in a write(2)
 * (and a wake-up of nginx) per 8 KB: the head libfcgi holds goes first, then
 * the body as FastCGI stdout records of up to 64 KB in one writev(2). The
 * end of the stream and of the request still come from libfcgi.
 */
static int
send_large_body(struct req *r, const char *body, size_t len)
{
	enum { RECORD = 65528, BATCH = 16 };	/* content per record (a multiple of 8) */
	unsigned char head[BATCH][FCGI_HEADER_LEN];
	struct iovec iov[2 * BATCH];
	int id = r->fcgx->requestId;

	if (FCGX_FFlush(r->fcgx->out) < 0)
		return -1;
	while (len > 0) {
		int n = 0;

		for (int k = 0; k < BATCH && len > 0; k++) {
			size_t c = len < RECORD ? len : RECORD;

			head[k][0] = FCGI_VERSION_1;
			head[k][1] = FCGI_STDOUT;
			head[k][2] = (unsigned char)((id >> 8) & 0xff);
			head[k][3] = (unsigned char)(id & 0xff);
			head[k][4] = (unsigned char)((c >> 8) & 0xff);
			head[k][5] = (unsigned char)(c & 0xff);
			head[k][6] = 0;		/* no padding */
			head[k][7] = 0;
			iov[n].iov_base = head[k];
			iov[n++].iov_len = FCGI_HEADER_LEN;
			iov[n].iov_base = (void *)(uintptr_t)body;
			iov[n++].iov_len = c;
			body += c;
			len -= c;
		}
		if (writev_all(r->fcgx->ipcFd, iov, n) == -1)
			return -1;
	}
	return 0;
}

void
resp_send(struct req *r, int status, const char *ctype, const char *body, size_t len)
{
	if (r->head_sent) {
		log_warn("request %s: second response ignored (status %d)", r->request_id, status);
		return;
	}
	if (write_head(r, status, ctype, (long long)len) == -1)
		return;
	/* HEAD gets the head only; nginx would drop the body anyway. */
	if (len == 0 || strcmp(r->method, "HEAD") == 0)
		return;
	if (len > 8192 && r->fcgx->ipcFd >= 0) {
		release_db(r);
		if (send_large_body(r, body, len) == -1) {
			/*
			 * Part of a record may have gone out, and libfcgi, which
			 * did not see it fail, would write its end records after
			 * it: end the connection instead, so its writes fail and
			 * nginx sees the answer cut short rather than a garbled
			 * connection it would go on using.
			 */
			r->client_gone = true;
			r->fcgx->keepConnection = 0;
			(void)shutdown(r->fcgx->ipcFd, SHUT_RDWR);
		}
	} else if (FCGX_PutStr(body, (int)len, r->fcgx->out) < 0)
		r->client_gone = true;
}

void
resp_text(struct req *r, int status, const char *text)
{
	resp_send(r, status, "text/plain; charset=utf-8", text, strlen(text));
}

void
resp_json(struct req *r, int status, struct json_object *j)
{
	const char *s;
	size_t len;

	if (j == NULL)
		j = json_object_new_object();
	s = json_object_to_json_string_length(j,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	resp_header(r, "Cache-Control", "no-store");
	resp_send(r, status, "application/json", s, len);
	json_object_put(j);
}

void
resp_no_content(struct req *r)
{
	resp_send(r, 204, NULL, NULL, 0);
}

void
resp_redirect(struct req *r, const char *location)
{
	/* Only local paths: "//host" or "/\host" would leave the site. */
	if (location[0] != '/' || location[1] == '/' || location[1] == '\\')
		location = "/";
	resp_header(r, "Location", location);
	resp_send(r, 303, "text/plain; charset=utf-8", "", 0);
}

void
resp_page_context(struct req *r, struct json_object *data)
{
	if (r->user != NULL) {
		struct json_object *u = json_object_new_object();
		json_object_object_add(u, "id", json_object_new_string(r->user->id));
		json_object_object_add(u, "name", json_object_new_string(r->user->name));
		json_object_object_add(u, "email", json_object_new_string(r->user->email));
		if (r->user->username != NULL)
			json_object_object_add(u, "username",
			    json_object_new_string(r->user->username));
		json_object_object_add(data, "user", u);
	}
	json_object_object_add(data, "csrf_token", json_object_new_string(r->csrf_token));
	json_object_object_add(data, "static_url", json_object_new_string(r->cfg->static_url));
}

void
resp_page(struct req *r, int status, const char *title, const char *tmpl,
    struct json_object *data)
{
	resp_page_with(r, status, title, tmpl, data, NULL);
}

void
resp_page_with(struct req *r, int status, const char *title, const char *tmpl,
    struct json_object *data, const struct tmpl_val *extra)
{
	struct buf *out = &r->w->out, *body = &r->w->page;
	struct tmpl_val frames[2];
	struct tmpl_member layout[2];

	if (data == NULL)
		data = json_object_new_object();
	resp_page_context(r, data);
	frames[0] = (struct tmpl_val){ .kind = TMPL_JSON, .u.json = data };
	if (extra != NULL)
		frames[1] = *extra;
	buf_reset(body);
	if (tmpl_set_render_frames(r->w->app->tmpl, tmpl, frames, extra != NULL ? 2 : 1,
	    body) == -1) {
		log_error("request %s: template %s failed to render", r->request_id, tmpl);
		json_object_put(data);
		resp_text(r, 500, "Internal Server Error: a page template is missing.\n");
		return;
	}
	json_object_object_add(data, "title", json_object_new_string(title));
	/* The page's HTML goes into the layout as it is, without a copy into a json-c string. */
	layout[0] = (struct tmpl_member){ "body", { .kind = TMPL_TEXT,
	    .u.text = { buf_cstr(body), body->len } } };
	layout[1] = (struct tmpl_member){ NULL, { .kind = TMPL_NONE } };
	frames[1] = tmpl_object(&tmpl_members_src, layout);
	buf_reset(out);
	if (tmpl_set_render_frames(r->w->app->tmpl, "layout", frames, 2, out) == -1) {
		log_error("request %s: the layout template failed to render", r->request_id);
		json_object_put(data);
		resp_text(r, 500, "Internal Server Error: the layout template is missing.\n");
		return;
	}
	json_object_put(data);
	resp_header(r, "Cache-Control", "no-store");
	resp_send(r, status, "text/html; charset=utf-8", out->data, out->len);
}

void
resp_error(struct req *r, int status, const char *code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);

	if (req_wants_json(r)) {
		struct json_object *j = json_object_new_object();
		struct json_object *e = json_object_new_object();
		json_object_object_add(e, "code", json_object_new_string(code));
		json_object_object_add(e, "message", json_object_new_string(msg));
		json_object_object_add(j, "error", e);
		resp_json(r, status, j);
		return;
	}
	struct json_object *d = json_object_new_object();
	json_object_object_add(d, "status", json_object_new_int(status));
	json_object_object_add(d, "message", json_object_new_string(msg));
	json_object_object_add(d, "reason", json_object_new_string(resp_reason(status)));
	resp_page(r, status, resp_reason(status), "error", d);
}

int
resp_stream_begin(struct req *r, int status, const char *ctype)
{
	release_db(r);
	r->streaming = true;
	resp_header(r, "Cache-Control", "no-cache, no-store");
	resp_header(r, "X-Accel-Buffering", "no");
	if (write_head(r, status, ctype, -1) == -1)
		return -1;
	if (FCGX_FFlush(r->fcgx->out) < 0) {
		r->client_gone = true;
		return -1;
	}
	return 0;
}

int
resp_stream_write(struct req *r, const char *data, size_t len)
{
	if (r->client_gone || !r->head_sent)
		return -1;
	release_db(r);
	if ((len > 0 && FCGX_PutStr(data, (int)len, r->fcgx->out) < 0) ||
	    FCGX_FFlush(r->fcgx->out) < 0) {
		r->client_gone = true;
		return -1;
	}
	return 0;
}

void
resp_finish(struct req *r)
{
	if (!r->head_sent) {
		log_error("request %s: %s %s: the handler wrote no response",
		    r->request_id, r->method, r->path);
		resp_error(r, 500, "internal", "Something went wrong on our side.");
	}
}

void
resp_store_error(struct req *r, enum db_err e, const char *what)
{
	switch (e) {
	case DB_NOTFOUND:
		resp_error(r, 404, "not_found", "There is no such %s.", what);
		break;
	case DB_CONFLICT:
		resp_error(r, 409, "conflict", "The %s conflicts with one that already exists.", what);
		break;
	case DB_INVALID:
		resp_error(r, 422, "invalid", "The %s could not be saved: the input is not valid.",
		    what);
		break;
	case DB_UNAVAILABLE:
		resp_error(r, 503, "unavailable",
		    "The database is not reachable right now. Please try again in a moment.");
		break;
	default:
		resp_error(r, 500, "internal", "Something went wrong on our side.");
		break;
	}
}
