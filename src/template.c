/* template.c: a Mustache engine over json-c values (and callback-backed ones), parsed once and rendered many times. */
#include "template.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "escape.h"
#include "text.h"
#include "xalloc.h"

/*
 * A template is parsed into a flat array of nodes. A section's children are
 * the nodes that follow it up to its end index, so rendering walks an array
 * instead of chasing pointers, and nothing is allocated while rendering:
 * the context stack and the partial indentation live in stack frames.
 *
 * Standalone lines (a section, inverted section, close, comment, partial or
 * set-delimiters tag alone on its line) are removed at parse time, so the
 * renderer never has to think about whitespace except for the indentation
 * of standalone partials, which depends on where the partial is used.
 */

#define MAX_DELIM		32	/* longest delimiter accepted by {{=a b=}} */
#define MAX_NEST		100	/* sections inside sections, per template */
#define MAX_PARTIAL_DEPTH	64	/* partials inside partials while rendering */
#define MAX_DIR_DEPTH		16	/* subfolders of a template folder (symlink loops) */
#define TMPL_MAX_FRAMES		8	/* values a render may start from (tmpl_render_frames) */

enum node_type {
	N_TEXT,		/* literal bytes */
	N_VAR,		/* {{name}}: HTML-escaped */
	N_RAW,		/* {{{name}}} or {{& name}} */
	N_SECTION,	/* {{#name}}...{{/name}} */
	N_INVERTED,	/* {{^name}}...{{/name}} */
	N_PARTIAL	/* {{> name}} */
};

/* A dotted name split at parse time; nparts == 0 is the implicit iterator ".". */
struct name {
	char	**parts;	/* points into the same allocation */
	size_t	  nparts;
};

struct node {
	enum node_type	 type;
	size_t		 off, len;	/* N_TEXT: the text; N_PARTIAL: its indentation (in t->text) */
	size_t		 end;		/* sections: index of the first node after the section */
	int		 standalone;	/* N_PARTIAL: alone on its line, so its lines are indented */
	char		*key;		/* sections: the name as written; N_PARTIAL: the partial's name */
	struct name	 name;		/* N_VAR, N_RAW, sections */
};

struct tmpl {
	struct node	*nodes;
	size_t		 nnodes;
	char		*text;		/* every literal byte of the template, back to back */
};

/*
 * Parsing
 */

struct parser {
	const char	*name;		/* for error messages */
	const char	*src;
	size_t		 len;
	size_t		 pos;		/* first byte not yet consumed */
	char		 otag[MAX_DELIM + 1], ctag[MAX_DELIM + 1];
	size_t		 olen, clen;
	struct node	*nodes;
	size_t		 nnodes, cap;
	size_t		 nomerge;	/* text after a section's end must not join text inside it */
	struct buf	 text;
	size_t		 open[MAX_NEST];	/* node indices of the sections still open */
	size_t		 open_line[MAX_NEST];
	size_t		 nopen;
	size_t		 line, line_pos;	/* src[line_pos] is on line line */
	char		*err;
	size_t		 errlen;
};

/*
 * The line number of byte pos. Tags are met in order, so counting goes on
 * from the last answer instead of from the start every time.
 */
static size_t
line_at(struct parser *p, size_t pos)
{
	if (pos < p->line_pos) {
		p->line_pos = 0;
		p->line = 1;
	}
	for (; p->line_pos < pos && p->line_pos < p->len; p->line_pos++)
		if (p->src[p->line_pos] == '\n')
			p->line++;
	return p->line;
}

/* Always returns -1, so callers can write "return parse_error(...)". */
static int __attribute__((format(printf, 3, 4)))
parse_error(struct parser *p, size_t pos, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->errlen == 0)
		return -1;
	n = snprintf(p->err, p->errlen, "%s:%zu: ", p->name, line_at(p, pos));
	if (n >= 0 && (size_t)n < p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Like memmem, which is a GNU extension. */
static const char *
find(const char *hay, size_t haylen, const char *needle, size_t nlen)
{
	const char *p = hay, *end = hay + haylen;

	while ((size_t)(end - p) >= nlen) {
		p = memchr(p, needle[0], (size_t)(end - p) - nlen + 1);
		if (p == NULL)
			return NULL;
		if (memcmp(p, needle, nlen) == 0)
			return p;
		p++;
	}
	return NULL;
}

static struct node *
add_node(struct parser *p, enum node_type type)
{
	struct node *n;

	if (p->nnodes == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 16;
		p->nodes = xrealloc(p->nodes, p->cap * sizeof *p->nodes);
	}
	n = &p->nodes[p->nnodes++];
	memset(n, 0, sizeof *n);
	n->type = type;
	return n;
}

/* Appends literal text, merged into the previous text node when possible. */
static void
add_text(struct parser *p, size_t from, size_t to)
{
	struct node *last;

	if (to <= from)
		return;
	last = p->nnodes > p->nomerge ? &p->nodes[p->nnodes - 1] : NULL;
	if (last == NULL || last->type != N_TEXT ||
	    last->off + last->len != p->text.len) {
		last = add_node(p, N_TEXT);
		last->off = p->text.len;
	}
	buf_append(&p->text, p->src + from, to - from);
	last->len += to - from;
}

/* Splits a dotted name; -1 (error set) for empty parts such as "a..b". */
static int
parse_name(struct parser *p, size_t pos, const char *s, size_t len,
    struct name *nm)
{
	size_t nparts = 1, i, k;
	char *copy;

	if (len == 1 && s[0] == '.') {
		nm->parts = NULL;
		nm->nparts = 0;
		return 0;
	}
	for (i = 0; i < len; i++) {
		if (is_space(s[i]))
			return parse_error(p, pos, "bad name \"%.*s\": "
			    "spaces inside a tag name", (int)len, s);
		if (s[i] == '.')
			nparts++;
	}
	/* The part pointers and the NUL-separated parts share one block. */
	nm->parts = xmalloc(nparts * sizeof *nm->parts + len + 1);
	copy = (char *)(nm->parts + nparts);
	memcpy(copy, s, len);
	copy[len] = '\0';
	nm->nparts = nparts;
	nm->parts[0] = copy;
	for (i = 0, k = 1; i < len; i++) {
		if (copy[i] == '.') {
			copy[i] = '\0';
			nm->parts[k++] = copy + i + 1;
		}
	}
	for (k = 0; k < nparts; k++) {
		if (nm->parts[k][0] == '\0') {
			free(nm->parts);
			nm->parts = NULL;
			nm->nparts = 0;
			return parse_error(p, pos, "bad name \"%.*s\": "
			    "empty part in a dotted name", (int)len, s);
		}
	}
	return 0;
}

/* {{=<% %>=}}: s is what lies between the two '='. */
static int
set_delimiters(struct parser *p, size_t pos, const char *s, size_t len)
{
	const char *end = s + len, *o, *c;
	size_t olen, clen;

	while (s < end && is_space(*s))
		s++;
	while (end > s && is_space(end[-1]))
		end--;
	for (o = s; s < end && !is_space(*s); s++)
		;
	olen = (size_t)(s - o);
	while (s < end && is_space(*s))
		s++;
	c = s;
	clen = (size_t)(end - c);
	if (olen == 0 || clen == 0 || olen > MAX_DELIM || clen > MAX_DELIM ||
	    memchr(o, '=', olen) != NULL || memchr(c, '=', clen) != NULL)
		goto bad;
	for (s = c; s < end; s++)
		if (is_space(*s))
			goto bad;
	memcpy(p->otag, o, olen);
	p->otag[olen] = '\0';
	p->olen = olen;
	memcpy(p->ctag, c, clen);
	p->ctag[clen] = '\0';
	p->clen = clen;
	return 0;
bad:
	return parse_error(p, pos, "bad delimiters: want {{=OPEN CLOSE=}} with "
	    "two delimiters of 1 to %d characters, no spaces and no '='",
	    MAX_DELIM);
}

/* Parses the tag whose opening delimiter starts at tstart. */
static int
parse_tag(struct parser *p, size_t tstart)
{
	const char *src = p->src;
	char sigil, closer[MAX_DELIM + 2];
	size_t closelen, cstart, cend, tend, ls, te, next, k;
	const char *c, *name;
	size_t namelen;
	int standalone, can_stand;
	struct node *n;

	cstart = tstart + p->olen;
	sigil = cstart < p->len ? src[cstart] : '\0';
	switch (sigil) {
	case '#': case '^': case '/': case '!': case '>': case '&':
	case '{': case '=':
		cstart++;
		break;
	default:
		sigil = '\0';
		break;
	}

	/* {{{x}}} ends with "}" and the close delimiter, {{=a b=}} with "=". */
	closelen = 0;
	if (sigil == '{' || sigil == '=')
		closer[closelen++] = sigil == '{' ? '}' : '=';
	memcpy(closer + closelen, p->ctag, p->clen);
	closelen += p->clen;
	c = find(src + cstart, p->len - cstart, closer, closelen);
	if (c == NULL)
		return parse_error(p, tstart, "unclosed tag: no \"%.*s\" after "
		    "\"%s\"", (int)closelen, closer, p->otag);
	cend = (size_t)(c - src);
	tend = cend + closelen;

	/* The tag's name (unused for comments and delimiters). */
	name = src + cstart;
	namelen = cend - cstart;
	while (namelen > 0 && is_space(*name)) {
		name++;
		namelen--;
	}
	while (namelen > 0 && is_space(name[namelen - 1]))
		namelen--;

	/*
	 * Standalone: only blanks between the start of the line and the tag,
	 * and between the tag and the end of the line. Interpolations never
	 * are, since they produce output on that line.
	 */
	can_stand = sigil != '\0' && sigil != '&' && sigil != '{';
	ls = tstart;
	while (ls > p->pos && is_hspace((unsigned char)src[ls - 1]))
		ls--;
	te = tend;
	while (te < p->len && is_hspace((unsigned char)src[te]))
		te++;
	next = te;
	if (te < p->len && src[te] == '\n')
		next = te + 1;
	else if (te + 1 < p->len && src[te] == '\r' && src[te + 1] == '\n')
		next = te + 2;
	standalone = can_stand && (ls == 0 || src[ls - 1] == '\n') &&
	    (te == p->len || next != te);

	add_text(p, p->pos, standalone ? ls : tstart);
	p->pos = standalone ? next : tend;

	switch (sigil) {
	case '!':
		return 0;
	case '=':
		return set_delimiters(p, tstart, src + cstart, cend - cstart);
	case '>':
		if (namelen == 0)
			return parse_error(p, tstart, "partial without a name");
		n = add_node(p, N_PARTIAL);
		n->key = xstrndup(name, namelen);
		n->standalone = standalone;
		/* The indentation is kept with the text, where the renderer finds it. */
		n->off = p->text.len;
		if (standalone) {
			buf_append(&p->text, src + ls, tstart - ls);
			n->len = tstart - ls;
		}
		return 0;
	case '/':
		if (p->nopen == 0)
			return parse_error(p, tstart, "closing tag \"%.*s\" "
			    "without an open section", (int)namelen, name);
		k = p->open[p->nopen - 1];
		n = &p->nodes[k];
		if (strlen(n->key) != namelen ||
		    memcmp(n->key, name, namelen) != 0)
			return parse_error(p, tstart, "closing tag \"%.*s\" "
			    "does not match the open section \"%s\" (line %zu)",
			    (int)namelen, name, n->key,
			    p->open_line[p->nopen - 1]);
		n->end = p->nnodes;
		p->nomerge = p->nnodes;
		p->nopen--;
		return 0;
	default:
		break;
	}

	if (namelen == 0)
		return parse_error(p, tstart, "empty tag");
	if (sigil == '#' || sigil == '^') {
		if (p->nopen == MAX_NEST)
			return parse_error(p, tstart, "sections nested more "
			    "than %d deep", MAX_NEST);
		n = add_node(p, sigil == '#' ? N_SECTION : N_INVERTED);
		n->key = xstrndup(name, namelen);
		p->open[p->nopen] = p->nnodes - 1;
		p->open_line[p->nopen] = line_at(p, tstart);
		p->nopen++;
	} else
		n = add_node(p, sigil == '\0' ? N_VAR : N_RAW);
	return parse_name(p, tstart, name, namelen, &n->name);
}

struct tmpl *
tmpl_parse(const char *name, const char *src, size_t len, char *err,
    size_t errlen)
{
	struct parser p;
	struct tmpl *t;
	const char *tag;

	memset(&p, 0, sizeof p);
	p.name = name != NULL ? name : "template";
	p.src = src;
	p.len = len;
	memcpy(p.otag, "{{", 3);
	memcpy(p.ctag, "}}", 3);
	p.olen = p.clen = 2;
	p.line = 1;
	p.err = err;
	p.errlen = errlen;
	buf_init(&p.text);

	while (p.pos < len) {
		tag = find(src + p.pos, len - p.pos, p.otag, p.olen);
		if (tag == NULL) {
			add_text(&p, p.pos, len);
			break;
		}
		if (parse_tag(&p, (size_t)(tag - src)) == -1)
			goto fail;
	}
	if (p.nopen > 0) {
		struct node *n = &p.nodes[p.open[p.nopen - 1]];

		/* Report where the section was opened: that is what to fix. */
		snprintf(err, errlen, "%s:%zu: unclosed section \"%s\"",
		    p.name, p.open_line[p.nopen - 1], n->key);
		goto fail;
	}

	t = xmalloc(sizeof *t);
	t->nodes = p.nodes;
	t->nnodes = p.nnodes;
	t->text = buf_detach(&p.text);
	return t;
fail:
	t = xmalloc(sizeof *t);
	t->nodes = p.nodes;
	t->nnodes = p.nnodes;
	t->text = NULL;
	buf_free(&p.text);
	tmpl_free(t);
	return NULL;
}

void
tmpl_free(struct tmpl *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nnodes; i++) {
		free(t->nodes[i].key);
		free(t->nodes[i].name.parts);
	}
	free(t->nodes);
	free(t->text);
	free(t);
}

/*
 * Rendering
 */

/* One entry of the context stack; the innermost section's value is on top. */
struct ctx {
	struct tmpl_val		 v;
	const struct ctx	*up;
};

/* Indentation of nested standalone partials, innermost first. */
struct indent {
	const char		*s;
	size_t			 len;
	const struct indent	*up;
};

struct render {
	struct buf		*out;
	tmpl_partial_fn		 partials;
	void			*pctx;
	const struct indent	*indent;	/* NULL outside indented partials */
	int			 bol;		/* at a line start where indentation is due */
	int			 depth;		/* partials being rendered */
};

static int render_nodes(struct render *, const struct tmpl *, size_t, size_t,
    const struct ctx *);

struct tmpl_val
tmpl_text(const char *s)
{
	struct tmpl_val v = { .kind = TMPL_NONE };

	if (s != NULL) {
		v.kind = TMPL_TEXT;
		v.u.text.s = s;
		v.u.text.len = strlen(s);
	}
	return v;
}

struct tmpl_val
tmpl_bool(bool b)
{
	return (struct tmpl_val){ .kind = TMPL_BOOL, .u.b = b };
}

struct tmpl_val
tmpl_int(long long i)
{
	return (struct tmpl_val){ .kind = TMPL_INT, .u.i = i };
}

struct tmpl_val
tmpl_object(const struct tmpl_src *src, const void *self)
{
	return (struct tmpl_val){ .kind = TMPL_OBJECT, .u.ext = { src, self } };
}

struct tmpl_val
tmpl_list(const struct tmpl_src *src, const void *self)
{
	return (struct tmpl_val){ .kind = TMPL_LIST, .u.ext = { src, self } };
}

static bool
members_member(const void *self, const char *name, struct tmpl_val *out)
{
	for (const struct tmpl_member *m = self; m->name != NULL; m++)
		if (strcmp(m->name, name) == 0) {
			*out = m->v;
			return true;
		}
	return false;
}

const struct tmpl_src tmpl_members_src = { .member = members_member };

/* Sets *out to v's member called name; false when v is no object or has no such member. */
static bool
member(const struct tmpl_val *v, const char *name, struct tmpl_val *out)
{
	struct json_object *j;

	switch (v->kind) {
	case TMPL_JSON:
		/* A member that is null is still there: it ends the search. */
		if (!json_object_is_type(v->u.json, json_type_object) ||
		    !json_object_object_get_ex(v->u.json, name, &j))
			return false;
		out->kind = TMPL_JSON;
		out->u.json = j;
		return true;
	case TMPL_OBJECT:
		return v->u.ext.src->member != NULL &&
		    v->u.ext.src->member(v->u.ext.self, name, out);
	default:
		return false;
	}
}

/*
 * Names resolve against the innermost context that has their first part;
 * the rest of a dotted name must then resolve from there, with no fallback
 * to outer contexts (the spec's "broken chain" rule). Missing is TMPL_NONE.
 */
static struct tmpl_val
lookup(const struct ctx *c, const struct name *nm)
{
	struct tmpl_val v = { .kind = TMPL_NONE }, next;

	if (nm->nparts == 0)
		return c->v;
	for (; c != NULL; c = c->up)
		if (member(&c->v, nm->parts[0], &v))
			break;
	if (c == NULL)
		return (struct tmpl_val){ .kind = TMPL_NONE };
	for (size_t i = 1; i < nm->nparts; i++) {
		if (!member(&v, nm->parts[i], &next))
			return (struct tmpl_val){ .kind = TMPL_NONE };
		v = next;
	}
	return v;
}

/*
 * False, null, missing, an empty list and an empty string skip a section.
 * Numbers, zero included, do not: a count of 0 is still a value.
 */
static int
truthy(const struct tmpl_val *v)
{
	switch (v->kind) {
	case TMPL_NONE:
		return 0;
	case TMPL_TEXT:
		return v->u.text.len > 0;
	case TMPL_BOOL:
		return v->u.b;
	case TMPL_INT:
	case TMPL_OBJECT:
		return 1;
	case TMPL_LIST:
		return v->u.ext.src->count(v->u.ext.self) > 0;
	case TMPL_JSON:
		break;
	}
	switch (json_object_get_type(v->u.json)) {
	case json_type_null:
		return 0;
	case json_type_boolean:
		return json_object_get_boolean(v->u.json);
	case json_type_array:
		return json_object_array_length(v->u.json) > 0;
	case json_type_string:
		return json_object_get_string_len(v->u.json) > 0;
	default:
		return 1;
	}
}

static void
put_indent(struct render *r, const struct indent *in)
{
	if (in == NULL)
		return;
	put_indent(r, in->up);
	buf_append(r->out, in->s, in->len);
}

/* Emits the indentation a line start is waiting for. */
static void
flush_indent(struct render *r)
{
	if (r->bol && r->indent != NULL)
		put_indent(r, r->indent);
	r->bol = 0;
}

static void
put_text(struct render *r, const char *s, size_t len)
{
	const char *end = s + len, *nl;

	if (r->indent == NULL) {
		buf_append(r->out, s, len);
		return;
	}
	/*
	 * Inside an indented partial every line of its own text gets the
	 * indentation, except empty lines (no trailing blanks).
	 */
	while (s < end) {
		if (r->bol && *s != '\n' && !(*s == '\r' && end - s > 1 &&
		    s[1] == '\n'))
			flush_indent(r);
		r->bol = 0;
		nl = memchr(s, '\n', (size_t)(end - s));
		if (nl == NULL) {
			buf_append(r->out, s, (size_t)(end - s));
			return;
		}
		buf_append(r->out, s, (size_t)(nl + 1 - s));
		s = nl + 1;
		r->bol = 1;
	}
}

/*
 * Shortest "%g" form that reads back as the same double, so 1.21 prints as
 * "1.21" rather than "1.2100000000000000". (Assumes the "C" numeric locale.)
 */
static size_t
format_double(char *num, size_t size, double d)
{
	int n = 0;

	for (int prec = 15; prec <= 17; prec++) {
		n = snprintf(num, size, "%.*g", prec, d);
		if (strtod(num, NULL) == d)
			break;
	}
	return n > 0 ? (size_t)n : 0;
}

/* Writes a value as text; null, missing, objects and lists write nothing. */
static void
put_value(struct render *r, const struct tmpl_val *v, int escape)
{
	struct json_object *j;
	char num[40];
	const char *s;
	size_t len;
	int64_t i;
	int n;

	flush_indent(r);
	switch (v->kind) {
	case TMPL_TEXT:
		s = v->u.text.s;
		len = v->u.text.len;
		goto put;
	case TMPL_BOOL:
		s = v->u.b ? "true" : "false";
		len = strlen(s);
		goto put;
	case TMPL_INT:
		n = snprintf(num, sizeof num, "%lld", v->u.i);
		s = num;
		len = n > 0 ? (size_t)n : 0;
		goto put;
	case TMPL_JSON:
		j = v->u.json;
		break;
	default:
		return;
	}
	switch (json_object_get_type(j)) {
	case json_type_string:
		s = json_object_get_string(j);
		len = (size_t)json_object_get_string_len(j);
		break;
	case json_type_int:
		/* get_int64 clamps what only fits an uint64 to INT64_MAX. */
		i = json_object_get_int64(j);
		if (i == INT64_MAX)
			n = snprintf(num, sizeof num, "%" PRIu64,
			    json_object_get_uint64(j));
		else
			n = snprintf(num, sizeof num, "%" PRId64, i);
		s = num;
		len = n > 0 ? (size_t)n : 0;
		break;
	case json_type_double:
		len = format_double(num, sizeof num, json_object_get_double(j));
		s = num;
		break;
	case json_type_boolean:
		s = json_object_get_boolean(j) ? "true" : "false";
		len = strlen(s);
		break;
	default:
		return;
	}
put:
	if (escape)
		esc_html(r->out, s, len);
	else
		buf_append(r->out, s, len);
}

/* n is a partial node of the template outer. */
static int
render_partial(struct render *r, const struct tmpl *outer,
    const struct node *n, const struct ctx *c)
{
	const struct tmpl *t;
	const struct indent *saved = r->indent;
	struct indent in;
	int rc;

	t = r->partials != NULL ? r->partials(r->pctx, n->key) : NULL;
	if (t == NULL)
		return 0;
	if (r->depth >= MAX_PARTIAL_DEPTH)
		return -1;
	if (n->standalone) {
		/* Its lines get the outer indentation plus the tag's own. */
		if (n->len > 0) {
			in.s = outer->text + n->off;
			in.len = n->len;
			in.up = r->indent;
			r->indent = &in;
		}
		r->bol = 1;
	} else {
		/*
		 * An inline partial continues the current line; its own
		 * lines are not indented, as if its text were spliced in.
		 */
		flush_indent(r);
		r->indent = NULL;
	}
	r->depth++;
	rc = render_nodes(r, t, 0, t->nnodes, c);
	r->depth--;
	if (!n->standalone)
		r->bol = 0;
	r->indent = saved;
	return rc;
}

/* Renders the section at index i once per item of a list, else once with v on top. */
static int
render_section(struct render *r, const struct tmpl *t, size_t i,
    const struct tmpl_val *v, const struct ctx *c)
{
	const struct node *n = &t->nodes[i];
	struct ctx sub;
	size_t k, len;

	sub.v = *v;
	sub.up = c;
	if (v->kind == TMPL_LIST) {
		len = v->u.ext.src->count(v->u.ext.self);
		for (k = 0; k < len; k++) {
			sub.v.kind = TMPL_NONE;
			v->u.ext.src->item(v->u.ext.self, k, &sub.v);
			if (render_nodes(r, t, i + 1, n->end, &sub) == -1)
				return -1;
		}
		return 0;
	}
	if (v->kind != TMPL_JSON || !json_object_is_type(v->u.json, json_type_array))
		return render_nodes(r, t, i + 1, n->end, &sub);
	len = json_object_array_length(v->u.json);
	sub.v.kind = TMPL_JSON;
	for (k = 0; k < len; k++) {
		sub.v.u.json = json_object_array_get_idx(v->u.json, k);
		if (render_nodes(r, t, i + 1, n->end, &sub) == -1)
			return -1;
	}
	return 0;
}

static int
render_nodes(struct render *r, const struct tmpl *t, size_t i, size_t end,
    const struct ctx *c)
{
	const struct node *n;
	struct tmpl_val v;

	while (i < end) {
		n = &t->nodes[i];
		switch (n->type) {
		case N_TEXT:
			put_text(r, t->text + n->off, n->len);
			i++;
			break;
		case N_VAR:
		case N_RAW:
			v = lookup(c, &n->name);
			put_value(r, &v, n->type == N_VAR);
			i++;
			break;
		case N_SECTION:
			v = lookup(c, &n->name);
			if (truthy(&v) && render_section(r, t, i, &v, c) == -1)
				return -1;
			i = n->end;
			break;
		case N_INVERTED:
			v = lookup(c, &n->name);
			if (!truthy(&v) && render_nodes(r, t, i + 1, n->end, c) == -1)
				return -1;
			i = n->end;
			break;
		case N_PARTIAL:
			if (render_partial(r, t, n, c) == -1)
				return -1;
			i++;
			break;
		}
	}
	return 0;
}

int
tmpl_render_frames(const struct tmpl *t, const struct tmpl_val *frames, size_t n,
    tmpl_partial_fn partials, void *ctx, struct buf *out)
{
	struct ctx stack[TMPL_MAX_FRAMES];
	struct render r;

	if (n == 0 || n > TMPL_MAX_FRAMES)
		return -1;
	for (size_t k = 0; k < n; k++) {
		stack[k].v = frames[k];
		stack[k].up = k > 0 ? &stack[k - 1] : NULL;
	}
	r.out = out;
	r.partials = partials;
	r.pctx = ctx;
	r.indent = NULL;
	r.bol = 1;
	r.depth = 0;
	/* Even an empty render leaves out a valid C string. */
	buf_reserve(out, 0);
	if (out->data != NULL)
		out->data[out->len] = '\0';
	return render_nodes(&r, t, 0, t->nnodes, &stack[n - 1]);
}

int
tmpl_render(const struct tmpl *t, struct json_object *data,
    tmpl_partial_fn partials, void *ctx, struct buf *out)
{
	struct tmpl_val top = { .kind = TMPL_JSON, .u.json = data };

	return tmpl_render_frames(t, &top, 1, partials, ctx, out);
}

/*
 * Template sets
 */

struct set_entry {
	char		*name;		/* "sub/name", without ".mustache" */
	char		*path;		/* only while loading: the file */
	struct tmpl	*t;
};

struct tmpl_set {
	struct set_entry	*v;	/* sorted by name, for bsearch */
	size_t			 n;
};

static const char suffix[] = ".mustache";

/* Reads the whole file at path into b; -1 with errno set on failure. */
static int
read_file(const char *path, struct buf *b)
{
	char chunk[16384];
	size_t n;
	FILE *f;
	int saved;

	if ((f = fopen(path, "rb")) == NULL)
		return -1;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_append(b, chunk, n);
	if (ferror(f)) {
		saved = errno;
		fclose(f);
		errno = saved ? saved : EIO;
		return -1;
	}
	fclose(f);
	return 0;
}

static void
set_add(struct tmpl_set *s, size_t *cap, char *name, char *path)
{
	if (s->n == *cap) {
		*cap = *cap ? *cap * 2 : 32;
		s->v = xrealloc(s->v, *cap * sizeof *s->v);
	}
	s->v[s->n].name = name;
	s->v[s->n].path = path;
	s->v[s->n].t = NULL;
	s->n++;
}

/* Finds the *.mustache files under dir; prefix is dir's part of their names. */
static int
collect(struct tmpl_set *s, size_t *cap, const char *dir, const char *prefix,
    int depth, char *err, size_t errlen)
{
	struct dirent *de;
	struct stat st;
	size_t nlen;
	char *path, *sub;
	DIR *d;
	int rc = 0;

	if ((d = opendir(dir)) == NULL) {
		snprintf(err, errlen, "%s: cannot read template folder: %s",
		    dir, strerror(errno));
		return -1;
	}
	while (rc == 0 && (errno = 0, de = readdir(d)) != NULL) {
		/* Hidden entries are editor and VCS droppings, never templates. */
		if (de->d_name[0] == '.')
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		if (stat(path, &st) == -1) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			rc = -1;
		} else if (S_ISDIR(st.st_mode)) {
			if (depth >= MAX_DIR_DEPTH) {
				snprintf(err, errlen, "%s: folders nested more "
				    "than %d deep (a symlink loop?)", path,
				    MAX_DIR_DEPTH);
				rc = -1;
			} else {
				sub = xasprintf("%s%s/", prefix, de->d_name);
				rc = collect(s, cap, path, sub, depth + 1,
				    err, errlen);
				free(sub);
			}
		} else if (S_ISREG(st.st_mode) &&
		    (nlen = strlen(de->d_name)) > sizeof suffix - 1 &&
		    strcmp(de->d_name + nlen - (sizeof suffix - 1),
		    suffix) == 0) {
			set_add(s, cap, xasprintf("%s%.*s", prefix,
			    (int)(nlen - (sizeof suffix - 1)), de->d_name),
			    path);
			continue;	/* path now belongs to the set */
		}
		free(path);
	}
	if (rc == 0 && errno != 0) {
		snprintf(err, errlen, "%s: cannot read template folder: %s",
		    dir, strerror(errno));
		rc = -1;
	}
	closedir(d);
	return rc;
}

static int
entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct set_entry *)a)->name,
	    ((const struct set_entry *)b)->name);
}

struct tmpl_set *
tmpl_set_load(const char *dir, char *err, size_t errlen)
{
	struct tmpl_set *s;
	struct buf src = BUF_INIT;
	struct stat st;
	size_t cap = 0, i;

	if (stat(dir, &st) == -1) {
		snprintf(err, errlen, "%s: cannot open template folder: %s",
		    dir, strerror(errno));
		return NULL;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: not a folder", dir);
		return NULL;
	}
	s = xcalloc(1, sizeof *s);
	if (collect(s, &cap, dir, "", 0, err, errlen) == -1)
		goto fail;
	/* Sorted, both for lookups and so "the first broken one" is always the same one. */
	qsort(s->v, s->n, sizeof *s->v, entry_cmp);
	for (i = 0; i < s->n; i++) {
		buf_reset(&src);
		if (read_file(s->v[i].path, &src) == -1) {
			snprintf(err, errlen, "%s: %s", s->v[i].path,
			    strerror(errno));
			goto fail;
		}
		s->v[i].t = tmpl_parse(s->v[i].path, buf_cstr(&src), src.len,
		    err, errlen);
		if (s->v[i].t == NULL)
			goto fail;
	}
	buf_free(&src);
	for (i = 0; i < s->n; i++) {
		free(s->v[i].path);
		s->v[i].path = NULL;
	}
	return s;
fail:
	buf_free(&src);
	tmpl_set_free(s);
	return NULL;
}

void
tmpl_set_free(struct tmpl_set *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].name);
		free(s->v[i].path);
		tmpl_free(s->v[i].t);
	}
	free(s->v);
	free(s);
}

const struct tmpl *
tmpl_set_get(const struct tmpl_set *s, const char *name)
{
	struct set_entry key, *e;

	if (s == NULL || name == NULL || s->n == 0)
		return NULL;
	key.name = (char *)name;
	e = bsearch(&key, s->v, s->n, sizeof *s->v, entry_cmp);
	return e != NULL ? e->t : NULL;
}

static const struct tmpl *
set_partial(void *ctx, const char *name)
{
	return tmpl_set_get(ctx, name);
}

int
tmpl_set_render(const struct tmpl_set *s, const char *name,
    struct json_object *data, struct buf *out)
{
	const struct tmpl *t = tmpl_set_get(s, name);

	if (t == NULL)
		return -1;
	/* The set is never changed through ctx; the callback type is generic. */
	return tmpl_render(t, data, set_partial, (void *)(uintptr_t)s, out);
}

int
tmpl_set_render_frames(const struct tmpl_set *s, const char *name,
    const struct tmpl_val *frames, size_t n, struct buf *out)
{
	const struct tmpl *t = tmpl_set_get(s, name);

	if (t == NULL)
		return -1;
	return tmpl_render_frames(t, frames, n, set_partial, (void *)(uintptr_t)s, out);
}
