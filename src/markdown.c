/* markdown.c: cmark in safe mode, plus a scheme allowlist for links and no remote images. */
#include "markdown.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmark.h>

#include "xalloc.h"

/*
 * cmark's safe mode already drops raw HTML and blanks javascript:, vbscript:,
 * file: and most data: links. The allowlist below is a second, stricter
 * fence that reads a URL the way browsers do (they ignore tabs and newlines
 * anywhere and control characters at the ends), so a scheme cmark does not
 * know about, or a future change in cmark, cannot open a hole.
 */
#define MD_OPTIONS	(CMARK_OPT_DEFAULT | CMARK_OPT_SAFE | CMARK_OPT_VALIDATE_UTF8)

bool
markdown_url_safe(const char *url)
{
	char scheme[16];
	size_t n = 0;
	const unsigned char *s = (const unsigned char *)url;

	if (url == NULL)
		return true;
	while (*s != '\0' && *s <= ' ')
		s++;
	for (; *s != '\0'; s++) {
		if (*s == '\t' || *s == '\n' || *s == '\r')
			continue;
		if (*s == ':')
			break;
		if (*s == '/' || *s == '?' || *s == '#')
			return true;		/* a path, query or fragment: relative */
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (n > 0 && ((*s >= '0' && *s <= '9') || *s == '+' || *s == '-' || *s == '.'))))
			return true;		/* not a scheme, so browsers read a relative path */
		if (n + 1 < sizeof scheme)
			scheme[n] = (char)*s;
		n++;
	}
	if (*s != ':')
		return true;			/* no colon: relative */
	if (n == 0)
		return true;			/* ":foo" is a relative path too */
	if (n + 1 > sizeof scheme)
		return false;			/* longer than any scheme we allow */
	scheme[n] = '\0';
	return strcasecmp(scheme, "http") == 0 || strcasecmp(scheme, "https") == 0 ||
	    strcasecmp(scheme, "mailto") == 0;
}

/* Replaces an image by a link to it with the same text, so nothing loads by itself. */
static void
image_to_link(cmark_node *img)
{
	cmark_node *link, *child;
	const char *url = cmark_node_get_url(img);
	const char *title = cmark_node_get_title(img);

	link = cmark_node_new(CMARK_NODE_LINK);
	if (link == NULL)
		return;
	cmark_node_set_url(link, markdown_url_safe(url) ? url : "");
	cmark_node_set_title(link, title != NULL ? title : "");
	while ((child = cmark_node_first_child(img)) != NULL)
		cmark_node_append_child(link, child);
	if (cmark_node_first_child(link) == NULL) {
		/* An image without alternative text would become an invisible link. */
		cmark_node *text = cmark_node_new(CMARK_NODE_TEXT);

		if (text != NULL) {
			cmark_node_set_literal(text, "image");
			cmark_node_append_child(link, text);
		}
	}
	cmark_node_insert_before(img, link);
	cmark_node_free(img);
}

char *
markdown_html(const char *md)
{
	cmark_node *doc, *node, **images = NULL;
	cmark_iter *it;
	cmark_event_type ev;
	size_t nimages = 0, cap = 0;
	char *html;

	if (md == NULL)
		md = "";
	doc = cmark_parse_document(md, strlen(md), MD_OPTIONS);
	if (doc == NULL)
		return xstrdup("");

	it = cmark_iter_new(doc);
	if (it == NULL) {
		cmark_node_free(doc);
		return xstrdup("");
	}
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		if (ev != CMARK_EVENT_ENTER)
			continue;
		node = cmark_iter_get_node(it);
		switch (cmark_node_get_type(node)) {
		case CMARK_NODE_LINK:
			if (!markdown_url_safe(cmark_node_get_url(node)))
				cmark_node_set_url(node, "");
			break;
		case CMARK_NODE_IMAGE:
			/* Changed after the walk: the iterator must not see the tree move. */
			if (nimages == cap) {
				cap = cap ? cap * 2 : 8;
				images = xrealloc(images, cap * sizeof *images);
			}
			images[nimages++] = node;
			break;
		default:
			break;
		}
	}
	cmark_iter_free(it);
	for (size_t i = 0; i < nimages; i++)
		image_to_link(images[i]);
	free(images);

	html = cmark_render_html(doc, MD_OPTIONS);
	cmark_node_free(doc);
	if (html == NULL)
		return xstrdup("");
	return html;
}
