/* serve.c: the supervisor: binds the FastCGI socket, forks workers, restarts,
 * reloads and drains them.
 *
 * Signals are taken synchronously with sigtimedwait(2), so the supervisor has
 * no signal handlers and no state shared with them. A reload (SIGHUP) starts
 * a new generation of workers with the new configuration and templates, then
 * asks the old generation to finish what it is doing and leave; both share the
 * listening socket, so no request is refused in between. */
#include "serve.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
/* AddressSanitizer's flag: gcc defines the macro, clang has the feature test. */
#if defined(__SANITIZE_ADDRESS__)
#define PARLEY_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PARLEY_ASAN 1
#endif
#endif
#ifdef PARLEY_ASAN
#include <sanitizer/lsan_interface.h>
#endif

#include "auth.h"
#include "config.h"
#include "log.h"
#include "template.h"
#include "worker.h"
#include "xalloc.h"

#define MAX_WORKERS	256

struct child {
	pid_t		 pid;
	int		 generation;
	struct timespec	 started;
};

struct supervisor {
	const char	*config_file;
	struct config	 cfg;
	struct tmpl_set	*tmpl;
	int		 listen_fd;
	char		*unix_path;	/* to unlink at exit; NULL for TCP or inherited sockets */
	int		 nworkers;
	int		 nthreads;
	int		 generation;
	struct child	 kids[MAX_WORKERS * 2];
};

static const char usage[] =
	"usage: parley serve [--listen unix:PATH | HOST:PORT] [--workers N] [--threads T] [--config FILE]\n";

/* ---- the listening socket ---- */

static int
listen_unix(struct supervisor *s, const char *path)
{
	struct sockaddr_un sun;
	int fd;

	if (strlen(path) >= sizeof sun.sun_path) {
		log_error("serve: socket path too long: %s", path);
		return -1;
	}
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);

	/* A socket file that still answers belongs to a running server: leave it alone. */
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		log_error("serve: socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0) {
		close(fd);
		log_error("serve: %s is in use by another running server", path);
		return -1;
	}
	close(fd);
	struct stat st;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_error("serve: %s exists and is not a socket; not replacing it", path);
			return -1;
		}
		unlink(path);		/* stale, left by a server that died */
	}

	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1) {
		log_error("serve: socket: %s", strerror(errno));
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		log_error("serve: cannot bind %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	/* nginx usually runs as another user; access is governed by the folder. */
	if (chmod(path, 0666) == -1)
		log_warn("serve: chmod %s: %s", path, strerror(errno));
	s->unix_path = xstrdup(path);
	return fd;
}

static int
listen_tcp(const char *spec)
{
	struct addrinfo hints, *ai, *p;
	char host[256];
	const char *colon = strrchr(spec, ':');
	int fd = -1, rc, one = 1;

	if (colon == NULL || colon[1] == '\0' || (size_t)(colon - spec) >= sizeof host) {
		log_error("serve: --listen wants unix:PATH or HOST:PORT, not %s", spec);
		return -1;
	}
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	/* [::1]:9000 */
	char *h = host;
	if (h[0] == '[' && h[strlen(h) - 1] == ']') {
		h[strlen(h) - 1] = '\0';
		h++;
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if ((rc = getaddrinfo(*h ? h : NULL, colon + 1, &hints, &ai)) != 0) {
		log_error("serve: cannot resolve %s: %s", spec, gai_strerror(rc));
		return -1;
	}
	for (p = ai; p != NULL; p = p->ai_next) {
		if ((fd = socket(p->ai_family, p->ai_socktype, p->ai_protocol)) == -1)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(fd, p->ai_addr, p->ai_addrlen) == 0)
			break;
		rc = errno;
		close(fd);
		fd = -1;
		errno = rc;
	}
	freeaddrinfo(ai);
	if (fd == -1)
		log_error("serve: cannot bind %s: %s", spec, strerror(errno));
	return fd;
}

static int
open_listener(struct supervisor *s, const char *spec)
{
	int fd, val = 0;
	socklen_t len = sizeof val;

	if (spec == NULL) {
		/* spawn-fcgi and systemd-style: the socket is already on fd 0. */
		if (getsockopt(0, SOL_SOCKET, SO_ACCEPTCONN, &val, &len) == -1 || !val) {
			log_error("serve: no --listen given, and standard input is not a listening socket");
			return -1;
		}
		fd = 0;
	} else if (strncmp(spec, "unix:", 5) == 0) {
		if ((fd = listen_unix(s, spec + 5)) == -1)
			return -1;
	} else if ((fd = listen_tcp(spec)) == -1) {
		return -1;
	}
	if (fd != 0 && listen(fd, 1024) == -1) {
		log_error("serve: listen: %s", strerror(errno));
		close(fd);
		return -1;
	}
	/*
	 * Accepted connections inherit these. The receive timeout wakes idle
	 * threads regularly (to notice a drain) and closes kept-alive nginx
	 * connections that went quiet, so they cannot hold a thread forever;
	 * the send timeout ends streams to clients that stopped reading.
	 */
	struct timeval rcv = { 2, 0 }, snd = { 30, 0 };
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &rcv, sizeof rcv) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &snd, sizeof snd) == -1)
		log_warn("serve: cannot set socket timeouts: %s", strerror(errno));
	return fd;
}

/* ---- workers ---- */

/*
 * A worker ends with _exit(), so the supervisor's atexit handlers and stdio
 * buffers it inherited do not run twice; that also skips LeakSanitizer's check
 * at exit. A sanitized build checks here instead, once the drain has freed
 * what the threads held, so memory lost per request fails the tests.
 */
static void
worker_leak_check(void)
{
#ifdef PARLEY_ASAN
	__lsan_do_leak_check();
#endif
}

static int
spawn(struct supervisor *s, int slot)
{
	sigset_t none;
	pid_t pid;

	pid = fork();
	if (pid == -1) {
		log_error("serve: fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		struct app app = { .cfg = &s->cfg, .tmpl = s->tmpl,
		    .hash_gate = hash_gate_new(s->cfg.hash_concurrency) };
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		log_set_process();
		/* libsodium's generator must not share state across fork. */
		if (sodium_init() < 0)
			_exit(1);
		int rc = worker_main(&app, s->listen_fd, s->nthreads);
		if (rc == WORKER_LEFT_RUNNING)
			_exit(0);
		hash_gate_free(app.hash_gate);
		worker_leak_check();
		_exit(rc);
	}
	s->kids[slot].pid = pid;
	s->kids[slot].generation = s->generation;
	clock_gettime(CLOCK_MONOTONIC, &s->kids[slot].started);
	return 0;
}

static int
free_slot(struct supervisor *s)
{
	for (int i = 0; i < MAX_WORKERS * 2; i++)
		if (s->kids[i].pid == 0)
			return i;
	return -1;
}

static int
count_current(struct supervisor *s)
{
	int n = 0;

	for (int i = 0; i < MAX_WORKERS * 2; i++)
		if (s->kids[i].pid != 0 && s->kids[i].generation == s->generation)
			n++;
	return n;
}

/* Starts workers until the current generation is complete. */
static void
fill(struct supervisor *s)
{
	while (count_current(s) < s->nworkers) {
		int slot = free_slot(s);
		if (slot == -1 || spawn(s, slot) == -1)
			return;
	}
}

static int
reap(struct supervisor *s, bool stopping)
{
	int status, died_young = 0;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (int i = 0; i < MAX_WORKERS * 2; i++) {
			struct child *k = &s->kids[i];
			if (k->pid != pid)
				continue;
			k->pid = 0;
			if (stopping || k->generation != s->generation)
				break;
			struct timespec now;
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec - k->started.tv_sec < 1)
				died_young = 1;
			if (WIFSIGNALED(status))
				log_error("serve: worker %d killed by signal %d; starting another",
				    (int)pid, WTERMSIG(status));
			else
				log_error("serve: worker %d exited with status %d; starting another",
				    (int)pid, WEXITSTATUS(status));
			break;
		}
	}
	return died_young;
}

static void
signal_generation(struct supervisor *s, int sig, bool old_only)
{
	for (int i = 0; i < MAX_WORKERS * 2; i++) {
		struct child *k = &s->kids[i];
		if (k->pid != 0 && (!old_only || k->generation != s->generation))
			kill(k->pid, sig);
	}
}

static int
live(struct supervisor *s)
{
	int n = 0;

	for (int i = 0; i < MAX_WORKERS * 2; i++)
		if (s->kids[i].pid != 0)
			n++;
	return n;
}

/* SIGHUP: new configuration and templates, or the old ones if the new are broken. */
static void
reload(struct supervisor *s)
{
	struct config cfg;
	struct tmpl_set *t;
	char err[512];

	if (config_load(&cfg, s->config_file, err, sizeof err) == -1) {
		log_error("serve: reload refused, configuration: %s", err);
		return;
	}
	if ((t = tmpl_set_load(cfg.templates_dir, err, sizeof err)) == NULL) {
		log_error("serve: reload refused, templates: %s", err);
		config_free(&cfg);
		return;
	}
	/* The old workers keep their copies (fork), so these can go. */
	config_free(&s->cfg);
	tmpl_set_free(s->tmpl);
	s->cfg = cfg;
	s->tmpl = t;
	log_set_level(s->cfg.log_level);
	s->generation++;
	fill(s);
	signal_generation(s, SIGTERM, true);
	log_info("serve: reloaded; generation %d started", s->generation);
}

static void
shutdown_all(struct supervisor *s)
{
	struct timespec t0, now;
	sigset_t chld;
	struct timespec tick = { 0, 100 * 1000 * 1000 };

	signal_generation(s, SIGTERM, false);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (live(s) > 0) {
		(void)sigtimedwait(&chld, NULL, &tick);
		reap(s, true);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec > s->cfg.drain_timeout + 2) {
			log_warn("serve: workers did not stop in time; killing them");
			signal_generation(s, SIGKILL, false);
			while (live(s) > 0 && waitpid(-1, NULL, 0) > 0)
				reap(s, true);
			break;
		}
	}
}

static int
parse_count(const char *opt, const char *v, int max, int *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < 1 || n > max) {
		fprintf(stderr, "parley serve: %s wants a number from 1 to %d\n", opt, max);
		return -1;
	}
	*out = (int)n;
	return 0;
}

int
cmd_serve(int argc, char **argv, const char *config_file)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "workers", required_argument, NULL, 'w' },
		{ "threads", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct supervisor *s;
	const char *listen_spec = NULL;
	char err[512];
	sigset_t set;
	int c, sig, rc = 0;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	s = xcalloc(1, sizeof *s);
	s->config_file = config_file;
	s->nworkers = cores > 0 ? (int)(cores < MAX_WORKERS ? cores : MAX_WORKERS) : 2;
	s->nthreads = 16;
	optind = 1;
	while ((c = getopt_long(argc, argv, "l:w:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			listen_spec = optarg;
			break;
		case 'w':
			if (parse_count("--workers", optarg, MAX_WORKERS, &s->nworkers) == -1)
				goto usage;
			break;
		case 't':
			if (parse_count("--threads", optarg, 1024, &s->nthreads) == -1)
				goto usage;
			break;
		case 'h':
			fputs(usage, stdout);
			free(s);
			return 0;
		default:
			goto usage;
		}
	}
	if (optind != argc)
		goto usage;

	if (config_load(&s->cfg, config_file, err, sizeof err) == -1) {
		fprintf(stderr, "parley serve: %s\n", err);
		free(s);
		return 1;
	}
	log_set_level(s->cfg.log_level);
	if ((s->tmpl = tmpl_set_load(s->cfg.templates_dir, err, sizeof err)) == NULL) {
		fprintf(stderr, "parley serve: templates: %s\n", err);
		config_free(&s->cfg);
		free(s);
		return 1;
	}

	/* Block the signals we wait for before any child exists to trigger them. */
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if ((s->listen_fd = open_listener(s, listen_spec)) == -1) {
		rc = 1;
		goto out;
	}
	log_info("serve: listening on %s with %d workers of %d threads",
	    listen_spec ? listen_spec : "fd 0", s->nworkers, s->nthreads);
	fill(s);

	for (;;) {
		struct timespec tick = { 1, 0 };
		sig = sigtimedwait(&set, NULL, &tick);
		if (sig == SIGTERM || sig == SIGINT) {
			log_info("serve: stopping; letting requests in flight finish");
			break;
		}
		if (sig == SIGHUP)
			reload(s);
		if (reap(s, false)) {
			/* A worker that dies at birth would otherwise fork in a tight loop. */
			struct timespec pause = { 0, 200 * 1000 * 1000 };
			nanosleep(&pause, NULL);
		}
		fill(s);
	}
	shutdown_all(s);
	log_info("serve: stopped");
out:
	if (s->unix_path != NULL) {
		unlink(s->unix_path);
		free(s->unix_path);
	}
	if (s->listen_fd > 0)
		close(s->listen_fd);
	tmpl_set_free(s->tmpl);
	config_free(&s->cfg);
	free(s);
	return rc;
usage:
	fputs(usage, stderr);
	free(s);
	return 2;
}
