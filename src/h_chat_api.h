/* h_chat_api.h: the chat JSON API (/api/v1/conversations..., /models, /usage), one function per route. */
#ifndef PARLEY_H_CHAT_API_H
#define PARLEY_H_CHAT_API_H

#include <stddef.h>

struct prefetch;
struct req;

/*
 * All API routes (RF_API | RF_LOGIN). Posting a message or regenerating
 * answers 201 {"user_message", "assistant_message"} once the answer is
 * stored, or Server-Sent Events with "stream": true or Accept:
 * text/event-stream:
 *	event: start	{"user_message", "assistant_message"}
 *	event: delta	{"content": "..."}			(repeated)
 *	event: done	the stored assistant message		(or)
 *	event: error	{"error": {"code", "message"}, "assistant_message"}
 * with ": keep-alive" comments about every 15 s while nothing is said.
 */
void	 h_api_models(struct req *r);		/* GET    /api/v1/models */
void	 h_api_usage(struct req *r);		/* GET    /api/v1/usage */
void	 h_api_conv_list(struct req *r);	/* GET    /api/v1/conversations?limit=&offset=&q= */
void	 h_api_conv_create(struct req *r);	/* POST   /api/v1/conversations {title?, default_model?} */
void	 h_api_conv_get(struct req *r);		/* GET    /api/v1/conversations/{id} */
void	 h_api_conv_update(struct req *r);	/* PATCH  /api/v1/conversations/{id} {title?, default_model?} */
void	 h_api_conv_delete(struct req *r);	/* DELETE /api/v1/conversations/{id} */
void	 h_api_msg_list(struct req *r);		/* GET    /api/v1/conversations/{id}/messages?limit=&before= */
void	 h_api_msg_create(struct req *r);	/* POST   /api/v1/conversations/{id}/messages {content, model?, stream?} */
/* The reads the two handlers above start with (route_prefetch_fn, prefetch.h). */
void	 prefetch_api_msg_list(const struct req *r, const char *user_id, struct prefetch *pf);
void	 prefetch_api_msg_create(const struct req *r, const char *user_id, struct prefetch *pf);
void	 h_api_regenerate(struct req *r);	/* POST   /api/v1/conversations/{id}/regenerate {model?, stream?} */
void	 h_api_msg_get(struct req *r);		/* GET    /api/v1/conversations/{id}/messages/{mid} */
void	 h_api_msg_events(struct req *r);	/* GET    /api/v1/conversations/{id}/messages/{mid}/events */
void	 h_api_msg_stop(struct req *r);		/* POST   /api/v1/conversations/{id}/messages/{mid}/stop */

#endif
