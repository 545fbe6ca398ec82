/* cmd_render.c: "parley render": renders one template file to stdout. */
#include "cmd_render.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "template.h"
#include "xalloc.h"

static const char usage_text[] =
    "usage: parley render TEMPLATE [--data FILE.json] [--partials DIR]\n"
    "  Renders the Mustache file TEMPLATE to stdout.\n"
    "  --data FILE.json  the data (any JSON value; \"-\" reads stdin;\n"
    "                    default: an empty object)\n"
    "  --partials DIR    where {{> name}} finds name.mustache\n"
    "                    (default: the template's own folder)\n";

/* Partials are read when first used, then kept for the rest of the run. */
struct partial {
	char		*name;
	struct tmpl	*t;		/* NULL: there is no such partial */
	struct partial	*next;
};

struct loader {
	const char	*dir;
	struct partial	*cache;
	char		 err[1024];	/* the first failure; rendering then stops mattering */
	int		 failed;
};

/* Reads path ("-" is stdin) into b; -1 with errno set on failure. */
static int
slurp(const char *path, struct buf *b)
{
	char chunk[16384];
	FILE *f = stdin;
	size_t n;
	int saved;

	if (strcmp(path, "-") != 0 && (f = fopen(path, "rb")) == NULL)
		return -1;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_append(b, chunk, n);
	saved = ferror(f) ? (errno ? errno : EIO) : 0;
	if (f != stdin)
		fclose(f);
	if (saved) {
		errno = saved;
		return -1;
	}
	buf_reserve(b, 0);	/* the JSON parser wants the NUL even for an empty file */
	b->data[b->len] = '\0';
	return 0;
}

static const struct tmpl *
load_partial(void *ctx, const char *name)
{
	struct loader *l = ctx;
	struct partial *p;
	struct buf src = BUF_INIT;
	char *path;

	for (p = l->cache; p != NULL; p = p->next)
		if (strcmp(p->name, name) == 0)
			return p->t;
	p = xcalloc(1, sizeof *p);
	p->name = xstrdup(name);
	p->next = l->cache;
	l->cache = p;
	if (l->failed)
		return NULL;

	path = xasprintf("%s/%s.mustache", l->dir, name);
	if (slurp(path, &src) == -1) {
		if (errno == ENOENT)
			/* The spec renders a missing partial as nothing; say so once. */
			fprintf(stderr, "parley render: warning: no partial "
			    "\"%s\" (%s), rendered as empty\n", name, path);
		else {
			snprintf(l->err, sizeof l->err, "%s: %s", path,
			    strerror(errno));
			l->failed = 1;
		}
	} else if ((p->t = tmpl_parse(path, buf_cstr(&src), src.len, l->err,
	    sizeof l->err)) == NULL)
		l->failed = 1;
	buf_free(&src);
	free(path);
	return p->t;
}

static void
loader_free(struct loader *l)
{
	struct partial *p, *next;

	for (p = l->cache; p != NULL; p = next) {
		next = p->next;
		free(p->name);
		tmpl_free(p->t);
		free(p);
	}
	l->cache = NULL;
}

static size_t
line_of(const char *s, size_t off)
{
	size_t line = 1;

	for (size_t i = 0; i < off; i++)
		if (s[i] == '\n')
			line++;
	return line;
}

/* Parses the data file; *out is the value (NULL for "null"). -1 after printing why. */
static int
load_data(const char *path, struct json_object **out)
{
	struct buf src = BUF_INIT;
	struct json_tokener *tok;
	enum json_tokener_error jerr;
	struct json_object *v;
	size_t end;
	int rc = -1;

	*out = NULL;
	if (slurp(path, &src) == -1) {
		fprintf(stderr, "parley render: %s: %s\n", path,
		    strerror(errno));
		buf_free(&src);
		return -1;
	}
	if ((tok = json_tokener_new()) == NULL) {
		fprintf(stderr, "parley render: out of memory\n");
		buf_free(&src);
		return -1;
	}
	/*
	 * Including the terminating NUL tells the tokener the input ends
	 * there, or a bare top-level number or literal stays incomplete.
	 */
	v = json_tokener_parse_ex(tok, src.data, (int)src.len + 1);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (jerr != json_tokener_success) {
		fprintf(stderr, "parley render: %s:%zu: bad JSON: %s\n", path,
		    line_of(src.data, end < src.len ? end : src.len),
		    json_tokener_error_desc(jerr));
		goto done;
	}
	while (end < src.len && strchr(" \t\r\n", src.data[end]) != NULL &&
	    src.data[end] != '\0')
		end++;
	if (end < src.len) {
		fprintf(stderr, "parley render: %s:%zu: bad JSON: "
		    "unexpected text after the value\n", path,
		    line_of(src.data, end));
		json_object_put(v);
		goto done;
	}
	*out = v;
	rc = 0;
done:
	json_tokener_free(tok);
	buf_free(&src);
	return rc;
}

/* The folder part of path: "." when it has none. Caller frees. */
static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

static int __attribute__((format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("parley render: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fputs(usage_text, stderr);
	return 2;
}

int
cmd_render(int argc, char **argv)
{
	const char *file = NULL, *data_path = NULL, *partials = NULL;
	const char *arg, **want;
	struct json_object *data = NULL;
	struct loader l;
	struct buf src = BUF_INIT, out = BUF_INIT;
	struct tmpl *t = NULL;
	char err[1024];
	char *dir = NULL;
	int i, opts = 1, rc = 1;

	for (i = 1; i < argc; i++) {
		arg = argv[i];
		if (opts && strcmp(arg, "--") == 0) {
			opts = 0;
			continue;
		}
		if (opts && (strcmp(arg, "-h") == 0 ||
		    strcmp(arg, "--help") == 0)) {
			fputs(usage_text, stdout);
			return 0;
		}
		if (opts && arg[0] == '-' && arg[1] == '-') {
			size_t k = strcspn(arg, "=");

			if (k == 6 && strncmp(arg, "--data", k) == 0)
				want = &data_path;
			else if (k == 10 && strncmp(arg, "--partials", k) == 0)
				want = &partials;
			else
				return usage_error("unknown option \"%s\"", arg);
			if (arg[k] == '=')
				*want = arg + k + 1;
			else if (i + 1 < argc)
				*want = argv[++i];
			else
				return usage_error("%s needs a value", arg);
			continue;
		}
		if (opts && arg[0] == '-' && arg[1] != '\0')
			return usage_error("unknown option \"%s\"", arg);
		if (file != NULL)
			return usage_error("unexpected argument \"%s\"", arg);
		file = arg;
	}
	if (file == NULL)
		return usage_error("no template given");

	memset(&l, 0, sizeof l);
	if (slurp(file, &src) == -1) {
		fprintf(stderr, "parley render: %s: %s\n", file,
		    strerror(errno));
		goto done;
	}
	if ((t = tmpl_parse(file, buf_cstr(&src), src.len, err,
	    sizeof err)) == NULL) {
		fprintf(stderr, "parley render: %s\n", err);
		goto done;
	}
	if (data_path != NULL) {
		if (load_data(data_path, &data) == -1)
			goto done;
	} else
		data = json_object_new_object();

	dir = partials != NULL ? xstrdup(partials) : dir_of(file);
	l.dir = dir;
	if (tmpl_render(t, data, load_partial, &l, &out) == -1) {
		fprintf(stderr, "parley render: %s: partials nested too deeply "
		    "(a partial including itself?)\n", file);
		goto done;
	}
	if (l.failed) {
		fprintf(stderr, "parley render: %s\n", l.err);
		goto done;
	}
	/* Nothing added: the output is exactly what the template produced. */
	if (fwrite(out.data, 1, out.len, stdout) != out.len ||
	    fflush(stdout) == EOF) {
		fprintf(stderr, "parley render: stdout: %s\n", strerror(errno));
		goto done;
	}
	rc = 0;
done:
	loader_free(&l);
	json_object_put(data);
	tmpl_free(t);
	buf_free(&src);
	buf_free(&out);
	free(dir);
	return rc;
}
