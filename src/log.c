/* log.c: leveled logging to stderr.
 *
 * Each line is assembled in a stack buffer and written with a single
 * write(2), so lines from concurrent threads and processes never interleave.
 * Control characters and other non-printables in messages become '?', so
 * that input quoted in a log line cannot forge further lines. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* Written once at startup (and in each worker before its threads start). */
static enum log_level log_threshold = LOG_LVL_INFO;
static pid_t log_pid;		/* 0: ask the kernel each time */

static const char *const log_names[LOG_LVL__MAX] = {
	"error",	/* LOG_LVL_ERROR */
	"warn",		/* LOG_LVL_WARN */
	"info",		/* LOG_LVL_INFO */
	"debug",	/* LOG_LVL_DEBUG */
};

void
log_set_level(enum log_level lvl)
{
	log_threshold = lvl;
}

void
log_set_process(void)
{
	log_pid = getpid();
}

int
log_level_parse(const char *s, enum log_level *out)
{
	for (int i = 0; i < LOG_LVL__MAX; i++) {
		if (strcasecmp(s, log_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	if (strcasecmp(s, "warning") == 0) {
		*out = LOG_LVL_WARN;
		return 0;
	}
	return -1;
}

int
log_enabled(enum log_level lvl)
{
	return lvl <= log_threshold;
}

static size_t
log_prefix(char *line, size_t cap)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(line, cap, "%Y-%m-%dT%H:%M:%S", &tm);
	n += (size_t)snprintf(line + n, cap - n, ".%03ldZ [%d] ",
	    ts.tv_nsec / 1000000, (int)(log_pid != 0 ? log_pid : getpid()));
	return n < cap ? n : cap - 1;
}

static void
log_write(char *line, size_t n, size_t from)
{
	for (size_t i = from; i < n; i++) {
		unsigned char c = (unsigned char)line[i];
		if (c < 0x20 || c == 0x7f)
			line[i] = '?';
	}
	line[n++] = '\n';
	ssize_t w = write(STDERR_FILENO, line, n);
	(void)w;
}

void
log_msg(enum log_level lvl, const char *fmt, ...)
{
	char line[2048];
	size_t n, start;
	va_list ap;
	int r;

	if (!log_enabled(lvl))
		return;
	n = log_prefix(line, sizeof line);
	n += (size_t)snprintf(line + n, sizeof line - n, "%s: ", log_names[lvl]);
	start = n;
	va_start(ap, fmt);
	r = vsnprintf(line + n, sizeof line - n - 1, fmt, ap);
	va_end(ap);
	if (r < 0)
		r = 0;
	n += (size_t)r;
	if (n > sizeof line - 2)
		n = sizeof line - 2;
	log_write(line, n, start);
}

void
log_access(const char *request_id, const char *method, const char *path,
    int status, long long duration_us)
{
	char line[1024];
	size_t n, start;
	int r;

	n = log_prefix(line, sizeof line);
	start = n;
	r = snprintf(line + n, sizeof line - n - 1, "access %s %.512s %d %lldus id=%s",
	    method, path, status, duration_us, request_id);
	if (r < 0)
		r = 0;
	n += (size_t)r;
	if (n > sizeof line - 2)
		n = sizeof line - 2;
	log_write(line, n, start);
}
