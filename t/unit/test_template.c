/* test_template.c: the Mustache engine against the spec's own tests, plus escapers, sets and "parley render". */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "buf.h"
#include "cmd_render.h"
#include "escape.h"
#include "template.h"
#include "xalloc.h"

#include "../tap.h"

static const char *const spec_files[] = {
	"comments", "delimiters", "interpolation", "inverted", "partials",
	"sections",
};

/*
 * Helpers
 */

/* The partials of one spec test, by name. */
struct named {
	const char	*name;
	struct tmpl	*t;
};

struct partial_list {
	struct named	*v;
	size_t		 n;
};

static const struct tmpl *
list_partial(void *ctx, const char *name)
{
	struct partial_list *l = ctx;

	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].name, name) == 0)
			return l->v[i].t;
	return NULL;
}

/* Parses and renders src with data (JSON text, NULL for no data). Caller frees. */
static char *
render_str(const char *src, const char *json, struct partial_list *pl, int *rc)
{
	struct json_object *data = json != NULL ? json_tokener_parse(json) : NULL;
	struct buf out = BUF_INIT;
	struct tmpl *t;
	char err[256];
	int r;

	if (json != NULL && data == NULL && strcmp(json, "null") != 0)
		return xasprintf("(bad test JSON: %s)", json);
	if ((t = tmpl_parse("test", src, strlen(src), err, sizeof err)) == NULL) {
		json_object_put(data);
		return xasprintf("(parse error: %s)", err);
	}
	r = tmpl_render(t, data, pl != NULL ? list_partial : NULL, pl, &out);
	if (rc != NULL)
		*rc = r;
	tmpl_free(t);
	json_object_put(data);
	return buf_detach(&out);
}

/* The parse error for src, named "t.mustache"; "" if it parsed. Static storage. */
static const char *
parse_err(const char *src)
{
	static char err[256];
	struct tmpl *t;

	err[0] = '\0';
	t = tmpl_parse("t.mustache", src, strlen(src), err, sizeof err);
	if (t != NULL) {
		tmpl_free(t);
		return "";
	}
	return err;
}

static int
starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* ok() that shows the string it looked at when it fails. */
static void
like(const char *got, const char *needle, int prefix, const char *desc)
{
	int hit = prefix ? starts_with(got, needle) : strstr(got, needle) != NULL;

	if (!ok(hit, "%s", desc))
		printf("#    got: \"%s\"\n#   want: %s\"%s\"\n", got,
		    prefix ? "prefix " : "substring ", needle);
}

static void
write_file(const char *dir, const char *name, const char *content)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");

	if (f == NULL || fputs(content, f) == EOF || fclose(f) == EOF) {
		printf("Bail out! cannot write %s: %s\n", path, strerror(errno));
		exit(1);
	}
	free(path);
}

static char *
read_whole(const char *path)
{
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t n;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return xstrdup("");
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	return buf_detach(&b);
}

static void
remove_tree(const char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	free(cmd);
}

/*
 * The specification's tests
 */

static void
run_spec_file(const char *dir, const char *file)
{
	char *path = xasprintf("%s/t/mustache-spec/%s.json", dir, file);
	struct json_object *doc = json_object_from_file(path), *tests, *tc, *o;
	struct partial_list pl;
	struct buf out;
	struct tmpl *t;
	char err[256];
	const char *name, *tmpl_src, *want;
	size_t i, n;
	int rc;

	if (!json_object_object_get_ex(doc, "tests", &tests) ||
	    !json_object_is_type(tests, json_type_array)) {
		ok(0, "%s: readable spec file (%s)", path,
		    json_util_get_last_err());
		json_object_put(doc);
		free(path);
		return;
	}
	for (i = 0; i < json_object_array_length(tests); i++) {
		tc = json_object_array_get_idx(tests, i);
		json_object_object_get_ex(tc, "name", &o);
		name = json_object_get_string(o);
		json_object_object_get_ex(tc, "template", &o);
		tmpl_src = json_object_get_string(o);
		json_object_object_get_ex(tc, "expected", &o);
		want = json_object_get_string(o);

		pl.v = NULL;
		pl.n = 0;
		if (json_object_object_get_ex(tc, "partials", &o)) {
			pl.v = xcalloc((size_t)json_object_object_length(o) + 1,
			    sizeof *pl.v);
			json_object_object_foreach(o, key, val) {
				pl.v[pl.n].name = key;
				pl.v[pl.n].t = tmpl_parse(key,
				    json_object_get_string(val),
				    (size_t)json_object_get_string_len(val),
				    err, sizeof err);
				if (pl.v[pl.n].t == NULL)
					printf("# partial %s: %s\n", key, err);
				pl.n++;
			}
		}

		buf_init(&out);
		rc = -2;
		t = tmpl_parse(name, tmpl_src, strlen(tmpl_src), err, sizeof err);
		if (t == NULL)
			printf("# parse error: %s\n", err);
		else {
			json_object_object_get_ex(tc, "data", &o);
			rc = tmpl_render(t, o, list_partial, &pl, &out);
		}
		if (rc != 0)
			ok(0, "%s.json: %s (render returned %d)", file, name, rc);
		else
			is_str(buf_cstr(&out), want, "%s.json: %s", file, name);

		buf_free(&out);
		tmpl_free(t);
		for (n = 0; n < pl.n; n++)
			tmpl_free(pl.v[n].t);
		free(pl.v);
	}
	json_object_put(doc);
	free(path);
}

/*
 * Escapers
 */

static void
test_escapers(void)
{
	struct buf b = BUF_INIT;
	char *s;

	esc_html(&b, "a&b<c>d\"e'f", 11);
	is_str(buf_cstr(&b), "a&amp;b&lt;c&gt;d&quot;e&#39;f",
	    "esc_html escapes & < > \" and '");
	buf_reset(&b);
	esc_html(&b, "plain text, é", strlen("plain text, é"));
	is_str(buf_cstr(&b), "plain text, é", "esc_html leaves other text alone");

	buf_reset(&b);
	esc_url(&b, "a b/c?d=é&x~-._Z9", strlen("a b/c?d=é&x~-._Z9"));
	is_str(buf_cstr(&b), "a%20b%2Fc%3Fd%3D%C3%A9%26x~-._Z9",
	    "esc_url percent-encodes all but unreserved bytes");

	buf_reset(&b);
	s = "</script>\"\\\n\t\x01&'\xe2\x80\xa8ok";
	esc_json(&b, s, strlen(s));
	is_str(buf_cstr(&b),
	    "\\u003c\\u002fscript\\u003e\\\"\\\\\\n\\t\\u0001\\u0026\\u0027\\u2028ok",
	    "esc_json escapes quotes, controls and HTML-significant bytes");
	buf_free(&b);

	s = render_str("{{x}}|{{{x}}}|{{& x}}", "{\"x\": \"<a href='/'>&\\\"</a>\"}",
	    NULL, NULL);
	is_str(s, "&lt;a href=&#39;/&#39;&gt;&amp;&quot;&lt;/a&gt;|"
	    "<a href='/'>&\"</a>|<a href='/'>&\"</a>",
	    "{{x}} escapes all five characters; {{{x}}} and {{& x}} do not");
	free(s);
}

/*
 * Behaviour beyond the spec's tests
 */

static void
test_values(void)
{
	struct partial_list pl;
	struct named parts[3];
	char err[256];
	char *s;

	s = render_str("{{big}} {{neg}} {{u}} {{d}} {{e}} {{t}} {{f}} {{o}}{{a}}",
	    "{\"big\": 9007199254740993, \"neg\": -5, "
	    "\"u\": 18446744073709551615, \"d\": 0.1, \"e\": 1e21, "
	    "\"t\": true, \"f\": false, \"o\": {\"k\": 1}, \"a\": [1]}",
	    NULL, NULL);
	is_str(s, "9007199254740993 -5 18446744073709551615 0.1 1e+21 true false ",
	    "numbers print exactly, booleans as words, objects and lists as nothing");
	free(s);

	s = render_str("[{{#s}}yes{{/s}}{{^s}}no{{/s}}][{{#n}}n={{n}}{{/n}}]",
	    "{\"s\": \"\", \"n\": 0}", NULL, NULL);
	is_str(s, "[no][n=0]", "an empty string skips a section, the number 0 does not");
	free(s);

	s = render_str("{{a}}[{{.}}]{{#a}}x{{/a}}{{^a}}y{{/a}}", NULL, NULL, NULL);
	is_str(s, "[]y", "no data renders like an empty context");
	free(s);

	/* Indentation of standalone partials adds up when they nest. */
	parts[0].name = "mid";
	parts[0].t = tmpl_parse("mid", "a\n  {{>in}}\nb {{>inl}}\n", 23, err,
	    sizeof err);
	parts[1].name = "in";
	parts[1].t = tmpl_parse("in", "x\n\ny\n", 5, err, sizeof err);
	parts[2].name = "inl";
	parts[2].t = tmpl_parse("inl", "p\nq", 3, err, sizeof err);
	pl.v = parts;
	pl.n = 3;
	s = render_str("  {{>mid}}\n", "{}", &pl, NULL);
	is_str(s, "  a\n    x\n\n    y\n  b p\nq\n",
	    "nested standalone partials add their indentation; inline ones add none");
	free(s);
	for (int i = 0; i < 3; i++)
		tmpl_free(parts[i].t);

	s = render_str("Grüße, {{name}}! {{{raw}}} ✓ {{=« »=}}«name»",
	    "{\"name\": \"日本語 <b>\", \"raw\": \"🎉\"}", NULL, NULL);
	is_str(s, "Grüße, 日本語 &lt;b&gt;! 🎉 ✓ 日本語 &lt;b&gt;",
	    "UTF-8 passes through templates, data and delimiters untouched");
	free(s);
}

static void
test_depth_limit(void)
{
	struct partial_list pl;
	struct named self;
	char err[256];
	char *s;
	int rc = 0;

	self.name = "self";
	self.t = tmpl_parse("self", "x{{>self}}", 10, err, sizeof err);
	pl.v = &self;
	pl.n = 1;
	s = render_str("{{>self}}", "{}", &pl, &rc);
	is_int(rc, -1, "a partial including itself forever fails with -1");
	is_int(strlen(s), 64, "... after rendering 64 levels");
	free(s);

	/* A recursion bounded by the data, as in the spec, stays fine. */
	tmpl_free(self.t);
	self.t = tmpl_parse("self", "{{#c}}<{{>self}}>{{/c}}", 23, err,
	    sizeof err);
	s = render_str("{{>self}}", "{\"c\": {\"c\": {\"c\": {\"c\": false}}}}",
	    &pl, &rc);
	is_int(rc, 0, "recursion that ends renders");
	is_str(s, "<<<>>>", "... each level in its own context");
	free(s);
	tmpl_free(self.t);
}

static void
test_parse_errors(void)
{
	like(parse_err("one\ntwo\nthree {{name\nfour"),
	    "t.mustache:3: unclosed tag", 1, "an unclosed tag names its line");
	like(parse_err("one\ntwo {{{name}}\n"),
	    "t.mustache:2: unclosed tag", 1, "an unclosed {{{ names its line");
	like(parse_err("a\n{{#items}}\nb\n{{#x}}{{/x}}\nc\n"),
	    "t.mustache:2: unclosed section \"items\"", 1,
	    "an unclosed section names the line that opened it");
	like(parse_err("{{#a}}\n\n{{/b}}\n"),
	    "t.mustache:3: closing tag \"b\" does not match the open section "
	    "\"a\" (line 1)", 1, "a mismatched close names both sections");
	like(parse_err("x\n{{/a}}"), "t.mustache:2: closing tag \"a\" without "
	    "an open section", 1, "a close without an open section");
	like(parse_err("\n\n\n{{=<% =}}"), "t.mustache:4: bad delimiters", 1,
	    "a set-delimiters tag with one delimiter");
	like(parse_err("{{=<= =>=}}"), "t.mustache:1: bad delimiters", 1,
	    "a delimiter containing '='");
	like(parse_err("{{first name}}"), "t.mustache:1: bad name \"first name\"",
	    1, "a tag name with a space");
	like(parse_err("{{a..b}}"), "t.mustache:1: bad name", 1,
	    "a dotted name with an empty part");
	like(parse_err("{{#}}{{/}}"), "t.mustache:1: empty tag", 1,
	    "a section without a name");
	is_str(parse_err("{{! {{#unclosed}} in a comment }}"), "",
	    "tags inside comments are not parsed");
}

static void
test_sets(void)
{
	const char *tmp = getenv("TMPDIR");
	struct tmpl_set *s;
	struct json_object *data;
	struct buf out = BUF_INIT;
	char err[512], dir[512], *sub, *want;

	snprintf(dir, sizeof dir, "%s/parley-tmpl-XXXXXX",
	    tmp != NULL && *tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	sub = xasprintf("%s/parts", dir);
	mkdir(sub, 0700);
	write_file(dir, "page.mustache",
	    "<h1>{{title}}</h1>\n<ul>\n  {{#items}}\n  {{>parts/item}}\n"
	    "  {{/items}}\n</ul>\n");
	write_file(dir, "parts/item.mustache", "<li>{{name}}</li>\n");
	write_file(dir, "notes.txt", "{{#not a template");
	write_file(dir, ".draft.mustache", "{{#hidden");

	s = tmpl_set_load(dir, err, sizeof err);
	if (!ok(s != NULL, "tmpl_set_load reads a folder with a subfolder"))
		printf("# %s\n", err);
	ok(tmpl_set_get(s, "parts/item") != NULL,
	    "a template in a subfolder is named \"parts/item\"");
	ok(tmpl_set_get(s, "notes") == NULL && tmpl_set_get(s, ".draft") == NULL,
	    "other files and hidden files are not templates");
	data = json_tokener_parse("{\"title\": \"Q&A\", "
	    "\"items\": [{\"name\": \"one\"}, {\"name\": \"<two>\"}]}");
	is_int(tmpl_set_render(s, "page", data, &out), 0,
	    "tmpl_set_render renders a named template");
	is_str(buf_cstr(&out), "<h1>Q&amp;A</h1>\n<ul>\n  <li>one</li>\n"
	    "  <li>&lt;two&gt;</li>\n</ul>\n",
	    "... with partials from the same set, indented");
	buf_reset(&out);
	is_int(tmpl_set_render(s, "nope", data, &out), -1,
	    "tmpl_set_render of an unknown name is -1");
	tmpl_set_free(s);

	/* One broken template spoils the set, and the error says where. */
	write_file(dir, "parts/broken.mustache", "fine\n{{#open}}\nstill fine\n");
	s = tmpl_set_load(dir, err, sizeof err);
	ok(s == NULL, "tmpl_set_load fails on a broken template");
	want = xasprintf("%s/parts/broken.mustache:2: unclosed section", dir);
	like(err, want, 1, "... naming the file and line");
	free(want);
	tmpl_set_free(s);

	s = tmpl_set_load("/nonexistent/parley-templates", err, sizeof err);
	ok(s == NULL, "tmpl_set_load fails on a missing folder");
	like(err, "/nonexistent/parley-templates: cannot open template folder: "
	    "No such file or directory", 1, "... saying which and why");

	json_object_put(data);
	buf_free(&out);
	free(sub);
	remove_tree(dir);
}

/*
 * Many threads rendering one set at once
 */

#define NTHREADS	8
#define NRENDERS	300

struct job {
	const struct tmpl_set	*set;
	struct json_object	*data;
	const char		*want;
	int			 mismatches;
};

static void *
render_many(void *arg)
{
	struct job *j = arg;
	struct buf out = BUF_INIT;

	for (int i = 0; i < NRENDERS; i++) {
		buf_reset(&out);
		if (tmpl_set_render(j->set, "list", j->data, &out) != 0 ||
		    strcmp(buf_cstr(&out), j->want) != 0)
			j->mismatches++;
	}
	buf_free(&out);
	return NULL;
}

static void
test_threads(void)
{
	const char *tmp = getenv("TMPDIR");
	struct job jobs[NTHREADS];
	pthread_t th[NTHREADS];
	struct tmpl_set *s;
	struct json_object *data, *items, *it;
	struct buf want = BUF_INIT;
	char err[512], dir[512];
	int i, started = 0, bad = 0;

	snprintf(dir, sizeof dir, "%s/parley-tmpl-XXXXXX",
	    tmp != NULL && *tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	write_file(dir, "list.mustache", "<ol>\n  {{#items}}\n  {{>row}}\n"
	    "  {{/items}}\n</ol>\n{{^items}}none{{/items}}");
	write_file(dir, "row.mustache", "<li class=\"{{#done}}done{{/done}}\">"
	    "{{n}}. {{title}} ({{owner.name}})</li>\n");
	s = tmpl_set_load(dir, err, sizeof err);
	remove_tree(dir);
	if (!ok(s != NULL, "a set for the thread test loads")) {
		printf("# %s\n", err);
		return;
	}
	data = json_object_new_object();
	items = json_object_new_array();
	for (i = 0; i < 100; i++) {
		it = json_object_new_object();
		json_object_object_add(it, "n", json_object_new_int(i));
		json_object_object_add(it, "title",
		    json_object_new_string("task <&> \"quoted\""));
		json_object_object_add(it, "done", json_object_new_boolean(i % 3 == 0));
		json_object_array_add(items, it);
	}
	json_object_object_add(data, "items", items);
	json_object_object_add(data, "owner",
	    json_tokener_parse("{\"name\": \"Ada\"}"));
	tmpl_set_render(s, "list", data, &want);

	for (i = 0; i < NTHREADS; i++) {
		jobs[i].set = s;
		jobs[i].data = data;
		jobs[i].want = buf_cstr(&want);
		jobs[i].mismatches = 0;
		if (pthread_create(&th[i], NULL, render_many, &jobs[i]) == 0)
			started++;
		else
			break;
	}
	for (i = 0; i < started; i++) {
		pthread_join(th[i], NULL);
		bad += jobs[i].mismatches;
	}
	is_int(started, NTHREADS, "%d threads started", NTHREADS);
	is_int(bad, 0, "%d threads x %d renders of one set and one data value "
	    "all give identical output", NTHREADS, NRENDERS);
	ok(strstr(buf_cstr(&want), "<li class=\"done\">99. task &lt;&amp;&gt; "
	    "&quot;quoted&quot; (Ada)</li>\n</ol>\n") != NULL,
	    "... and that output is right");

	json_object_put(data);
	buf_free(&want);
	tmpl_set_free(s);
}

/*
 * parley render
 */

struct run {
	int	 status;
	char	*out, *err;
};

/* Runs cmd_render in a child process, capturing its stdout and stderr. */
static void
run_render(const char *dir, struct run *r, char **argv)
{
	char *outp = xasprintf("%s/.stdout", dir), *errp = xasprintf("%s/.stderr", dir);
	int argc = 0, st, fd;
	pid_t pid;

	while (argv[argc] != NULL)
		argc++;
	fflush(NULL);
	r->status = -1;
	if ((pid = fork()) == 0) {
		if ((fd = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
		    dup2(fd, 1) == -1)
			_exit(99);
		close(fd);
		if ((fd = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
		    dup2(fd, 2) == -1)
			_exit(99);
		close(fd);
		st = cmd_render(argc, argv);
		fflush(NULL);
		_exit(st);
	}
	if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st))
		r->status = WEXITSTATUS(st);
	r->out = read_whole(outp);
	r->err = read_whole(errp);
	free(outp);
	free(errp);
}

static void
run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

static void
test_cmd_render(void)
{
	const char *tmp = getenv("TMPDIR");
	char dir[512], *page, *data, *bad, *arr, *broken, *parts, *want;
	struct run r;

	snprintf(dir, sizeof dir, "%s/parley-render-XXXXXX",
	    tmp != NULL && *tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	page = xasprintf("%s/page.mustache", dir);
	data = xasprintf("%s/data.json", dir);
	bad = xasprintf("%s/bad.json", dir);
	arr = xasprintf("%s/arr.mustache", dir);
	broken = xasprintf("%s/broken.mustache", dir);
	parts = xasprintf("%s/other", dir);
	mkdir(parts, 0700);
	write_file(dir, "page.mustache", "Hi {{who}}!\n  {{>greet}}\n{{>missing}}");
	write_file(dir, "greet.mustache", "<{{who}}>\n");
	write_file(dir, "other/greet.mustache", "other {{who}}\n");
	write_file(dir, "data.json", "{\"who\": \"A&B\"}\n");
	write_file(dir, "bad.json", "{\n  \"who\": \"x\",\n  oops\n}\n");
	write_file(dir, "arr.mustache", "{{#.}}{{.}},{{/.}}");
	write_file(dir, "list.json", " [1, 2.5, \"three\"] ");
	write_file(dir, "broken.mustache", "ok\n\n{{#x}}\n");

	run_render(dir, &r, (char *[]){ "render", page, "--data", data, NULL });
	is_int(r.status, 0, "parley render exits 0");
	is_str(r.out, "Hi A&amp;B!\n  <A&amp;B>\n",
	    "... writing exactly the rendered template, partials from its folder");
	like(r.err, "no partial \"missing\"", 0,
	    "... warning on stderr about a missing partial");
	run_free(&r);

	want = xasprintf("--partials=%s", parts);
	run_render(dir, &r, (char *[]){ "render", "--data", data, want, page, NULL });
	is_str(r.out, "Hi A&amp;B!\n  other A&amp;B\n",
	    "--partials DIR takes partials from DIR");
	run_free(&r);
	free(want);

	run_render(dir, &r, (char *[]){ "render", arr, "--data",
	    (char *)"list.json", NULL });
	is_int(r.status, 1, "a missing data file exits 1");
	like(r.err, "list.json: No such file or directory", 0, "... saying which");
	run_free(&r);

	want = xasprintf("%s/list.json", dir);
	run_render(dir, &r, (char *[]){ "render", arr, "--data", want, NULL });
	is_str(r.out, "1,2.5,three,", "the data may be any JSON value, a list here");
	run_free(&r);
	free(want);

	run_render(dir, &r, (char *[]){ "render", page, NULL });
	is_str(r.out, "Hi !\n  <>\n", "without --data the context is empty");
	run_free(&r);

	run_render(dir, &r, (char *[]){ "render", page, "--data", bad, NULL });
	is_int(r.status, 1, "bad JSON exits 1");
	want = xasprintf("%s:3: bad JSON", bad);
	like(r.err, want, 0, "... naming the file and line");
	is_str(r.out, "", "... writing nothing to stdout");
	run_free(&r);
	free(want);

	run_render(dir, &r, (char *[]){ "render", broken, NULL });
	is_int(r.status, 1, "a broken template exits 1");
	want = xasprintf("%s:3: unclosed section \"x\"", broken);
	like(r.err, want, 0, "... naming the file and line");
	run_free(&r);
	free(want);

	write_file(dir, "uses-broken.mustache", "a {{>broken}} b");
	want = xasprintf("%s/uses-broken.mustache", dir);
	run_render(dir, &r, (char *[]){ "render", want, NULL });
	free(want);
	is_int(r.status, 1, "a broken partial exits 1");
	like(r.err, "broken.mustache:3: unclosed section", 0,
	    "... naming the partial's file and line");
	run_free(&r);

	run_render(dir, &r, (char *[]){ "render", (char *)"/nonexistent.mustache", NULL });
	is_int(r.status, 1, "a missing template exits 1");
	like(r.err, "/nonexistent.mustache: No such file or directory", 0,
	    "... saying which");
	run_free(&r);

	run_render(dir, &r, (char *[]){ "render", NULL });
	is_int(r.status, 2, "no template is a usage error (2)");
	like(r.err, "usage: parley render TEMPLATE", 0, "... showing the usage");
	run_free(&r);
	run_render(dir, &r, (char *[]){ "render", page, "--bogus", NULL });
	is_int(r.status, 2, "an unknown option is a usage error (2)");
	run_free(&r);
	run_render(dir, &r, (char *[]){ "render", page, "--data", NULL });
	is_int(r.status, 2, "--data without a value is a usage error (2)");
	run_free(&r);

	free(page);
	free(data);
	free(bad);
	free(arr);
	free(broken);
	free(parts);
	remove_tree(dir);
}

/*
 * Values answered through callbacks (tmpl_render_frames): a row-like object
 * and a list of them, rendered as the pages render their rows.
 */
struct row {
	const char	*name;		/* NULL: answered as a present null */
	long long	 n;
	bool		 flag;
};

struct rows {
	const struct row	*v;
	size_t			 n;
};

static bool
row_member(const void *self, const char *name, struct tmpl_val *out)
{
	const struct row *r = self;

	if (strcmp(name, "name") == 0)
		*out = tmpl_text(r->name);
	else if (strcmp(name, "n") == 0)
		*out = tmpl_int(r->n);
	else if (strcmp(name, "flag") == 0)
		*out = tmpl_bool(r->flag);
	else
		return false;
	return true;
}

static const struct tmpl_src row_src = { .member = row_member };

static size_t
rows_count(const void *self)
{
	return ((const struct rows *)self)->n;
}

static void
rows_item(const void *self, size_t i, struct tmpl_val *out)
{
	*out = tmpl_object(&row_src, &((const struct rows *)self)->v[i]);
}

static const struct tmpl_src rows_src = { .count = rows_count, .item = rows_item };

/* Renders src with frames; the output, or "(-1)" when the render failed. Caller frees. */
static char *
render_frames(const char *src, const struct tmpl_val *frames, size_t n)
{
	char err[256];
	struct tmpl *t = tmpl_parse("frames", src, strlen(src), err, sizeof err);
	struct buf out = BUF_INIT;
	char *s;

	if (t == NULL)
		return xstrdup(err);
	if (tmpl_render_frames(t, frames, n, NULL, NULL, &out) == -1)
		s = xstrdup("(-1)");
	else
		s = xstrdup(buf_cstr(&out));
	buf_free(&out);
	tmpl_free(t);
	return s;
}

static void
test_callback_values(void)
{
	const struct row v[] = {
		{ "a<b", 0, true }, { NULL, 7, false }, { "", -3, true },
	};
	const struct rows list = { v, 3 }, none = { v, 0 };
	struct json_object *page = json_tokener_parse(
	    "{\"name\": \"page\", \"title\": \"T&amp\", \"only\": {\"json\": 2}, \"n\": 99}");
	struct tmpl_member over[] = {
		{ "rows", tmpl_list(&rows_src, &list) },
		{ "empty", tmpl_list(&rows_src, &none) },
		{ "first", tmpl_object(&row_src, &v[0]) },
		{ "title", tmpl_text("over <title>") },
		{ NULL, { .kind = TMPL_NONE } },
	};
	struct tmpl_val frames[9];
	char *s;

	frames[0] = (struct tmpl_val){ .kind = TMPL_JSON, .u.json = page };
	frames[1] = tmpl_object(&tmpl_members_src, over);

	s = render_frames("{{#rows}}[{{name}}|{{n}}|{{#flag}}on{{/flag}}{{^flag}}off{{/flag}}]{{/rows}}",
	    frames, 2);
	is_str(s, "[a&lt;b|0|on][|7|off][|-3|on]",
	    "a callback list renders each item: text escaped, numbers (0 too), booleans");
	free(s);
	s = render_frames("{{#rows}}{{#name}}({{name}}){{/name}}{{^name}}-{{/name}}{{/rows}}",
	    frames, 2);
	is_str(s, "(a&lt;b)--", "a present null and empty text are false; the null does not "
	    "fall through to the page's name");
	free(s);
	s = render_frames("{{#first}}{{{name}}} {{title}} {{only.json}}{{/first}}", frames, 2);
	is_str(s, "a<b over &lt;title&gt; 2",
	    "inside an object, names it lacks come from the frames below it");
	free(s);
	s = render_frames("{{first.name}}/{{first.n}}/{{first.missing}}/{{first.name.x}}", frames, 2);
	is_str(s, "a&lt;b/0//", "dotted names go through callback objects, broken chains are empty");
	free(s);
	s = render_frames("{{^empty}}none{{/empty}}{{#empty}}some{{/empty}}|{{#rows}}+{{/rows}}",
	    frames, 2);
	is_str(s, "none|+++", "an empty callback list is false, a full one repeats once per item");
	free(s);
	s = render_frames("{{title}} {{n}}", frames, 1);
	is_str(s, "T&amp;amp 99", "with one frame, only the JSON is seen");
	free(s);
	s = render_frames("{{title}} {{n}} {{name}}", frames, 2);
	is_str(s, "over &lt;title&gt; 99 page", "the last frame is looked in first, then the one before");
	free(s);
	s = render_frames("{{#first}}{{.}}{{/first}}|{{#rows}}{{.}}{{/rows}}", frames, 2);
	is_str(s, "|", "an object or a list item printed as {{.}} writes nothing");
	free(s);
	s = render_frames("x", frames, 0);
	is_str(s, "(-1)", "no frames is an error");
	free(s);
	for (int i = 0; i < 9; i++)
		frames[i] = tmpl_bool(true);
	s = render_frames("x", frames, 9);
	is_str(s, "(-1)", "more than 8 frames is an error");
	free(s);
	s = render_frames("{{.}}", frames, 8);
	is_str(s, "true", "8 frames are accepted");
	free(s);
	json_object_put(page);
}

int
main(void)
{
	const char *top = getenv("top_srcdir");

	if (top == NULL || *top == '\0')
		top = ".";
	for (size_t i = 0; i < sizeof spec_files / sizeof spec_files[0]; i++)
		run_spec_file(top, spec_files[i]);
	test_escapers();
	test_values();
	test_depth_limit();
	test_parse_errors();
	test_sets();
	test_threads();
	test_callback_values();
	test_cmd_render();
	return done_testing();
}
