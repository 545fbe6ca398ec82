/* fake_openai.c: a scripted OpenAI-compatible Chat Completions server on loopback, for tests. */

/*
 * fake_openai -P PORTFILE [-p PORT] [-s SCRIPT] [-l LOG]
 *
 * Listens on 127.0.0.1:PORT (0, the default, picks a free one), writes the
 * port to PORTFILE (and stdout), and answers POST .../chat/completions and
 * GET .../models over HTTP/1.1, one thread per connection.
 *
 * Each chat request takes the next step of the script: the lines of the
 * file SCRIPT (re-read at every request; when its content changes, the
 * script starts again from its first line), or of $FAKE_OPENAI_SCRIPT. After
 * the last line, the last line repeats. Blank lines and "#" lines are
 * skipped. In TEXT, "\n" stands for a newline. Steps:
 *
 *	text:TEXT		streams TEXT a word per chunk, then finish_reason
 *				"stop", a usage chunk and [DONE]
 *	nousage:TEXT		the same without the usage chunk
 *	nodone:TEXT		the same without the usage chunk and [DONE]
 *	crlf:TEXT		the same with CRLF line ends, comments, keep-alives
 *				and writes that split lines
 *	json:TEXT		a plain (not streamed) application/json completion
 *	tool:NAME:ARGS[|NAME:ARGS...]	tool calls, ARGS sent in three fragments
 *	status:CODE		HTTP CODE with an OpenAI-style error body
 *	malformed		a good chunk ("Hello"), then a chunk that is not JSON
 *	error-event		a good chunk, then {"error": {...}} in the stream
 *	stall:SECONDS		headers, then nothing for SECONDS, then close
 *	stall-mid:SECONDS	one chunk ("Hello"), then nothing for SECONDS
 *	cut:TEXT		half of TEXT's chunks, then the connection closes
 *	slow:MS:TEXT		TEXT with MS between chunks
 *	huge:BYTES		BYTES of text in 1000-byte chunks
 *	close			closes the connection without answering
 *
 * Usage figures: prompt_tokens = 7 x the number of messages, completion_tokens
 * = the number of content chunks.
 *
 * Every request is appended to LOG as one JSON line: method, path, the
 * Authorization header as received, the step used, the parsed body, and a
 * digest tests can grep: "model", "roles" ("system,user"), "tools"
 * ("add_task,..."), "stream", "include_usage", "tool_choice", "last_user".
 */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#define MAX_HEAD	(64 * 1024)
#define MAX_BODY	(16 * 1024 * 1024)

static const char *script_file;
static const char *log_file;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char *script_seen;	/* the script text the step counter belongs to */
static long step_no;
static long request_no;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("fake_openai: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static char *
read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *s = NULL;
	size_t len = 0, cap = 0, n;

	if (f == NULL)
		return strdup("");
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			s = realloc(s, cap);
			if (s == NULL)
				die("out of memory");
		}
		n = fread(s + len, 1, cap - len - 1, f);
		if (n == 0)
			break;
		len += n;
	}
	fclose(f);
	s[len] = '\0';
	return s;
}

/* The step for this request (caller frees), taken under the lock. */
static char *
next_step(void)
{
	char *text, *line, *save = NULL, *copy, *last = NULL, *pick = NULL;
	long i = 0, want;

	text = script_file != NULL ? read_file(script_file) :
	    strdup(getenv("FAKE_OPENAI_SCRIPT") ? getenv("FAKE_OPENAI_SCRIPT") : "text:Hello");
	pthread_mutex_lock(&lock);
	if (script_seen == NULL || strcmp(script_seen, text) != 0) {
		free(script_seen);
		script_seen = strdup(text);
		step_no = 0;
	}
	want = step_no++;
	pthread_mutex_unlock(&lock);

	copy = strdup(text);
	for (line = strtok_r(copy, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		line[strcspn(line, "\r")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		last = line;
		if (i++ == want) {
			pick = line;
			break;
		}
	}
	pick = strdup(pick != NULL ? pick : last != NULL ? last : "text:Hello");
	free(copy);
	free(text);
	return pick;
}

/* "\n" in script text stands for a newline. In place. */
static void
unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] == 'n') {
			*o++ = '\n';
			s++;
		} else
			*o++ = *s;
	}
	*o = '\0';
}

/*
 * Output
 */

struct conn {
	int	 fd;
	bool	 crlf;		/* crlf mode: CRLF line ends and split writes */
	bool	 broken;
};

static void
send_all(struct conn *c, const char *p, size_t n)
{
	while (n > 0 && !c->broken) {
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			c->broken = true;
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

static void
send_str(struct conn *c, const char *s)
{
	send_all(c, s, strlen(s));
}

/* One HTTP chunk of a chunked body. */
static void
send_chunk(struct conn *c, const char *p, size_t n)
{
	char head[32];

	if (n == 0)
		return;
	snprintf(head, sizeof head, "%zx\r\n", n);
	send_str(c, head);
	send_all(c, p, n);
	send_str(c, "\r\n");
}

static void
send_event_text(struct conn *c, const char *payload)
{
	char *ev;
	size_t n;

	if (c->crlf) {
		/* A comment, a keep-alive, and the event split in the middle of its line. */
		send_chunk(c, ": keep-alive\r\n\r\n", 16);
		n = (size_t)asprintf(&ev, "data: %s\r\n\r\n", payload);
		send_chunk(c, ev, n / 2);
		usleep(2000);
		send_chunk(c, ev + n / 2, n - n / 2);
	} else {
		n = (size_t)asprintf(&ev, "data: %s\n\n", payload);
		send_chunk(c, ev, n);
	}
	free(ev);
}

static void
send_event(struct conn *c, struct json_object *o)
{
	send_event_text(c, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

static struct json_object *
chunk_base(const char *model)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_string("chatcmpl-fake"));
	json_object_object_add(o, "object", json_object_new_string("chat.completion.chunk"));
	json_object_object_add(o, "created", json_object_new_int(1700000000));
	json_object_object_add(o, "model", json_object_new_string(model));
	return o;
}

/* A chunk with one choice whose delta is d (taken), and a finish reason or null. */
static struct json_object *
delta_chunk(const char *model, struct json_object *d, const char *finish)
{
	struct json_object *o = chunk_base(model), *choices = json_object_new_array();
	struct json_object *ch = json_object_new_object();

	json_object_object_add(ch, "index", json_object_new_int(0));
	json_object_object_add(ch, "delta", d);
	json_object_object_add(ch, "finish_reason", finish ? json_object_new_string(finish) : NULL);
	json_object_array_add(choices, ch);
	json_object_object_add(o, "choices", choices);
	return o;
}

static struct json_object *
content_delta(const char *s, size_t n)
{
	struct json_object *d = json_object_new_object();

	json_object_object_add(d, "content", json_object_new_string_len(s, (int)n));
	return d;
}

static void
send_usage(struct conn *c, const char *model, int nmsgs, int nchunks)
{
	struct json_object *o = chunk_base(model), *u = json_object_new_object();

	json_object_object_add(o, "choices", json_object_new_array());
	json_object_object_add(u, "prompt_tokens", json_object_new_int(7 * nmsgs));
	json_object_object_add(u, "completion_tokens", json_object_new_int(nchunks));
	json_object_object_add(u, "total_tokens", json_object_new_int(7 * nmsgs + nchunks));
	json_object_object_add(o, "usage", u);
	send_event(c, o);
}

static void
send_head(struct conn *c, int status, const char *ctype, const char *extra)
{
	char head[512];

	snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n%s"
	    "Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
	    status, status == 200 ? "OK" : "Error", ctype, extra ? extra : "");
	send_str(c, head);
}

static void
send_end(struct conn *c)
{
	send_str(c, "0\r\n\r\n");
}

static void
send_json(struct conn *c, int status, struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);

	send_head(c, status, "application/json", NULL);
	send_chunk(c, s, strlen(s));
	send_end(c);
	json_object_put(o);
}

static void
send_error(struct conn *c, int status, const char *msg)
{
	struct json_object *o = json_object_new_object(), *e = json_object_new_object();

	json_object_object_add(e, "message", json_object_new_string(msg));
	json_object_object_add(e, "type", json_object_new_string("server_error"));
	json_object_object_add(o, "error", e);
	send_json(c, status, o);
}

/* Streams text a word (with its following spaces) per chunk; returns the chunks sent. */
static int
stream_words(struct conn *c, const char *model, const char *text, long delay_ms, int max_chunks)
{
	int n = 0;

	while (*text != '\0' && !c->broken && (max_chunks < 0 || n < max_chunks)) {
		size_t k = strcspn(text, " \n");

		k += strspn(text + k, " \n");
		send_event(c, delta_chunk(model, content_delta(text, k), NULL));
		text += k;
		n++;
		if (delay_ms > 0)
			usleep((useconds_t)delay_ms * 1000);
	}
	return n;
}

static void
send_role(struct conn *c, const char *model)
{
	struct json_object *d = json_object_new_object();

	json_object_object_add(d, "role", json_object_new_string("assistant"));
	json_object_object_add(d, "content", json_object_new_string(""));
	send_event(c, delta_chunk(model, d, NULL));
}

static void
send_finish(struct conn *c, const char *model, const char *why)
{
	send_event(c, delta_chunk(model, json_object_new_object(), why));
}

/* tool:NAME:ARGS|NAME:ARGS */
static void
send_tools(struct conn *c, const char *model, char *spec, int nmsgs)
{
	char *save = NULL, *call;
	int index = 0;

	send_role(c, model);
	for (call = strtok_r(spec, "|", &save); call != NULL; call = strtok_r(NULL, "|", &save)) {
		char *colon = strchr(call, ':'), id[32];
		const char *args = colon ? colon + 1 : "{}";
		size_t n = strlen(args), third = n / 3;
		struct json_object *d, *tcs, *tc, *fn;

		if (colon != NULL)
			*colon = '\0';
		snprintf(id, sizeof id, "call_%d", index + 1);
		/* The first fragment names the call; the arguments follow in pieces. */
		for (int part = 0; part < 3; part++) {
			size_t from = part == 0 ? 0 : part == 1 ? third : 2 * third;
			size_t to = part == 0 ? third : part == 1 ? 2 * third : n;

			d = json_object_new_object();
			tcs = json_object_new_array();
			tc = json_object_new_object();
			fn = json_object_new_object();
			json_object_object_add(tc, "index", json_object_new_int(index));
			if (part == 0) {
				json_object_object_add(tc, "id", json_object_new_string(id));
				json_object_object_add(tc, "type", json_object_new_string("function"));
				json_object_object_add(fn, "name", json_object_new_string(call));
			}
			json_object_object_add(fn, "arguments",
			    json_object_new_string_len(args + from, (int)(to - from)));
			json_object_object_add(tc, "function", fn);
			json_object_array_add(tcs, tc);
			json_object_object_add(d, "tool_calls", tcs);
			send_event(c, delta_chunk(model, d, NULL));
		}
		index++;
	}
	send_finish(c, model, "tool_calls");
	send_usage(c, model, nmsgs, index);
	send_event_text(c, "[DONE]");
	send_end(c);
}

static void
send_plain_completion(struct conn *c, const char *model, const char *text, int nmsgs)
{
	struct json_object *o = json_object_new_object(), *choices = json_object_new_array();
	struct json_object *ch = json_object_new_object(), *m = json_object_new_object();
	struct json_object *u = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_string("chatcmpl-fake"));
	json_object_object_add(o, "object", json_object_new_string("chat.completion"));
	json_object_object_add(o, "model", json_object_new_string(model));
	json_object_object_add(m, "role", json_object_new_string("assistant"));
	json_object_object_add(m, "content", json_object_new_string(text));
	json_object_object_add(ch, "index", json_object_new_int(0));
	json_object_object_add(ch, "message", m);
	json_object_object_add(ch, "finish_reason", json_object_new_string("stop"));
	json_object_array_add(choices, ch);
	json_object_object_add(o, "choices", choices);
	json_object_object_add(u, "prompt_tokens", json_object_new_int(7 * nmsgs));
	json_object_object_add(u, "completion_tokens", json_object_new_int(1));
	json_object_object_add(u, "total_tokens", json_object_new_int(7 * nmsgs + 1));
	json_object_object_add(o, "usage", u);
	send_json(c, 200, o);
}

static void
serve_step(struct conn *c, char *step, const char *model, int nmsgs)
{
	char *arg = strchr(step, ':');
	const char *sse = "text/event-stream";
	int n;

	if (arg != NULL)
		*arg++ = '\0';
	else
		arg = step + strlen(step);	/* "": a writable empty string */
	unescape(arg);

	if (strcmp(step, "text") == 0 || strcmp(step, "nousage") == 0 ||
	    strcmp(step, "nodone") == 0 || strcmp(step, "crlf") == 0) {
		send_head(c, 200, sse, NULL);
		c->crlf = strcmp(step, "crlf") == 0;
		send_role(c, model);
		n = stream_words(c, model, arg, 0, -1);
		send_finish(c, model, "stop");
		if (strcmp(step, "text") == 0 || strcmp(step, "crlf") == 0)
			send_usage(c, model, nmsgs, n);
		if (strcmp(step, "nodone") != 0)
			send_event_text(c, "[DONE]");
		send_end(c);
	} else if (strcmp(step, "json") == 0) {
		send_plain_completion(c, model, arg, nmsgs);
	} else if (strcmp(step, "tool") == 0) {
		send_head(c, 200, sse, NULL);
		send_tools(c, model, arg, nmsgs);
	} else if (strcmp(step, "status") == 0) {
		send_error(c, atoi(arg), "fake failure");
	} else if (strcmp(step, "malformed") == 0) {
		send_head(c, 200, sse, NULL);
		send_role(c, model);
		stream_words(c, model, "Hello", 0, -1);
		send_event_text(c, "{\"choices\": [{\"delta\": {\"content\": \"broken");
		send_event_text(c, "[DONE]");
		send_end(c);
	} else if (strcmp(step, "error-event") == 0) {
		send_head(c, 200, sse, NULL);
		send_role(c, model);
		stream_words(c, model, "Hello", 0, -1);
		send_event_text(c, "{\"error\": {\"message\": \"the fake is overloaded\"}}");
		send_end(c);
	} else if (strcmp(step, "stall") == 0) {
		send_head(c, 200, sse, NULL);
		sleep((unsigned)atoi(arg));
	} else if (strcmp(step, "stall-mid") == 0) {
		send_head(c, 200, sse, NULL);
		send_role(c, model);
		stream_words(c, model, "Hello", 0, -1);
		sleep((unsigned)atoi(arg));
	} else if (strcmp(step, "cut") == 0) {
		int words = 0;

		for (const char *p = arg; *p; p++)
			if (*p == ' ')
				words++;
		send_head(c, 200, sse, NULL);
		send_role(c, model);
		stream_words(c, model, arg, 0, (words + 1) / 2);
		/* No finish, no [DONE], no last chunk: the connection just ends. */
	} else if (strcmp(step, "slow") == 0) {
		char *text = strchr(arg, ':');
		long ms = atol(arg);

		text = text ? text + 1 : "slow answer";
		send_head(c, 200, sse, NULL);
		send_role(c, model);
		n = stream_words(c, model, text, ms, -1);
		send_finish(c, model, "stop");
		send_usage(c, model, nmsgs, n);
		send_event_text(c, "[DONE]");
		send_end(c);
	} else if (strcmp(step, "huge") == 0) {
		long total = atol(arg), sent = 0;
		char piece[1001];

		for (int i = 0; i < 1000; i++)
			piece[i] = "lorem ipsum "[i % 12];
		send_head(c, 200, sse, NULL);
		send_role(c, model);
		n = 0;
		while (sent < total && !c->broken) {
			size_t k = total - sent < 1000 ? (size_t)(total - sent) : 1000;

			send_event(c, delta_chunk(model, content_delta(piece, k), NULL));
			sent += (long)k;
			n++;
		}
		send_finish(c, model, "stop");
		send_usage(c, model, nmsgs, n);
		send_event_text(c, "[DONE]");
		send_end(c);
	} else if (strcmp(step, "close") == 0) {
		/* Nothing at all. */
	} else {
		send_error(c, 500, "fake_openai: unknown script step");
	}
}

/*
 * Input
 */

/* Appends one JSON line about the request to the log. */
static void
log_request(const char *method, const char *path, const char *auth, const char *step,
    struct json_object *body, const char *raw)
{
	struct json_object *o = json_object_new_object(), *v, *a;
	char roles[1024] = "", tools[1024] = "";
	FILE *f;

	json_object_object_add(o, "n", json_object_new_int64(request_no));
	json_object_object_add(o, "method", json_object_new_string(method));
	json_object_object_add(o, "path", json_object_new_string(path));
	json_object_object_add(o, "authorization", auth ? json_object_new_string(auth) : NULL);
	json_object_object_add(o, "step", step ? json_object_new_string(step) : NULL);
	if (body != NULL) {
		if (json_object_object_get_ex(body, "model", &v))
			json_object_object_add(o, "model", json_object_get(v));
		if (json_object_object_get_ex(body, "messages", &a) &&
		    json_object_is_type(a, json_type_array)) {
			const char *last_user = NULL;

			for (size_t i = 0; i < json_object_array_length(a); i++) {
				struct json_object *m = json_object_array_get_idx(a, i), *r, *ct;

				if (json_object_object_get_ex(m, "role", &r)) {
					if (roles[0])
						strncat(roles, ",", sizeof roles - strlen(roles) - 1);
					strncat(roles, json_object_get_string(r),
					    sizeof roles - strlen(roles) - 1);
					if (strcmp(json_object_get_string(r), "user") == 0 &&
					    json_object_object_get_ex(m, "content", &ct))
						last_user = json_object_get_string(ct);
				}
			}
			json_object_object_add(o, "roles", json_object_new_string(roles));
			if (last_user != NULL)
				json_object_object_add(o, "last_user", json_object_new_string(last_user));
		}
		if (json_object_object_get_ex(body, "tools", &a) &&
		    json_object_is_type(a, json_type_array)) {
			for (size_t i = 0; i < json_object_array_length(a); i++) {
				struct json_object *t = json_object_array_get_idx(a, i), *fn, *nm;

				if (json_object_object_get_ex(t, "function", &fn) &&
				    json_object_object_get_ex(fn, "name", &nm)) {
					if (tools[0])
						strncat(tools, ",", sizeof tools - strlen(tools) - 1);
					strncat(tools, json_object_get_string(nm),
					    sizeof tools - strlen(tools) - 1);
				}
			}
			json_object_object_add(o, "tools", json_object_new_string(tools));
		}
		if (json_object_object_get_ex(body, "stream", &v))
			json_object_object_add(o, "stream", json_object_get(v));
		if (json_object_object_get_ex(body, "stream_options", &v) &&
		    json_object_object_get_ex(v, "include_usage", &v))
			json_object_object_add(o, "include_usage", json_object_get(v));
		if (json_object_object_get_ex(body, "tool_choice", &v))
			json_object_object_add(o, "tool_choice", json_object_get(v));
		json_object_object_add(o, "body", json_object_get(body));
	} else if (raw != NULL)
		json_object_object_add(o, "raw", json_object_new_string(raw));

	if (log_file != NULL && (f = fopen(log_file, "a")) != NULL) {
		fprintf(f, "%s\n", json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		fclose(f);
	}
	json_object_put(o);
}

/* The value of header name in head (lower-cased names compared), or NULL. Caller frees. */
static char *
header(const char *head, const char *name)
{
	size_t k = strlen(name);
	const char *p = strstr(head, "\r\n");

	while (p != NULL && p[2] != '\0') {
		p += 2;
		if (strncasecmp(p, name, k) == 0 && p[k] == ':') {
			const char *v = p + k + 1, *e = strstr(v, "\r\n");

			while (*v == ' ' || *v == '\t')
				v++;
			return strndup(v, e ? (size_t)(e - v) : strlen(v));
		}
		p = strstr(p, "\r\n");
	}
	return NULL;
}

static void *
serve_conn(void *arg)
{
	struct conn c = { .fd = (int)(long)arg };
	char *head = malloc(MAX_HEAD + 1), *body = NULL, *end = NULL, *cl, *auth, *expect;
	char method[16] = "", path[1024] = "";
	size_t len = 0, blen = 0, want = 0;
	struct json_object *req = NULL, *v;

	if (head == NULL)
		goto out;
	while (len < MAX_HEAD) {
		ssize_t r = recv(c.fd, head + len, MAX_HEAD - len, 0);

		if (r <= 0)
			goto out;
		len += (size_t)r;
		head[len] = '\0';
		if ((end = strstr(head, "\r\n\r\n")) != NULL)
			break;
	}
	if (end == NULL)
		goto out;
	end[2] = '\0';		/* head: request line and headers, each ending in CRLF */
	if (sscanf(head, "%15s %1023s", method, path) != 2)
		goto out;
	cl = header(head, "content-length");
	auth = header(head, "authorization");
	expect = header(head, "expect");
	want = cl ? strtoul(cl, NULL, 10) : 0;
	free(cl);
	if (want > MAX_BODY)
		want = MAX_BODY;
	if (expect != NULL && strcasecmp(expect, "100-continue") == 0)
		send_str(&c, "HTTP/1.1 100 Continue\r\n\r\n");
	free(expect);
	body = malloc(want + 1);
	if (body == NULL)
		goto out_auth;
	blen = len - (size_t)(end + 4 - head);
	if (blen > want)
		blen = want;
	memcpy(body, end + 4, blen);
	while (blen < want) {
		ssize_t r = recv(c.fd, body + blen, want - blen, 0);

		if (r <= 0)
			break;
		blen += (size_t)r;
	}
	body[blen] = '\0';

	pthread_mutex_lock(&lock);
	request_no++;
	pthread_mutex_unlock(&lock);

	if (strcmp(method, "GET") == 0 && strstr(path, "/models") != NULL) {
		struct json_object *o = json_object_new_object(), *d = json_object_new_array();
		struct json_object *m = json_object_new_object();

		log_request(method, path, auth, NULL, NULL, NULL);
		json_object_object_add(m, "id", json_object_new_string("fake-model"));
		json_object_object_add(m, "object", json_object_new_string("model"));
		json_object_array_add(d, m);
		json_object_object_add(o, "object", json_object_new_string("list"));
		json_object_object_add(o, "data", d);
		send_json(&c, 200, o);
	} else if (strcmp(method, "POST") == 0 && strstr(path, "/chat/completions") != NULL) {
		char *step;
		const char *model = "fake-model";
		int nmsgs = 0;

		req = json_tokener_parse(body);
		if (req == NULL || !json_object_is_type(req, json_type_object)) {
			log_request(method, path, auth, NULL, NULL, body);
			send_error(&c, 400, "the body is not a JSON object");
			goto out_auth;
		}
		/* A request a real server would refuse is refused here too. */
		if (!json_object_object_get_ex(req, "model", &v) ||
		    !json_object_is_type(v, json_type_string)) {
			log_request(method, path, auth, NULL, req, NULL);
			send_error(&c, 400, "model is required");
			goto out_auth;
		}
		model = json_object_get_string(v);
		if (!json_object_object_get_ex(req, "messages", &v) ||
		    !json_object_is_type(v, json_type_array) || json_object_array_length(v) == 0) {
			log_request(method, path, auth, NULL, req, NULL);
			send_error(&c, 400, "messages are required");
			goto out_auth;
		}
		nmsgs = (int)json_object_array_length(v);
		step = next_step();
		log_request(method, path, auth, step, req, NULL);
		serve_step(&c, step, model, nmsgs);
		free(step);
	} else {
		log_request(method, path, auth, NULL, NULL, NULL);
		send_error(&c, 404, "no such endpoint");
	}
out_auth:
	free(auth);
out:
	json_object_put(req);
	free(body);
	free(head);
	close(c.fd);
	return NULL;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa;
	socklen_t salen = sizeof sa;
	const char *port_file = NULL;
	int port = 0, fd, opt, one = 1;
	pthread_attr_t attr;

	/* Built as a check program, make check runs it bare: it is a helper, not a test. */
	if (argc == 1) {
		puts("1..0 # SKIP test helper (run by t/0300-llm-openai.t)");
		return 0;
	}
	while ((opt = getopt(argc, argv, "p:P:s:l:")) != -1) {
		switch (opt) {
		case 'p':
			port = atoi(optarg);
			break;
		case 'P':
			port_file = optarg;
			break;
		case 's':
			script_file = optarg;
			break;
		case 'l':
			log_file = optarg;
			break;
		default:
			die("usage: fake_openai -P PORTFILE [-p PORT] [-s SCRIPT] [-l LOG]");
		}
	}
	signal(SIGPIPE, SIG_IGN);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		die("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == -1)
		die("bind 127.0.0.1:%d: %s", port, strerror(errno));
	if (listen(fd, 256) == -1)
		die("listen: %s", strerror(errno));
	if (getsockname(fd, (struct sockaddr *)&sa, &salen) == -1)
		die("getsockname: %s", strerror(errno));
	port = ntohs(sa.sin_port);
	printf("%d\n", port);
	fflush(stdout);
	if (port_file != NULL) {
		char tmp[4096];
		FILE *f;

		/* Written whole, then renamed: a reader never sees half a number. */
		snprintf(tmp, sizeof tmp, "%s.tmp", port_file);
		if ((f = fopen(tmp, "w")) == NULL)
			die("%s: %s", tmp, strerror(errno));
		fprintf(f, "%d\n", port);
		if (fclose(f) != 0 || rename(tmp, port_file) != 0)
			die("%s: %s", port_file, strerror(errno));
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (;;) {
		int cfd = accept(fd, NULL, NULL);
		pthread_t t;

		if (cfd == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			die("accept: %s", strerror(errno));
		}
		if (pthread_create(&t, &attr, serve_conn, (void *)(long)cfd) != 0)
			close(cfd);
	}
}
