/* worker.c: worker threads, the FastCGI accept loop, and the request pipeline. */
#include "worker.h"

#include <errno.h>
#ifdef HAVE_MALLOC_TRIM
#include <malloc.h>
#endif
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <json-c/json.h>
#include <sodium.h>

#include "config.h"
#include "db.h"
#include "llm.h"
#include "log.h"
#include "prefetch.h"
#include "response.h"
#include "routes.h"
#include "session.h"
#include "xalloc.h"

/* How long a kept FastCGI connection may stay idle (SO_RCVTIMEO in serve.c). */
#define IDLE_TIMEOUT_MS	2000

/*
 * A thread's answer buffers up to this size are kept for the next request
 * (a conversation page is about 70 KB: growing it again on every request
 * cost page faults and copies); a larger one is let go after its answer.
 */
#define KEEP_BUFFER_BYTES	(256 * 1024)

/*
 * Free memory an arena may keep on top of its heap before free() gives it
 * back. glibc's 128 KB made every large page return its memory to the
 * system at the end of the request and fault it back in at the start of
 * the next; the idle trim (trim_when_idle) gives it back instead.
 */
#define TRIM_THRESHOLD_BYTES	(4 * 1024 * 1024)
#define MMAP_THRESHOLD_BYTES	(1024 * 1024)	/* blocks this large get their own mapping */

struct slot {
	pthread_t	 tid;
	atomic_int	 busy;		/* 1 while serving a request: not to be interrupted */
	atomic_int	 done;		/* 1 once the thread has left its loop */
	atomic_uint	 served;	/* requests served, for the idle trim */
	const atomic_int *stop;
	int		 listen_fd;
	struct worker	 w;
};

/* Only there to interrupt accept(2); the flag it acts on is checked by the loop. */
static void
on_wake(int sig)
{
	(void)sig;
}

/* ---- the pipeline ---- */

/* Accepts nginx's request id when it looks like one, or makes a new one. */
static void
set_request_id(struct req *r)
{
	const char *given = req_env(r, "HTTP_X_REQUEST_ID");
	size_t n;

	if (given != NULL && (n = strlen(given)) > 0 && n < sizeof r->request_id &&
	    strspn(given, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == n) {
		memcpy(r->request_id, given, n + 1);
		return;
	}
	unsigned char raw[16];
	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(r->request_id, sizeof r->request_id, raw, sizeof raw);
}

/* Reads the body; answers 413 or 400 itself and returns -1 when it cannot be taken. */
static int
read_body(struct req *r)
{
	const char *cl = req_env(r, "CONTENT_LENGTH");
	long long len = 0;
	char *end;

	if (cl != NULL && *cl != '\0') {
		errno = 0;
		len = strtoll(cl, &end, 10);
		if (errno != 0 || *end != '\0' || len < 0) {
			resp_error(r, 400, "bad_request", "The Content-Length header is not a number.");
			return -1;
		}
	}
	if (len > r->cfg->max_body) {
		resp_error(r, 413, "too_large",
		    "The request body is larger than the limit of %ld bytes.", r->cfg->max_body);
		return -1;
	}
	if (len == 0)
		return 0;
	r->body = xmalloc((size_t)len + 1);
	int got = FCGX_GetStr(r->body, (int)len, r->fcgx->in);
	if (got != (int)len) {
		resp_error(r, 400, "bad_request", "The request body ended early.");
		return -1;
	}
	r->body[len] = '\0';
	r->body_len = (size_t)len;
	return 0;
}

/* Decodes the body by its media type into r->form or r->json. */
static int
decode_body(struct req *r)
{
	bool api = (r->route->flags & RF_API) != 0;
	enum parse_err e;

	parse_media_type(req_env(r, "CONTENT_TYPE"), r->media_type, sizeof r->media_type);
	if (r->body_len == 0)
		return 0;
	if (strcmp(r->media_type, "application/json") == 0) {
		e = parse_json(r->body, r->body_len, &r->json);
	} else if (!api && strcmp(r->media_type, "application/x-www-form-urlencoded") == 0) {
		e = parse_urlencoded(r->body, r->body_len, &r->form);
	} else {
		resp_error(r, 415, "unsupported_media_type", api ?
		    "Send the request body as application/json." :
		    "Send the form as application/x-www-form-urlencoded.");
		return -1;
	}
	if (e != PARSE_OK) {
		resp_error(r, 400,
		    "bad_request", "%s", parse_strerror(e));
		return -1;
	}
	return 0;
}

static bool
is_write(const char *method)
{
	return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
}

static void
dispatch(struct req *r)
{
	char allow[128];
	const char *qs;
	int st;
	enum parse_err e;

	st = router_match(routes, nroutes, r->method, r->path, &r->route, &r->params,
	    allow, sizeof allow);
	if (st == 404) {
		resp_error(r, 404, "not_found", "There is no page at this address.");
		return;
	}
	if (st == 405) {
		resp_header(r, "Allow", allow);
		resp_error(r, 405, "method_not_allowed",
		    "This address does not accept %s requests (it accepts %s).", r->method, allow);
		return;
	}
	if (st != 200) {
		resp_error(r, 400, "bad_request", "The address is not properly encoded.");
		return;
	}
	qs = r->query_string;
	if (qs != NULL && *qs != '\0' &&
	    (e = parse_urlencoded(qs, strlen(qs), &r->query)) != PARSE_OK) {
		resp_error(r, 400, "bad_request", "The query string: %s", parse_strerror(e));
		return;
	}
	if (read_body(r) == -1 || decode_body(r) == -1)
		return;
	if (r->route->flags & RF_NODB) {
		r->route->fn(r);
		return;
	}
	if (session_load(r) == -1)
		return;			/* answered: database down, or a revoked token */
	if ((r->route->flags & RF_LOGIN) && r->user == NULL) {
		session_require_login(r);
		return;
	}
	if (is_write(r->method) && !(r->route->flags & RF_NOCSRF) && !r->via_bearer &&
	    !session_csrf_ok(r)) {
		resp_error(r, 403, "csrf",
		    "This form has expired or did not come from Parley. Reload the page and try again.");
		return;
	}
	r->route->fn(r);
}

static void
req_free(struct req *r)
{
	free(r->path);
	kvlist_free(&r->query);
	kvlist_free(&r->form);
	kvlist_free(&r->cookies);
	if (r->json != NULL)
		json_object_put(r->json);
	free(r->body);
	route_params_free(&r->params);
	session_user_free(r->user);
}

void
worker_serve(struct worker *w, FCGX_Request *fr)
{
	struct req r;
	struct timespec end;
	const char *uri, *q, *cookie;

	memset(&r, 0, sizeof r);
	clock_gettime(CLOCK_MONOTONIC, &r.started);
	r.w = w;
	r.cfg = w->app->cfg;
	r.fcgx = fr;
	buf_reset(&w->hdr);
	kvlist_init(&r.query);
	kvlist_init(&r.form);
	kvlist_init(&r.cookies);

	r.method = req_env(&r, "REQUEST_METHOD");
	if (r.method == NULL)
		r.method = "GET";
	uri = req_env(&r, "REQUEST_URI");
	if (uri == NULL)
		uri = req_env(&r, "SCRIPT_NAME");
	if (uri == NULL || *uri == '\0')
		uri = "/";
	q = strchr(uri, '?');
	r.path = q != NULL ? xstrndup(uri, (size_t)(q - uri)) : xstrdup(uri);
	r.query_string = req_env(&r, "QUERY_STRING");
	r.remote_addr = req_env(&r, "REMOTE_ADDR");
	r.user_agent = req_env(&r, "HTTP_USER_AGENT");
	r.accept = req_env(&r, "HTTP_ACCEPT");
	set_request_id(&r);
	cookie = req_env(&r, "HTTP_COOKIE");
	if (cookie != NULL)
		(void)parse_cookies(cookie, &r.cookies);	/* a cookie bomb drops the extras */

	dispatch(&r);
	db_request_end(w->db);	/* the connection goes back to the pool, and reads kept ahead go */
	resp_finish(&r);

	clock_gettime(CLOCK_MONOTONIC, &end);
	log_access(r.request_id, r.method, r.path, r.status,
	    (long long)(end.tv_sec - r.started.tv_sec) * 1000000 +
	    (end.tv_nsec - r.started.tv_nsec) / 1000);
	req_free(&r);
}

/* ---- threads ---- */

static void *
thread_main(void *arg)
{
	struct slot *s = arg;
	FCGX_Request fr;

	if (FCGX_InitRequest(&fr, s->listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
		log_error("worker thread %d: cannot set up a FastCGI request", s->w.index);
		atomic_store(&s->done, 1);
		return NULL;
	}
	while (!atomic_load(s->stop)) {
		/*
		 * On a kept connection, wait for nginx's next request in poll(2), not
		 * in libfcgi's read(2): a thread asleep in read on a unix socket is also
		 * woken each time nginx takes in the answer it wrote (the socket's
		 * write-space wake-up), only to sleep again, a second context switch per
		 * request; poll waits for input alone. After the receive timeout the
		 * idle connection is closed, as libfcgi's read would. (ipcFd is below
		 * fcgiapp.h's "don't use" line, but its only handle on the connection.)
		 */
		if (fr.ipcFd >= 0) {
			struct pollfd pfd = { .fd = fr.ipcFd, .events = POLLIN };
			int n = poll(&pfd, 1, IDLE_TIMEOUT_MS);
			if (n == -1 && errno == EINTR)
				continue;	/* a wake-up signal: look at the stop flag */
			if (n == 0) {
				FCGX_Free(&fr, 1);
				continue;
			}
		}
		int rc = FCGX_Accept_r(&fr);
		if (rc < 0) {
			/* Timeouts (SO_RCVTIMEO) and wake-up signals land here by design. */
			if (rc != -EINTR && rc != -EAGAIN && rc != -EWOULDBLOCK &&
			    !atomic_load(s->stop)) {
				log_warn("worker thread %d: accept failed: %s", s->w.index,
				    strerror(-rc));
				usleep(10000);
			}
			continue;
		}
		atomic_store(&s->busy, 1);
		worker_serve(&s->w, &fr);
		FCGX_Finish_r(&fr);
		/* One large page must not pin its buffer in every thread for good. */
		if (s->w.out.cap > KEEP_BUFFER_BYTES)
			buf_free(&s->w.out);
		if (s->w.hdr.cap > KEEP_BUFFER_BYTES)
			buf_free(&s->w.hdr);
		if (s->w.page.cap > KEEP_BUFFER_BYTES)
			buf_free(&s->w.page);
		atomic_fetch_add(&s->served, 1);
		atomic_store(&s->busy, 0);
	}
	FCGX_Free(&fr, 1);
	llm_thread_cleanup(&s->w);
	atomic_store(&s->done, 1);
	return NULL;
}

/*
 * Gives freed memory back to the system once the worker has served requests
 * and gone idle. With many threads, glibc keeps an arena per few threads, and
 * an arena's heap only shrinks from its top: without this, a worker keeps the
 * most its threads ever used at the same time, which creeps up under a long
 * mixed load although nothing leaks. Called by the main thread only.
 */
static void
trim_when_idle(struct slot *slots, int n, unsigned *last_served)
{
	unsigned served = 0;

	for (int i = 0; i < n; i++) {
		if (atomic_load(&slots[i].busy))
			return;
		served += atomic_load(&slots[i].served);
	}
	if (served == *last_served)
		return;
	*last_served = served;
#ifdef HAVE_MALLOC_TRIM
	malloc_trim(0);
#endif
}

static int
all_done(struct slot *slots, int n)
{
	for (int i = 0; i < n; i++)
		if (!atomic_load(&slots[i].done))
			return 0;
	return 1;
}

int
worker_main(const struct app *app, int listen_fd, int nthreads)
{
	struct sigaction sa;
	sigset_t waitset, old;
	pthread_attr_t attr;
	struct slot *slots;
	struct db_pool *pool;
	atomic_int stop = 0;
	int sig, started = 0;

	/* Die with the supervisor rather than serve on without it. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1)
		log_warn("worker: cannot ask to be told of the supervisor's death: %s", strerror(errno));

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_wake;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;		/* no SA_RESTART: the point is to interrupt accept() */
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	if (FCGX_Init() != 0) {
		log_error("worker: the FastCGI library failed to start");
		return 1;
	}

	/* Threads take SIGUSR1 only; the main thread waits for the rest. */
	sigemptyset(&waitset);
	sigaddset(&waitset, SIGTERM);
	sigaddset(&waitset, SIGINT);
	sigaddset(&waitset, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &waitset, &old);

#if defined(HAVE_MALLOC_TRIM) && defined(M_TRIM_THRESHOLD) && defined(M_MMAP_THRESHOLD)
	/*
	 * Setting the trim threshold also freezes glibc's mmap threshold at
	 * 128 KB, which would map and unmap every larger block (a big page's
	 * buffer, a long query result) each time: raise that too.
	 */
	if (mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES) != 1 ||
	    mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) != 1)
		log_warn("worker: cannot set the C library's trim and mmap thresholds");
#endif
	slots = xcalloc((size_t)nthreads, sizeof *slots);
	pool = db_pool_new((size_t)app->cfg->db_connections);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 1024 * 1024);
	for (int i = 0; i < nthreads; i++) {
		struct slot *s = &slots[i];
		s->stop = &stop;
		s->listen_fd = listen_fd;
		s->w.index = i;
		s->w.app = app;
		s->w.db = db_new(app->cfg->database_url, app->cfg->prepared_statements);
		db_use_pool(s->w.db, pool);
		s->w.seen = prefetch_seen_new();
		buf_init(&s->w.out);
		buf_init(&s->w.hdr);
		buf_init(&s->w.page);
		if (pthread_create(&s->tid, &attr, thread_main, s) != 0) {
			log_error("worker: cannot start thread %d: %s", i, strerror(errno));
			db_free(s->w.db);
			s->w.db = NULL;
			prefetch_seen_free(s->w.seen);
			s->w.seen = NULL;
			atomic_store(&s->done, 1);
			continue;
		}
		started++;
	}
	pthread_attr_destroy(&attr);
	if (started == 0) {
		log_error("worker: no thread could be started");
		return 1;
	}

	unsigned last_served = 0;
	for (;;) {
		const struct timespec tick = { .tv_sec = 1 };

		sig = sigtimedwait(&waitset, NULL, &tick);
		if (sig == -1) {
			if (errno == EAGAIN)
				trim_when_idle(slots, nthreads, &last_served);
			continue;
		}
		if (sig == SIGTERM || sig == SIGINT)
			break;
		/* SIGHUP goes to the supervisor, which replaces workers; ignore it here. */
	}

	/* Drain: no new requests; idle threads are woken, busy ones finish. */
	atomic_store(&stop, 1);
	FCGX_ShutdownPending();
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		for (int i = 0; i < nthreads; i++)
			if (!atomic_load(&slots[i].done) && !atomic_load(&slots[i].busy))
				pthread_kill(slots[i].tid, SIGUSR1);
		if (all_done(slots, nthreads))
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec >= app->cfg->drain_timeout) {
			log_warn("worker: requests still running after %lds; leaving them",
			    app->cfg->drain_timeout);
			return WORKER_LEFT_RUNNING;
		}
		usleep(20000);
	}
	for (int i = 0; i < nthreads; i++) {
		if (slots[i].w.db == NULL)
			continue;
		pthread_join(slots[i].tid, NULL);
		db_free(slots[i].w.db);
		prefetch_seen_free(slots[i].w.seen);
		buf_free(&slots[i].w.out);
		buf_free(&slots[i].w.hdr);
		buf_free(&slots[i].w.page);
	}
	free(slots);
	db_pool_free(pool);
	(void)old;
	return 0;
}
