/* response.h: everything a handler writes back: heads, bodies, pages, errors and streams. */
#ifndef PARLEY_RESPONSE_H
#define PARLEY_RESPONSE_H

#include <stddef.h>

#include "db.h"
#include "req.h"

struct json_object;

/* Adds a response header for the next head written (name and value are copied). */
void	 resp_header(struct req *r, const char *name, const char *value);

/*
 * Sets a cookie: Path=/, HttpOnly, SameSite=Lax, plus Secure when the
 * configuration asks for it. max_age < 0 makes a session cookie; 0 deletes it.
 */
void	 resp_cookie(struct req *r, const char *name, const char *value, long max_age);

/* Writes a whole response: status, Content-Type, headers so far, then len bytes of body. */
void	 resp_send(struct req *r, int status, const char *ctype, const char *body, size_t len);
void	 resp_text(struct req *r, int status, const char *text);
/* JSON answer; takes j (puts it). j may be NULL for an empty object. */
void	 resp_json(struct req *r, int status, struct json_object *j);
void	 resp_no_content(struct req *r);				/* 204 */
/* 303 See Other to a local path (POST/redirect/GET). */
void	 resp_redirect(struct req *r, const char *location);

/*
 * An error in the shape the client understands: {"error": {code, message}}
 * for the API, the error page for a browser. code is a short machine word
 * ("not_found"); message is for people.
 */
void	 resp_error(struct req *r, int status, const char *code, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));

/*
 * Answers a failed store call with resp_error: 404 for
 * a row that is not there or not the person's, 409, 422, 503, else 500. what
 * names the row for people ("task"). Handlers with a more telling word for a
 * conflict answer DB_CONFLICT themselves first.
 */
void	 resp_store_error(struct req *r, enum db_err e, const char *what);

/*
 * Renders page template tmpl inside the layout, with data (takes it; may be
 * NULL). The page and the layout both see data plus: user, csrf_token,
 * static_url; the layout also gets title and body.
 */
void	 resp_page(struct req *r, int status, const char *title, const char *tmpl,
	    struct json_object *data);
/*
 * As resp_page, the page template also seeing extra (may be NULL), looked
 * in before data: values answered from the caller's own structs, which
 * must live until this returns.
 */
struct tmpl_val;
void	 resp_page_with(struct req *r, int status, const char *title, const char *tmpl,
	    struct json_object *data, const struct tmpl_val *extra);

/* Adds the keys every page template needs (user, csrf_token, static_url) to data. */
void	 resp_page_context(struct req *r, struct json_object *data);

/*
 * Streaming: writes the head (no Content-Length, no buffering by nginx) and
 * flushes it. Each write then goes out at once. Both return 0, or -1 once
 * the client is gone (later writes are no-ops returning -1).
 */
int	 resp_stream_begin(struct req *r, int status, const char *ctype);
int	 resp_stream_write(struct req *r, const char *data, size_t len);

/* Called by the worker after the handler: answers 500 if the handler wrote nothing. */
void	 resp_finish(struct req *r);

/* The reason phrase for a status code. */
const char *resp_reason(int status);

#endif
