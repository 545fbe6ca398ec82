/* markdown.h: Markdown to HTML that is safe to put in a page (assistant answers, proposals). */
#ifndef PARLEY_MARKDOWN_H
#define PARLEY_MARKDOWN_H

#include <stdbool.h>

/*
 * CommonMark through cmark in safe mode: raw HTML (blocks and inline) is
 * dropped, invalid UTF-8 is replaced, and every link keeps its target only
 * when it is relative or http, https or mailto; images become plain links,
 * so an answer cannot make the browser fetch anything by itself.
 * md may be NULL (""). Caller frees.
 */
char	*markdown_html(const char *md);

/* True when url may be a link target: relative, or http:, https: or mailto: (as browsers read it). */
bool	 markdown_url_safe(const char *url);

#endif
