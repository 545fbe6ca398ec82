/* llm_openai.c: the OpenAI-compatible Chat Completions client; the only user of libcurl. */
#include "llm_openai.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "buf.h"
#include "clock.h"
#include "config.h"
#include "jfield.h"
#include "log.h"
#include "req.h"
#include "sse.h"
#include "tools.h"
#include "xalloc.h"

#define OA_TOOL_ROUNDS	5		/* rounds of tool calls in one answer */
#define OA_MAX_CALLS	16		/* tool calls in one round */
#define OA_MAX_ARGS	(256 * 1024)	/* bytes of one call's arguments */
#define OA_MAX_LINE	(1024 * 1024)	/* bytes of one stream line or event */
#define OA_MAX_ERRBODY	8192		/* bytes of an error answer kept for the log */
#define OA_BACKOFF_MS	500		/* the retry waits this plus up to as much again */
#define OA_RETRY_AFTER_MAX 5		/* seconds of a Retry-After header honoured */
#define OA_TRUNC_NOTE	"\n\n(answer cut: too long)"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

/*
 * Process and thread setup
 */

int
llm_global_init(void)
{
	CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);

	if (rc != CURLE_OK) {
		log_error("llm: cannot set up libcurl: %s", curl_easy_strerror(rc));
		return -1;
	}
	return 0;
}

void
llm_global_cleanup(void)
{
	curl_global_cleanup();
}

void
llm_thread_cleanup(struct worker *w)
{
	if (w == NULL || w->curl == NULL)
		return;
	curl_easy_cleanup(w->curl);
	w->curl = NULL;
}

/* The thread's handle, made on first use; kept, so its connections are reused. */
static CURL *
oa_handle(struct worker *w)
{
	if (w->curl == NULL)
		w->curl = curl_easy_init();
	return w->curl;
}

/*
 * State
 */

/* Why reading a response stopped early, besides libcurl's own reasons. */
enum oa_stop {
	OA_GOING = 0,
	OA_DONE,		/* "[DONE]": the answer is complete */
	OA_TRUNCATED,		/* the answer reached PARLEY_LLM_MAX_ANSWER */
	OA_MALFORMED,		/* a chunk that is not JSON */
	OA_TOO_BIG,		/* a line, arguments or calls beyond the limits */
	OA_PROVIDER,		/* an "error" object inside the stream */
};

/* One tool call as its fragments arrive. */
struct oa_call {
	bool		 used;
	struct buf	 id;
	struct buf	 name;
	struct buf	 args;
};

/* The whole answer, across rounds and retries. */
struct oa_answer {
	const struct config	*cfg;
	const struct llm_sink	*sink;
	const char		*model;		/* without "openai/", for the log */
	struct buf		 text;
	size_t			 max;
	bool			 truncated;
	bool			 new_paragraph;	/* text before a tool round: separate what follows */
	long			 prompt;
	long			 completion;
	bool			 estimated;
	struct timespec		 t0;
};

/* The body mode, chosen on the first byte from the status and Content-Type. */
enum oa_mode { OA_MODE_NONE = 0, OA_MODE_SSE, OA_MODE_JSON, OA_MODE_ERROR };

/* One HTTP request. */
struct oa_attempt {
	struct oa_answer	*ans;
	CURL			*h;
	enum oa_mode		 mode;
	long			 http;
	struct sse_parser	 sse;
	struct buf		 raw;		/* a JSON body or an error body */
	struct buf		 text;		/* this request's text (the assistant turn) */
	struct oa_call		 calls[OA_MAX_CALLS];
	size_t			 ncalls;
	bool			 finished;	/* a finish_reason came */
	bool			 usage;
	long			 prompt;
	long			 completion;
	bool			 cancelled;
	bool			 idle;		/* no data for PARLEY_LLM_IDLE_TIMEOUT */
	struct timespec		 last_data;	/* when the last byte (or the request) went */
	enum oa_stop		 stop;
	long			 retry_after;	/* seconds, -1 when not given */
	char			 provider_msg[200];
};

static void
attempt_init(struct oa_attempt *a, struct oa_answer *ans, CURL *h)
{
	memset(a, 0, sizeof *a);
	a->ans = ans;
	a->h = h;
	a->retry_after = -1;
	sse_init(&a->sse, OA_MAX_LINE);
}

static void
attempt_free(struct oa_attempt *a)
{
	sse_free(&a->sse);
	buf_free(&a->raw);
	buf_free(&a->text);
	for (size_t i = 0; i < OA_MAX_CALLS; i++) {
		buf_free(&a->calls[i].id);
		buf_free(&a->calls[i].name);
		buf_free(&a->calls[i].args);
	}
}

/* Replaces every copy of the key in s (NUL-terminated, edited in place) by "***". */
static void
redact(char *s, const char *key)
{
	size_t k;
	char *p;

	if (key == NULL || (k = strlen(key)) < 4)
		return;
	while ((p = strstr(s, key)) != NULL) {
		memcpy(p, "***", 3);
		memmove(p + 3, p + k, strlen(p + k) + 1);
	}
}

/*
 * Reading the answer
 */

/* Text from the model: kept, counted against the limit, and relayed. Returns an oa_stop. */
static enum oa_stop
oa_text(struct oa_attempt *a, const char *s, size_t n)
{
	struct oa_answer *ans = a->ans;
	size_t room;

	if (n == 0)
		return OA_GOING;
	if (ans->new_paragraph) {
		ans->new_paragraph = false;
		if (ans->text.len > 0 && ans->text.len + 2 <= ans->max) {
			buf_puts(&ans->text, "\n\n");
			if (ans->sink->delta != NULL)
				ans->sink->delta(ans->sink->ctx, "\n\n", 2);
		}
	}
	room = ans->text.len < ans->max ? ans->max - ans->text.len : 0;
	if (n > room) {
		/* Cut between characters, never inside one. */
		while (room > 0 && ((unsigned char)s[room] & 0xC0) == 0x80)
			room--;
		n = room;
		ans->truncated = true;
	}
	buf_append(&ans->text, s, n);
	buf_append(&a->text, s, n);
	if (n > 0 && ans->sink->delta != NULL)
		ans->sink->delta(ans->sink->ctx, s, n);
	return ans->truncated ? OA_TRUNCATED : OA_GOING;
}

/* One element of delta.tool_calls: fragments joined per index. */
static enum oa_stop
oa_tool_delta(struct oa_attempt *a, struct json_object *tc)
{
	struct json_object *idx = jfield_typed(tc, "index", json_type_int), *fn;
	const char *id = jfield_str(tc, "id"), *s;
	struct oa_call *c;
	long i;

	/* Some servers leave out the index: a new id starts a new call. */
	if (idx != NULL)
		i = (long)json_object_get_int64(idx);
	else if (id != NULL && id[0] != '\0')
		i = (long)a->ncalls;
	else
		i = a->ncalls > 0 ? (long)a->ncalls - 1 : 0;
	if (i < 0 || i >= OA_MAX_CALLS)
		return OA_TOO_BIG;
	c = &a->calls[i];
	c->used = true;
	if ((size_t)i >= a->ncalls)
		a->ncalls = (size_t)i + 1;
	if (id != NULL && id[0] != '\0' && strlen(id) < 200) {
		buf_reset(&c->id);
		buf_puts(&c->id, id);
	}
	if ((fn = jfield_typed(tc, "function", json_type_object)) != NULL) {
		if ((s = jfield_str(fn, "name")) != NULL && c->name.len + strlen(s) < 200)
			buf_puts(&c->name, s);
		/* A string by the protocol; some local servers send the object itself. */
		if ((s = jfield_str(fn, "arguments")) == NULL &&
		    jfield_typed(fn, "arguments", json_type_object) != NULL)
			s = json_object_to_json_string_ext(jfield_typed(fn, "arguments", json_type_object),
			    JSON_C_TO_STRING_PLAIN);
		if (s != NULL) {
			if (c->args.len + strlen(s) > OA_MAX_ARGS)
				return OA_TOO_BIG;
			buf_puts(&c->args, s);
		}
	}
	return OA_GOING;
}

/* One chunk (streamed, key "delta") or a whole completion (key "message"). */
static enum oa_stop
oa_chunk(struct oa_attempt *a, struct json_object *o, const char *key)
{
	struct json_object *err, *usage, *choices, *ch, *d, *tcs, *v;
	const char *s;
	enum oa_stop st;
	size_t n;

	if ((err = jfield_typed(o, "error", json_type_object)) != NULL ||
	    jfield_typed(o, "error", json_type_string) != NULL) {
		s = err != NULL ? jfield_str(err, "message") : jfield_str(o, "error");
		snprintf(a->provider_msg, sizeof a->provider_msg, "%s", s != NULL ? s : "(no message)");
		return OA_PROVIDER;
	}
	if ((usage = jfield_typed(o, "usage", json_type_object)) != NULL) {
		if ((v = jfield_typed(usage, "prompt_tokens", json_type_int)) != NULL)
			a->prompt = (long)json_object_get_int64(v);
		if ((v = jfield_typed(usage, "completion_tokens", json_type_int)) != NULL)
			a->completion = (long)json_object_get_int64(v);
		a->usage = true;
	}
	if ((choices = jfield_typed(o, "choices", json_type_array)) == NULL ||
	    json_object_array_length(choices) == 0)
		return OA_GOING;		/* the usage chunk has no choices */
	/* Parley asks for one choice; anything beyond the first is ignored. */
	ch = json_object_array_get_idx(choices, 0);
	if ((d = jfield_typed(ch, key, json_type_object)) != NULL) {
		if ((s = jfield_str(d, "content")) != NULL &&
		    (st = oa_text(a, s, strlen(s))) != OA_GOING)
			return st;
		/* A refusal is the model's answer, in its own field. */
		if ((s = jfield_str(d, "refusal")) != NULL &&
		    (st = oa_text(a, s, strlen(s))) != OA_GOING)
			return st;
		if ((tcs = jfield_typed(d, "tool_calls", json_type_array)) != NULL) {
			n = json_object_array_length(tcs);
			for (size_t i = 0; i < n; i++) {
				struct json_object *tc = json_object_array_get_idx(tcs, i);

				if (json_object_is_type(tc, json_type_object) &&
				    (st = oa_tool_delta(a, tc)) != OA_GOING)
					return st;
			}
		}
	}
	if (jfield_str(ch, "finish_reason") != NULL)
		a->finished = true;
	return OA_GOING;
}

/* Parses exactly len bytes as one JSON object; NULL when they are anything else. */
static struct json_object *
parse_object(const char *s, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o;
	size_t used;

	if (tok == NULL)
		return NULL;
	o = json_tokener_parse_ex(tok, s, (int)len);
	used = json_tokener_get_parse_end(tok);
	if (o != NULL && json_tokener_get_error(tok) == json_tokener_success) {
		while (used < len && strchr(" \t\r\n", s[used]) != NULL)
			used++;
	}
	json_tokener_free(tok);
	if (o == NULL || used != len || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static int
oa_event(void *ctx, const struct sse_event *ev)
{
	struct oa_attempt *a = ctx;
	struct json_object *o;
	const char *d = ev->data;
	size_t n = ev->data_len;
	enum oa_stop st;

	/* Named events other than "error" are not part of Chat Completions: skip them. */
	if (ev->event[0] != '\0' && strcmp(ev->event, "message") != 0 &&
	    strcmp(ev->event, "error") != 0)
		return 0;
	while (n > 0 && strchr(" \t\r\n", d[0]) != NULL) {
		d++;
		n--;
	}
	while (n > 0 && strchr(" \t\r\n", d[n - 1]) != NULL)
		n--;
	if (n == 0)
		return 0;		/* an empty keep-alive */
	if (n == 6 && memcmp(d, "[DONE]", 6) == 0) {
		a->stop = OA_DONE;
		return 1;
	}
	if ((o = parse_object(d, n)) == NULL) {
		a->stop = OA_MALFORMED;
		return 1;
	}
	if (strcmp(ev->event, "error") == 0 && jfield_typed(o, "error", json_type_object) == NULL) {
		const char *m = jfield_str(o, "message");

		snprintf(a->provider_msg, sizeof a->provider_msg, "%s", m != NULL ? m : "(no message)");
		st = OA_PROVIDER;
	} else
		st = oa_chunk(a, o, "delta");
	json_object_put(o);
	if (st != OA_GOING) {
		a->stop = st;
		return 1;
	}
	return 0;
}

/*
 * libcurl callbacks
 */

static size_t
oa_write(char *p, size_t size, size_t nmemb, void *ud)
{
	struct oa_attempt *a = ud;
	size_t n = size * nmemb, cap;
	const char *ct = NULL;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &a->last_data);
	if (a->mode == OA_MODE_NONE) {
		curl_easy_getinfo(a->h, CURLINFO_RESPONSE_CODE, &a->http);
		curl_easy_getinfo(a->h, CURLINFO_CONTENT_TYPE, &ct);
		if (a->http < 200 || a->http > 299)
			a->mode = OA_MODE_ERROR;
		else if (ct != NULL && strncasecmp(ct, "application/json", 16) == 0)
			a->mode = OA_MODE_JSON;	/* a server that does not stream */
		else
			a->mode = OA_MODE_SSE;
	}
	switch (a->mode) {
	case OA_MODE_ERROR:
		/* Only for the log: keep the start, drop the rest. */
		if (a->raw.len < OA_MAX_ERRBODY)
			buf_append(&a->raw, p, n < OA_MAX_ERRBODY - a->raw.len ? n :
			    OA_MAX_ERRBODY - a->raw.len);
		return n;
	case OA_MODE_JSON:
		cap = a->ans->max + OA_MAX_LINE;
		if (a->raw.len + n > cap) {
			a->stop = OA_TOO_BIG;
			return 0;
		}
		buf_append(&a->raw, p, n);
		return n;
	default:
		rc = sse_feed(&a->sse, p, n, oa_event, a);
		if (rc == 0)
			return n;
		if (rc == SSE_TOO_LONG)
			a->stop = OA_TOO_BIG;
		/* Returning short makes libcurl end the transfer; a->stop says why. */
		return 0;
	}
}

static size_t
oa_header(char *p, size_t size, size_t nmemb, void *ud)
{
	struct oa_attempt *a = ud;
	size_t n = size * nmemb;

	clock_gettime(CLOCK_MONOTONIC, &a->last_data);
	if (n > 12 && strncasecmp(p, "retry-after:", 12) == 0) {
		char v[32];
		size_t k = n - 12 < sizeof v - 1 ? n - 12 : sizeof v - 1;
		char *end;
		long s;

		memcpy(v, p + 12, k);
		v[k] = '\0';
		s = strtol(v, &end, 10);
		/* Seconds only; an HTTP date is rare here and the default backoff will do. */
		if (end != v && s >= 0)
			a->retry_after = s;
	}
	return n;
}

static int
oa_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
    curl_off_t ulnow)
{
	struct oa_attempt *a = ud;
	const struct llm_sink *sink = a->ans->sink;
	curl_off_t connected = 0;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	if (sink->cancelled != NULL && sink->cancelled(sink->ctx)) {
		a->cancelled = true;
		return 1;
	}
	/*
	 * libcurl's low-speed check averages over several seconds, so a burst
	 * before a stall delays it; this is called about once a second when
	 * nothing moves, which makes the idle limit hold to the second. Before
	 * the connection is up, the connect timeout is the one that applies.
	 */
	if (ms_since(&a->last_data) >= a->ans->cfg->llm_idle_timeout * 1000 &&
	    curl_easy_getinfo(a->h, CURLINFO_CONNECT_TIME_T, &connected) == CURLE_OK &&
	    connected > 0) {
		a->idle = true;
		return 1;
	}
	return 0;
}

/*
 * One request
 */

/* What an attempt came to. */
enum oa_outcome {
	OA_OK,
	OA_RETRY,	/* failed before anything came, in a way worth one more try */
	OA_FAIL,	/* res->error says why */
	OA_STOPPED,
	OA_CUT,		/* the answer reached its limit */
};

static void
set_error(struct llm_result *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
set_error(struct llm_result *res, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(res->error, sizeof res->error, fmt, ap);
	va_end(ap);
}

/* The provider's own words about an error, for the log only (redacted, short). */
static void
log_provider_error(const struct oa_attempt *a, const char *what)
{
	char msg[200] = "";
	struct json_object *o, *e;
	const char *m = NULL;

	if (a->provider_msg[0] != '\0')
		snprintf(msg, sizeof msg, "%s", a->provider_msg);
	else if (a->raw.len > 0) {
		o = parse_object(a->raw.data, a->raw.len);
		if (o != NULL) {
			if ((e = jfield_typed(o, "error", json_type_object)) != NULL)
				m = jfield_str(e, "message");
			else if ((m = jfield_str(o, "error")) == NULL)
				m = jfield_str(o, "message");
		}
		snprintf(msg, sizeof msg, "%s", m != NULL ? m : a->raw.data);
		json_object_put(o);
	}
	redact(msg, a->ans->cfg->openai_api_key);
	log_warn("llm: openai/%s: %s%s%s", a->ans->model, what, msg[0] ? ": " : "", msg);
}

/* Connection-level libcurl failures: nothing was answered, so a retry is safe. */
static bool
connection_failure(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_OPERATION_TIMEDOUT:
		return true;
	default:
		return false;
	}
}

static enum oa_outcome
curl_failure(struct oa_attempt *a, CURLcode rc, struct llm_result *res)
{
	const struct config *cfg = a->ans->cfg;
	curl_off_t connected = 0;
	long oserr = 0;
	bool retry = connection_failure(rc) && a->text.len == 0 && a->ncalls == 0;

	curl_easy_getinfo(a->h, CURLINFO_CONNECT_TIME_T, &connected);
	curl_easy_getinfo(a->h, CURLINFO_OS_ERRNO, &oserr);
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
		set_error(res, "The model provider could not be reached (host not found).");
		break;
	case CURLE_COULDNT_CONNECT:
		set_error(res, "The model provider could not be reached (%s).",
		    oserr == ECONNREFUSED ? "connection refused" :
		    (oserr == ENETUNREACH || oserr == EHOSTUNREACH) ? "network unreachable" :
		    "could not connect");
		break;
	case CURLE_OPERATION_TIMEDOUT:
		if (connected == 0 && a->mode == OA_MODE_NONE) {
			set_error(res, "The model provider could not be reached (no connection "
			    "after %ld s).", cfg->llm_connect_timeout);
		} else if (ms_since(&a->ans->t0) >= cfg->llm_total_timeout * 1000 - 1000) {
			set_error(res, "The model took too long to answer (over %ld s).",
			    cfg->llm_total_timeout);
			retry = false;
		} else {
			set_error(res, "The model stopped answering (no data for %ld s).",
			    cfg->llm_idle_timeout);
			retry = false;	/* waiting that long twice helps nobody */
		}
		break;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
		set_error(res, "The model provider could not be reached (secure connection failed).");
		break;
	case CURLE_GOT_NOTHING:
		set_error(res, "The model provider closed the connection without answering.");
		break;
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
		if (a->text.len == 0 && a->ncalls == 0 && a->mode == OA_MODE_NONE)
			set_error(res, "The model provider closed the connection without answering.");
		else
			set_error(res, "The model's answer stopped half way.");
		break;
	default:
		set_error(res, "The model provider could not be reached (%s).",
		    curl_easy_strerror(rc));
		break;
	}
	log_warn("llm: openai/%s: %s (%s)", a->ans->model, res->error, curl_easy_strerror(rc));
	return retry ? OA_RETRY : OA_FAIL;
}

/* What the finished request amounts to; sets res->error on failure. */
static enum oa_outcome
oa_outcome(struct oa_attempt *a, CURLcode rc, struct llm_result *res)
{
	struct json_object *o;
	enum oa_stop st;

	if (a->cancelled)
		return OA_STOPPED;
	if (a->idle) {
		set_error(res, "The model stopped answering (no data for %ld s).",
		    a->ans->cfg->llm_idle_timeout);
		log_warn("llm: openai/%s: %s", a->ans->model, res->error);
		return OA_FAIL;		/* waiting that long twice helps nobody */
	}
	switch (a->stop) {
	case OA_TRUNCATED:
		return OA_CUT;
	case OA_MALFORMED:
		set_error(res, "The model provider sent an answer Parley could not read.");
		log_warn("llm: openai/%s: a stream chunk was not valid JSON", a->ans->model);
		return OA_FAIL;
	case OA_TOO_BIG:
		set_error(res, "The model provider sent an answer Parley could not read "
		    "(too large).");
		log_warn("llm: openai/%s: a stream line or tool call was over the limits",
		    a->ans->model);
		return OA_FAIL;
	case OA_PROVIDER:
		set_error(res, "The model provider reported an error while answering.");
		log_provider_error(a, "error in the stream");
		return OA_FAIL;
	case OA_DONE:
		return OA_OK;
	case OA_GOING:
		break;
	}
	if (rc != CURLE_OK)
		return curl_failure(a, rc, res);

	if (a->mode == OA_MODE_NONE)
		curl_easy_getinfo(a->h, CURLINFO_RESPONSE_CODE, &a->http);
	if (a->http < 200 || a->http > 299) {
		char what[40];

		if (a->http == 401 || a->http == 403)
			set_error(res, "The model provider refused the request (HTTP %ld): check "
			    "the API key.", a->http);
		else if (a->http == 404)
			set_error(res, "The model provider answered with an error (HTTP 404): check "
			    "the model name and the base URL.");
		else if (a->http == 429)
			set_error(res, "The model provider is busy or over its rate limit (HTTP 429).");
		else
			set_error(res, "The model provider answered with an error (HTTP %ld).",
			    a->http);
		snprintf(what, sizeof what, "HTTP %ld", a->http);
		log_provider_error(a, what);
		return (a->http == 429 || a->http >= 500) ? OA_RETRY : OA_FAIL;
	}

	if (a->mode == OA_MODE_JSON) {
		if ((o = parse_object(buf_cstr(&a->raw), a->raw.len)) == NULL) {
			set_error(res, "The model provider sent an answer Parley could not read.");
			log_warn("llm: openai/%s: the answer was not valid JSON", a->ans->model);
			return OA_FAIL;
		}
		st = oa_chunk(a, o, "message");
		json_object_put(o);
		if (st == OA_TRUNCATED)
			return OA_CUT;
		if (st != OA_GOING) {
			a->stop = st;
			return oa_outcome(a, CURLE_OK, res);
		}
		return OA_OK;
	}
	if (a->mode == OA_MODE_NONE) {
		set_error(res, "The model provider closed the connection without answering.");
		log_warn("llm: openai/%s: an empty answer (HTTP %ld)", a->ans->model, a->http);
		return OA_RETRY;
	}
	/* A stream may end without "[DONE]" once the model said it finished; else it was cut. */
	if (a->finished)
		return OA_OK;
	set_error(res, "The model's answer stopped half way.");
	log_warn("llm: openai/%s: the stream ended without finishing", a->ans->model);
	return (a->text.len == 0 && a->ncalls == 0) ? OA_RETRY : OA_FAIL;
}

static CURLcode
oa_perform(struct oa_attempt *a, const char *url, struct curl_slist *hdrs,
    const char *body, long remaining_ms)
{
	const struct config *cfg = a->ans->cfg;
	CURL *h = a->h;
	long connect = cfg->llm_connect_timeout;

	if (connect * 1000 > remaining_ms)
		connect = remaining_ms / 1000 > 0 ? remaining_ms / 1000 : 1;
	/* Options from the last request are cleared; the connection cache stays. */
	curl_easy_reset(h);
	clock_gettime(CLOCK_MONOTONIC, &a->last_data);
	curl_easy_setopt(h, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	curl_easy_setopt(h, CURLOPT_USERAGENT, "parley/" PACKAGE_VERSION);
	/* Worker threads: no signals from libcurl (SIGALRM for DNS would hit any thread). */
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, connect);
	/* "No data for IDLE seconds": under 1 byte a second for that long. */
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, cfg->llm_idle_timeout);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, remaining_ms);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, oa_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, oa_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, a);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, oa_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, a);
	return curl_easy_perform(h);
}

/*
 * The conversation sent
 */

static void
add_message(struct json_object *msgs, const char *role, const char *content)
{
	struct json_object *m = json_object_new_object();

	json_object_object_add(m, "role", json_object_new_string(role));
	json_object_object_add(m, "content", json_object_new_string(content != NULL ? content : ""));
	json_object_array_add(msgs, m);
}

static struct json_object *
first_messages(const struct llm_request *req)
{
	struct json_object *msgs = json_object_new_array();
	struct buf sys = BUF_INIT;
	char date[32] = "";
	time_t now = time(NULL);
	struct tm tm;

	if (gmtime_r(&now, &tm) != NULL)
		strftime(date, sizeof date, "%Y-%m-%d", &tm);
	buf_printf(&sys, "You are Parley's assistant, in a self-hosted workspace for freelancers, "
	    "agencies and small teams. Today is %s. Answer in Markdown, clearly and to the point.",
	    date);
	if (req->tools)
		buf_puts(&sys, " You can read and change the user's todo list with the tools "
		    "add_task, list_tasks, complete_task, delete_task and update_task: use them "
		    "whenever the user asks about their tasks, then say briefly what you did. When "
		    "a tool answers that several tasks match, ask the user which one they mean.");
	add_message(msgs, "system", buf_cstr(&sys));
	buf_free(&sys);
	for (size_t i = 0; i < req->nmsgs; i++) {
		const char *role = req->msgs[i].role;

		if (role == NULL || (strcmp(role, "system") != 0 && strcmp(role, "user") != 0 &&
		    strcmp(role, "assistant") != 0))
			continue;
		add_message(msgs, role, req->msgs[i].content);
	}
	return msgs;
}

static char *
request_body(const char *model, struct json_object *msgs, bool tools, bool no_more_tools)
{
	struct json_object *o = json_object_new_object(), *so = json_object_new_object();
	char *s;

	json_object_object_add(o, "model", json_object_new_string(model));
	json_object_object_add(o, "messages", json_object_get(msgs));
	json_object_object_add(o, "stream", json_object_new_boolean(1));
	json_object_object_add(so, "include_usage", json_object_new_boolean(1));
	json_object_object_add(o, "stream_options", so);
	if (tools) {
		json_object_object_add(o, "tools", tools_openai_schema());
		/* The history holds tool calls, so the tools stay; the model must now answer. */
		json_object_object_add(o, "tool_choice",
		    json_object_new_string(no_more_tools ? "none" : "auto"));
	}
	s = xstrdup(json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return s;
}

/*
 * Runs the round's tool calls: the assistant turn that asked for them goes
 * into the history, then one "tool" message per call with its result.
 */
static void
run_tools(struct oa_attempt *a, struct json_object *msgs, int round)
{
	const struct llm_sink *sink = a->ans->sink;
	struct json_object *turn = json_object_new_object(), *calls = json_object_new_array();
	char **ids = xcalloc(a->ncalls, sizeof *ids);
	char **results = xcalloc(a->ncalls, sizeof *results);
	size_t i;

	for (i = 0; i < a->ncalls; i++) {
		struct oa_call *c = &a->calls[i];
		struct json_object *call, *fn, *args = NULL;
		const char *argtext;
		char *note = NULL;

		if (!c->used)
			continue;
		ids[i] = c->id.len > 0 ? xstrdup(buf_cstr(&c->id)) :
		    xasprintf("call_%d_%zu", round, i);
		/* Arguments are checked as JSON before any tool runs; "" means none. */
		argtext = c->args.len > 0 ? buf_cstr(&c->args) : "{}";
		args = parse_object(argtext, strlen(argtext));
		if (c->name.len == 0)
			results[i] = xstrdup("{\"ok\":false,\"error\":\"The tool call had no name.\"}");
		else if (args == NULL)
			results[i] = xstrdup("{\"ok\":false,\"error\":\"The arguments were not a valid "
			    "JSON object; nothing was done.\"}");
		else if (sink->tool == NULL)
			results[i] = xstrdup("{\"ok\":false,\"error\":\"Tools are not available "
			    "here.\"}");
		else {
			results[i] = sink->tool(sink->ctx, buf_cstr(&c->name), args, &note);
			free(note);
			if (results[i] == NULL)
				results[i] = xstrdup("{\"ok\":false,\"error\":\"The tool failed.\"}");
		}
		log_debug("llm: openai/%s: tool %s", a->ans->model, buf_cstr(&c->name));

		call = json_object_new_object();
		fn = json_object_new_object();
		json_object_object_add(call, "id", json_object_new_string(ids[i]));
		json_object_object_add(call, "type", json_object_new_string("function"));
		json_object_object_add(fn, "name", json_object_new_string(buf_cstr(&c->name)));
		json_object_object_add(fn, "arguments",
		    json_object_new_string(args != NULL ? argtext : "{}"));
		json_object_object_add(call, "function", fn);
		json_object_array_add(calls, call);
		json_object_put(args);
	}
	json_object_object_add(turn, "role", json_object_new_string("assistant"));
	json_object_object_add(turn, "content", a->text.len > 0 ?
	    json_object_new_string(buf_cstr(&a->text)) : NULL);
	json_object_object_add(turn, "tool_calls", calls);
	json_object_array_add(msgs, turn);
	for (i = 0; i < a->ncalls; i++) {
		struct json_object *m;

		if (ids[i] == NULL)
			continue;
		m = json_object_new_object();
		json_object_object_add(m, "role", json_object_new_string("tool"));
		json_object_object_add(m, "tool_call_id", json_object_new_string(ids[i]));
		json_object_object_add(m, "content", json_object_new_string(results[i]));
		json_object_array_add(msgs, m);
		free(ids[i]);
		free(results[i]);
	}
	free(ids);
	free(results);
}

/* Tokens of one request: as reported, else estimated from what went and came. */
static void
count_tokens(struct oa_attempt *a, const char *body)
{
	struct oa_answer *ans = a->ans;

	if (a->usage) {
		ans->prompt += a->prompt;
		ans->completion += a->completion;
		return;
	}
	ans->estimated = true;
	ans->prompt += llm_estimate_tokens(body);
	ans->completion += llm_estimate_tokens(buf_cstr(&a->text));
	for (size_t i = 0; i < a->ncalls; i++)
		ans->completion += llm_estimate_tokens(buf_cstr(&a->calls[i].args));
}

/* Waits ms, waking to check for a stop. False when stopped. */
static bool
backoff(struct oa_answer *ans, long ms)
{
	while (ms > 0) {
		long step = ms < 100 ? ms : 100;
		struct timespec ts = { 0, step * 1000000L };

		nanosleep(&ts, NULL);
		ms -= step;
		if (ans->sink->cancelled != NULL && ans->sink->cancelled(ans->sink->ctx))
			return false;
	}
	return true;
}

/* 500 ms plus up to 500 ms more, so that many workers do not retry in step; or Retry-After. */
static long
backoff_ms(const struct oa_attempt *a)
{
	struct timespec now;

	if (a->retry_after > 0)
		return (a->retry_after < OA_RETRY_AFTER_MAX ? a->retry_after : OA_RETRY_AFTER_MAX) *
		    1000;
	clock_gettime(CLOCK_REALTIME, &now);
	return OA_BACKOFF_MS + (long)(now.tv_nsec / 1000 % OA_BACKOFF_MS);
}

int
llm_openai_complete(struct worker *w, const char *name, const struct llm_request *req,
    const struct llm_sink *sink, struct llm_result *res)
{
	const struct config *cfg = (w != NULL && w->app != NULL) ? w->app->cfg : NULL;
	struct oa_answer ans;
	struct oa_attempt a;
	struct json_object *msgs;
	struct curl_slist *hdrs = NULL;
	char *url = NULL, *auth = NULL, *body = NULL;
	size_t blen;
	int retries = 1;
	enum oa_outcome out = OA_FAIL;
	CURL *h;

	if (cfg == NULL || (h = oa_handle(w)) == NULL) {
		res->status = LLM_ERROR;
		set_error(res, "The model provider could not be reached (no HTTP client).");
		return -1;
	}
	memset(&ans, 0, sizeof ans);
	ans.cfg = cfg;
	ans.sink = sink;
	ans.model = name;
	ans.max = (size_t)cfg->llm_max_answer;
	clock_gettime(CLOCK_MONOTONIC, &ans.t0);

	blen = strlen(cfg->openai_base_url);
	while (blen > 0 && cfg->openai_base_url[blen - 1] == '/')
		blen--;
	url = xasprintf("%.*s/chat/completions", (int)blen, cfg->openai_base_url);
	if (cfg->openai_api_key != NULL && cfg->openai_api_key[0] != '\0')
		auth = xasprintf("Authorization: Bearer %s", cfg->openai_api_key);
	{
		const char *lines[] = {
			"Content-Type: application/json",
			"Accept: text/event-stream",
			"Expect:",		/* no 100-continue round trip for big histories */
			auth,
		};

		/* Each is checked: a silently missing Authorization would look like a bad key. */
		for (size_t i = 0; i < sizeof lines / sizeof lines[0] && lines[i] != NULL; i++) {
			struct curl_slist *more = curl_slist_append(hdrs, lines[i]);

			if (more == NULL) {
				res->status = LLM_ERROR;
				set_error(res, "The model provider could not be reached (out of memory).");
				goto done;
			}
			hdrs = more;
		}
	}

	msgs = first_messages(req);
	for (int round = 0;; round++) {
		bool last = round == OA_TOOL_ROUNDS;
		long remaining;

		free(body);
		body = request_body(name, msgs, req->tools, last);
		for (;;) {
			remaining = cfg->llm_total_timeout * 1000 - ms_since(&ans.t0);
			if (remaining < 1000)
				remaining = 1000;
			attempt_init(&a, &ans, h);
			out = oa_outcome(&a, oa_perform(&a, url, hdrs, body, remaining), res);
			if (out != OA_RETRY)
				break;
			if (retries-- <= 0) {
				out = OA_FAIL;
				break;
			}
			{
				long wait = backoff_ms(&a);

				if (ms_since(&ans.t0) + wait + 1000 > cfg->llm_total_timeout * 1000) {
					out = OA_FAIL;
					break;
				}
				log_warn("llm: openai/%s: trying again in %ld ms", name, wait);
				attempt_free(&a);
				if (!backoff(&ans, wait)) {
					attempt_init(&a, &ans, h);
					out = OA_STOPPED;
					break;
				}
			}
			res->error[0] = '\0';
		}
		/* Only answered requests count; a refused one used nothing. */
		if (a.mode == OA_MODE_SSE || a.mode == OA_MODE_JSON)
			count_tokens(&a, body);
		if (out != OA_OK) {
			attempt_free(&a);
			break;
		}
		if (a.ncalls > 0 && req->tools && !last) {
			run_tools(&a, msgs, round);
			ans.new_paragraph = ans.text.len > 0;
			attempt_free(&a);
			continue;
		}
		if (a.ncalls > 0 && req->tools && ans.text.len == 0) {
			set_error(res, "The model kept asking for tools without answering.");
			out = OA_FAIL;
		}
		attempt_free(&a);
		break;
	}
	json_object_put(msgs);

	switch (out) {
	case OA_OK:
		res->status = LLM_OK;
		res->error[0] = '\0';
		break;
	case OA_STOPPED:
		res->status = LLM_STOPPED;
		res->error[0] = '\0';
		break;
	case OA_CUT:
		res->status = LLM_TRUNCATED;
		res->error[0] = '\0';
		buf_puts(&ans.text, OA_TRUNC_NOTE);
		if (sink->delta != NULL)
			sink->delta(sink->ctx, OA_TRUNC_NOTE, strlen(OA_TRUNC_NOTE));
		log_warn("llm: openai/%s: the answer was cut at %ld bytes", name,
		    cfg->llm_max_answer);
		break;
	default:
		res->status = LLM_ERROR;
		break;
	}
	res->tokens_prompt = ans.prompt;
	res->tokens_completion = ans.completion;
	res->tokens_total = ans.prompt + ans.completion;
	res->tokens_estimated = ans.estimated;
done:
	res->text = buf_detach(&ans.text);
	curl_slist_free_all(hdrs);
	if (auth != NULL) {
		/* The key should not linger in freed memory. */
		memset(auth, 0, strlen(auth));
		free(auth);
	}
	free(url);
	free(body);
	return res->status == LLM_ERROR ? -1 : 0;
}
