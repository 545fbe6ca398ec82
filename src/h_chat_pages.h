/* h_chat_pages.h: the chat's HTML pages (/chat...), one function per route; the API is h_chat_api.h. */
#ifndef PARLEY_H_CHAT_PAGES_H
#define PARLEY_H_CHAT_PAGES_H

#include <stddef.h>

struct prefetch;
struct req;

/*
 * Pages (LOGIN). Every POST answers 303 (POST/redirect/GET), or renders the
 * page again with 422 and the fields' errors. Another person's conversation
 * or message is a 404.
 */
void	 h_chat_page(struct req *r);		/* GET  /chat?q=words */
void	 h_chat_create(struct req *r);		/* POST /chat {model, title?} -> /chat/{id} */
void	 h_chat_conversation(struct req *r);	/* GET  /chat/{id}?before={mid} */
/* The reads h_chat_conversation starts with (route_prefetch_fn, prefetch.h). */
void	 prefetch_chat_conversation(const struct req *r, const char *user_id, struct prefetch *pf);
/* Waits for the whole answer, then 303 to /chat/{id}#{answer id} (the path without JavaScript). */
void	 h_chat_send(struct req *r);		/* POST /chat/{id}/messages {content, model} */
/* ?fragment=1: the message's <li> alone (chat.js swaps it in); otherwise 303 to /chat/{id}#{mid}. */
void	 h_chat_message(struct req *r);		/* GET  /chat/{id}/messages/{mid} */
void	 h_chat_stop(struct req *r);		/* POST /chat/{id}/messages/{mid}/stop */
void	 h_chat_rename(struct req *r);		/* POST /chat/{id}/rename {title} */
void	 h_chat_model(struct req *r);		/* POST /chat/{id}/model {model} */
void	 h_chat_delete(struct req *r);		/* POST /chat/{id}/delete */
void	 h_chat_regenerate(struct req *r);	/* POST /chat/{id}/regenerate {model?} */

#endif
