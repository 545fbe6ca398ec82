/* answer.h: the engine that writes one answer: server-owned, saved as it streams, stoppable and followable. */
#ifndef PARLEY_ANSWER_H
#define PARLEY_ANSWER_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"

struct config;
struct json_object;
struct worker;

/*
 * How an answer is written (answer_begin or answer_regenerate, then
 * answer_run on the same thread, then answer_free):
 *
 *	struct answer *a;
 *	const char *field, *why = answer_invalid(cfg, content, model, &field);
 *	if (why != NULL) -> 422 {field: why}
 *	e = answer_begin(w, user_id, conv_id, content, model, &a);
 *	... answer_user_message(a), answer_assistant_message(a) (the "start") ...
 *	answer_run(a, on_delta, ctx, &final);	// blocks until the answer ends
 *	answer_free(a);
 *
 * The answer belongs to the server, not to the request: it is saved to its
 * messages row at most every ~200 ms as it grows (followers in any worker
 * or host are told with NOTIFY), and answer_run keeps writing when the
 * client is gone (a delta callback may just fail quietly). Only a stop
 * request (answer_stop) ends it early; the partial text is kept.
 *
 * All functions use the thread's worker (w->db, and the model client's
 * per-thread handle); nothing here is shared between threads.
 */

struct answer;

/* Text as the model writes it: whole UTF-8 characters, never empty. */
typedef void	(*answer_delta_fn)(void *ctx, const char *text, size_t len);

/*
 * Why a new message cannot be sent, for people, or NULL when it can:
 * content must have 1..CHAT_CONTENT_MAX characters and something besides
 * white space; model (NULL or "": the conversation's default) must be
 * offered by cfg. *field (if not NULL) is set to "content" or "model".
 */
const char	*answer_invalid(const struct config *cfg, const char *content,
		    const char *model, const char **field);

/*
 * Stores the user's message and an empty assistant message in status
 * 'streaming' (one transaction) and gets ready to write the answer.
 * model NULL or "": the conversation's default_model; else the
 * per-message override (stored on the user message). The first message of
 * a conversation still called CHAT_DEFAULT_TITLE names it.
 * DB_NOTFOUND: no such conversation for user_id; DB_INVALID: content or
 * model not acceptable (see answer_invalid; nothing stored).
 * *out: the answer to run (answer_free).
 */
enum db_err	 answer_begin(struct worker *w, const char *user_id, const char *conv_id,
		    const char *content, const char *model, struct answer **out);

/*
 * As answer_begin, for a caller that wants only the end (answer_run without
 * a delta callback; no "start" to send). When the model (the override, else
 * the conversation's default) is builtin/parley, which answers at once in
 * process, nothing is stored until answer_run has the answer: the question
 * and the answer are then stored together in one transaction, with no row
 * to save, stop or follow meanwhile. Other models: answer_begin.
 * Until answer_run returns, answer_user_message, answer_assistant_message
 * and answer_id may be NULL or "".
 */
enum db_err	 answer_begin_whole(struct worker *w, const char *user_id, const char *conv_id,
		    const char *content, const char *model, struct answer **out);

/*
 * Regenerates the last answer: deletes the conversation's last assistant
 * message (with its response) and starts a new answer to the last user
 * message. model NULL or "": the model that message asked for (its
 * override), else the conversation's default. DB_NOTFOUND: no such
 * conversation, or no user message in it; DB_CONFLICT: an answer is still
 * being written; DB_INVALID: unknown model.
 */
enum db_err	 answer_regenerate(struct worker *w, const char *user_id, const char *conv_id,
		    const char *model, struct answer **out);

/* The stored user message and the assistant message as it starts (borrowed; valid until answer_free). */
struct json_object *answer_user_message(const struct answer *a);
struct json_object *answer_assistant_message(const struct answer *a);
/* The assistant message's id. */
const char	*answer_id(const struct answer *a);

/*
 * Writes the answer with the model, calling delta (may be NULL) as text
 * arrives, running the task tools for the conversation's owner, and
 * stores the end: status 'complete', 'stopped' (partial text kept) or
 * 'error' (the error stored; the user message is always kept), the Markdown
 * rendered once to content_html, the responses row, the conversation's
 * updated_at. Blocks until done.
 *
 * Returns DB_OK when the end was stored, whatever the status; *final (if
 * not NULL) is then the stored assistant message with its response and
 * actions (caller puts). DB_NOTFOUND when the conversation was deleted
 * meanwhile; other errors when the database failed (the row is left
 * 'streaming' and a later follower reaps it).
 */
enum db_err	 answer_run(struct answer *a, answer_delta_fn delta, void *ctx,
		    struct json_object **final);

/*
 * Optional: tick is called about once a second while answer_run waits on
 * the model (for example to send an SSE keep-alive when nothing was sent
 * for a while). Set it before answer_run.
 */
void		 answer_set_tick(struct answer *a, void (*tick)(void *ctx), void *ctx);

void		 answer_free(struct answer *a);	/* accepts NULL */

/*
 * Asks the writer of message id (in any worker or host) to stop. Waits up
 * to wait_ms for it to store the end. *out (if not NULL): the message as it
 * is then; *ended: whether its status is no longer 'streaming' (so 200
 * rather than 202). Stopping an answer that had already ended changes
 * nothing and is DB_OK; one whose writer vanished is marked failed.
 * DB_NOTFOUND: no such message of the owner's.
 */
enum db_err	 answer_stop(struct worker *w, const char *user_id, const char *conv_id,
		    const char *id, long wait_ms, struct json_object **out, bool *ended);

/* What answer_follow tells its caller. Any callback may be NULL; non-zero from one stops following. */
struct answer_follow_cb {
	void	*ctx;
	/* First, once: the message as it is now (status may be 'streaming'). */
	int	(*start)(void *ctx, struct json_object *msg);
	/* The text written since the last call (whole characters); first: all there is so far. */
	int	(*delta)(void *ctx, const char *text, size_t len);
	/* About every 15 s while nothing new arrives (for SSE ": keep-alive"). */
	int	(*keepalive)(void *ctx);
	/* Last, once, when the answer has ended: the stored message with its response. */
	int	(*done)(void *ctx, struct json_object *msg);
};

/*
 * Follows the owner's answer id until it ends, from any worker: sends what
 * is there, then new text as the writer saves it (LISTEN on the message's
 * channel, on the thread's own connection pinned for the request (db_pin,
 * notify.h), with a
 * re-read at least every second in case notifications cannot arrive, e.g.
 * behind PgBouncer in transaction mode), then done. An answer that had already ended gives
 * start, one delta (if it has text) and done at once. An answer whose
 * writer vanished (no check-in for CHAT_WRITER_STALE_S seconds: its worker
 * died) is marked failed, its text kept, and reported with status 'error'.
 * DB_NOTFOUND: no such message of the owner's; DB_OK otherwise (also
 * when a callback stopped it).
 */
enum db_err	 answer_follow(struct worker *w, const char *user_id, const char *conv_id,
		    const char *id, const struct answer_follow_cb *cb);

#endif
