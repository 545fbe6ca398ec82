/* chat.h: the chat store: conversations, messages, answers' receipts and usage, always per owner. */
#ifndef PARLEY_CHAT_H
#define PARLEY_CHAT_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"

struct buf;
struct json_object;

/*
 * Every function takes the owner's user id and touches only that person's
 * rows: another user's conversation or message is simply not found
 * (DB_NOTFOUND), and so is an id that is not a UUID, so callers answer 404
 * for both. Errors are enum db_err (db.h); outputs are set only on DB_OK.
 * Every returned JSON value is new (caller puts it).
 *
 * A conversation:
 *	{"id", "title", "default_model", "created_at", "updated_at"}
 * Lists of conversations also carry "last_message_at" (string or null) and
 * "message_count" (int); search results carry "snippet" (the start of the
 * first matching message, plain text, or null when only the title matched).
 *
 * A message:
 *	{"id", "conversation_id", "role" ("user" | "assistant"), "content",
 *	 "content_html" (assistant: safe HTML rendered when the answer ended,
 *	 null while it streams; user: null), "model" (user: the per-message
 *	 override or null; assistant: the answering model), "status"
 *	 ("complete" | "streaming" | "stopped" | "error"), "error" (string or
 *	 null), "created_at", "actions" (array of {"tool", "note"}: what the
 *	 assistant did on the task list, e.g. {"tool": "add_task", "note":
 *	 "Added task: Buy groceries"}), "response" (assistant, once finished:
 *	 {"model_used", "tokens_prompt", "tokens_completion", "tokens_total",
 *	 "completion_time_ms", "time_to_first_token_ms" (int or null),
 *	 "tokens_estimated" (bool), "created_at"}; otherwise null)}
 * Timestamps are "YYYY-MM-DDTHH:MM:SS.ffffffZ".
 */

#define CHAT_TITLE_MAX		200	/* characters, after trimming */
#define CHAT_CONTENT_MAX	32000	/* characters of a user message */
#define CHAT_PAGE_DEFAULT	50	/* messages per page */
#define CHAT_HISTORY_MAX	50	/* messages a model is sent, the new one included (a literal: SQL text) */
#define CHAT_PAGE_MAX		200
#define CHAT_LIST_MAX		200	/* conversations per page */
#define CHAT_DEFAULT_TITLE	"New conversation"	/* the title until the first exchange names it */
/*
 * A streaming answer whose writer has not saved or said it is alive for this
 * long (seconds) lost its writer (a worker that died); writers check in every
 * few seconds.
 */
#define CHAT_WRITER_STALE_S	60
#define CHAT_STALE_S_SQL	"60"	/* the same, for SQL text */

/* True when s is a UUID in its 36-character text form. */
bool		 chat_id_valid(const char *s);

/*
 * Why a title cannot be used ("The title is required."), or NULL when it is
 * fine; judged after trimming, 1..CHAT_TITLE_MAX characters.
 */
const char	*chat_title_invalid(const char *title);

/*
 * A short title made from a first message: its first six words, single
 * spaced, at most 60 characters (cut at a word, with "…" when cut), without
 * trailing punctuation; CHAT_DEFAULT_TITLE when nothing is left. Caller frees.
 */
char		*chat_title_from(const char *text);

/* ---- conversations ---- */

/*
 * A new conversation. title NULL or empty: CHAT_DEFAULT_TITLE (named by
 * the first exchange); else trimmed and checked (DB_INVALID). model is
 * stored as given (callers check it with llm_model_known first).
 */
enum db_err	 chat_conv_create(struct db *db, const char *user_id, const char *title,
		    const char *default_model, struct json_object **out);

/* The owner's conversations, most recently active first (updated_at desc). limit 1..CHAT_LIST_MAX. */
enum db_err	 chat_conv_list(struct db *db, const char *user_id, int limit, int offset,
		    struct json_object **items);

/*
 * The owner's conversations whose title or any message contains all the
 * words of q (PostgreSQL full-text search, 'simple' configuration), most
 * recently active first. q without words: an empty array.
 */
enum db_err	 chat_conv_search(struct db *db, const char *user_id, const char *q, int limit,
		    int offset, struct json_object **items);

struct pg_result;

/*
 * A conversation as its row holds it, for the pages: the strings point into
 * the result that chat_convs owns (NULL for SQL NULL; times as PostgreSQL
 * writes them). snippet: the search's preview, else NULL.
 */
struct chat_conv {
	const char	*id, *title, *default_model, *created_at, *updated_at;
	const char	*last_message_at, *snippet;
	long		 message_count;
};

/* Conversations read for a page. Free with chat_convs_free. */
struct chat_convs {
	struct pg_result	*res;		/* owns every string of v */
	struct chat_conv	*v;
	size_t			 n;
};

/* chat_conv_list, chat_conv_search and chat_conv_get as rows (get: n is 1, or DB_NOTFOUND). */
enum db_err	 chat_conv_rows(struct db *db, const char *user_id, int limit, int offset,
		    struct chat_convs *out);
enum db_err	 chat_conv_search_rows(struct db *db, const char *user_id, const char *q,
		    int limit, int offset, struct chat_convs *out);
enum db_err	 chat_conv_one(struct db *db, const char *user_id, const char *id,
		    struct chat_convs *out);
void		 chat_convs_free(struct chat_convs *c);	/* accepts a zeroed one */

enum db_err	 chat_conv_get(struct db *db, const char *user_id, const char *id,
		    struct json_object **out);

/*
 * Changes the title and/or the default model (NULL: unchanged). The title
 * is trimmed and checked (DB_INVALID); the model is stored as given.
 * A rename keeps the title from being replaced by the first exchange.
 * *out (if not NULL): the conversation after.
 */
enum db_err	 chat_conv_update(struct db *db, const char *user_id, const char *id,
		    const char *title, const char *default_model, struct json_object **out);

/* Deletes a conversation with its messages and their responses (cascade). */
enum db_err	 chat_conv_delete(struct db *db, const char *user_id, const char *id);

/* ---- messages ---- */

/*
 * A message as its row holds it, for the pages: the strings point into the
 * result that chat_msgs owns (NULL for SQL NULL; created_at as PostgreSQL
 * writes it). The r_ fields are its receipt, when has_response.
 */
struct chat_msg {
	const char	*id, *conversation_id, *role, *content, *content_html, *model;
	const char	*status, *error, *created_at, *actions;
	bool		 has_response;
	const char	*r_model_used;
	long		 r_tokens_prompt, r_tokens_completion, r_tokens_total;	/* -1: NULL */
	long		 r_completion_time_ms, r_time_to_first_token_ms;	/* -1: NULL */
	bool		 r_tokens_estimated;
};

/* Messages read for a page, oldest first. Free with chat_msgs_free. */
struct chat_msgs {
	struct pg_result	*res;		/* owns every string of v */
	struct chat_msg		*v;
	size_t			 n;
	bool			 has_more;	/* older messages exist (chat_conv_page) */
};

/*
 * A conversation's page, read in one round trip: the owner's conversations
 * (as chat_conv_rows, the first list_limit) and a page of its messages,
 * oldest first: the newest limit (1..CHAT_PAGE_MAX) messages older than
 * message before (NULL: the newest); msgs->has_more says whether older
 * ones exist. An answer shown from its stored HTML comes without its
 * Markdown (content NULL). DB_NOTFOUND for a conversation that is not the
 * owner's, or a before id that is not a message of it.
 */
struct chat_convs;
enum db_err	 chat_conv_page(struct db *db, const char *user_id, const char *conv_id,
		    int list_limit, int limit, const char *before, struct chat_convs *convs,
		    struct chat_msgs *msgs);
/*
 * chat_conv_page's two reads, to send ahead (prefetch.h): into calls,
 * their parameters' text in args. Returns 2, or 0 when the arguments would
 * make chat_conv_page fail before reading.
 */
size_t		 chat_conv_page_reads(const char *user_id, const char *conv_id, int list_limit,
		    int limit, const char *before, struct db_call calls[2], struct db_args args[2]);
/* One message with its receipt (out->n is 1), or DB_NOTFOUND. */
enum db_err	 chat_msg_one(struct db *db, const char *user_id, const char *conv_id,
		    const char *id, struct chat_msgs *out);
void		 chat_msgs_free(struct chat_msgs *m);	/* accepts a zeroed one */

/* chat_msg_list_write's read, to send ahead (as chat_conv_page_reads): 1, or 0. */
size_t		 chat_msg_list_reads(const char *user_id, const char *conv_id, int limit,
		    const char *before, struct db_call *call, struct db_args *args);

/*
 * The same page as the JSON text the API answers, {"items": [...],
 * "has_more": bool}, appended to out: the bytes json-c would write for
 * the items of chat_msg_get's shape, without building them first.
 */
enum db_err	 chat_msg_list_write(struct db *db, const char *user_id, const char *conv_id,
		    int limit, const char *before, struct buf *out);

/* One message, with its response and actions. */
enum db_err	 chat_msg_get(struct db *db, const char *user_id, const char *conv_id,
		    const char *id, struct json_object **out);

/* The message's status only ("streaming", ...; copied to out, 16 bytes). */
enum db_err	 chat_msg_status(struct db *db, const char *user_id, const char *conv_id,
		    const char *id, char out[16]);

/*
 * For following an answer: its status, whether the writer was asked to
 * stop, and the content after the first skip characters (*more, caller
 * frees) with *nchars the content's whole length in characters.
 */
enum db_err	 chat_msg_tail(struct db *db, const char *user_id, const char *conv_id,
		    const char *id, long skip, char status[16], char **more, long *nchars);

/* ---- the answer engine's writes (answer.c; others use answer.h) ---- */

/*
 * In one transaction: checks the conversation is the owner's, inserts the
 * user message (model: the override, or NULL), the assistant message
 * (status 'streaming', model: the override, else the conversation's
 * default_model), bumps updated_at, and names the conversation from
 * content when this is its first message and it still has
 * CHAT_DEFAULT_TITLE. *user_msg and *asst_msg: the two rows.
 */
enum db_err	 chat_exchange_begin(struct db *db, const char *user_id, const char *conv_id,
		    const char *content, const char *override,
		    struct json_object **user_msg, struct json_object **asst_msg);

/*
 * For regenerating: in one transaction, deletes the conversation's last
 * message when it is an assistant message (and its response) and inserts a
 * new streaming assistant message for the last user message. *user_msg:
 * that user message. DB_NOTFOUND: no such conversation or no user message;
 * DB_CONFLICT: the last answer is still being written (an answer whose
 * writer vanished, see CHAT_WRITER_STALE_S, is replaced).
 */
enum db_err	 chat_regenerate_begin(struct db *db, const char *user_id, const char *conv_id,
		    const char *model, struct json_object **user_msg, struct json_object **asst_msg);

/*
 * The history for the model: the newest max messages before message
 * before_id (the answer being written), oldest first, as a JSON array of
 * {"role", "content"}; assistant messages that failed or are empty are left
 * out. Also the owner's name (*name, caller frees; may be NULL).
 */
enum db_err	 chat_history(struct db *db, const char *user_id, const char *conv_id,
		    const char *before_id, struct json_object **msgs, char **name);

/*
 * Saves what an answer has so far (content must be valid UTF-8 without
 * NULs; actions a JSON array or NULL for unchanged), records that the
 * writer is alive, and notifies followers.
 * *stop: the writer was asked to stop, or the message is gone
 * (the result is then DB_NOTFOUND).
 */
enum db_err	 chat_answer_save(struct db *db, const char *msg_id, const char *content,
		    struct json_object *actions, bool *stop);

/* Whether the writer was asked to stop (or the message is gone: true). */
enum db_err	 chat_answer_stop_requested(struct db *db, const char *msg_id, bool *stop);

/* The final state of an answer, stored in one transaction by chat_answer_finish. */
struct chat_finish {
	const char		*status;	/* "complete", "stopped", "error" */
	const char		*content;
	const char		*content_html;
	const char		*error;		/* NULL unless status is "error" */
	struct json_object	*actions;	/* array; NULL: [] */
	const char		*model_used;
	long			 tokens_prompt;
	long			 tokens_completion;
	long			 tokens_total;
	long			 completion_time_ms;
	long			 time_to_first_token_ms;	/* < 0: none (NULL) */
	bool			 tokens_estimated;
};

/*
 * Stores the answer's end (message row, responses row, conversation's
 * updated_at) and notifies followers, in one transaction. *final (if not
 * NULL): the stored message as chat_msg_get gives it. DB_NOTFOUND when the
 * message was deleted meanwhile.
 */
enum db_err	 chat_answer_finish(struct db *db, const char *conv_id, const char *msg_id,
		    const struct chat_finish *f, struct json_object **final);

/* chat_exchange_context's read as a statement, to send ahead (prefetch.c); args holds its parameters. */
void		 chat_exchange_context_call(const char *user_id, const char *conv_id,
		    struct db_args *args, struct db_call *call);

/*
 * For an answer written at once (the builtin model, to a caller that wants
 * only the end): everything chat_exchange_begin and chat_history would read,
 * in one statement. *default_model: the conversation's (caller frees);
 * *msgs: the newest CHAT_HISTORY_MAX - 1 messages as chat_history picks them, oldest first
 * (the new message is not stored yet); *name as chat_history's.
 * DB_NOTFOUND: not the owner's conversation.
 */
enum db_err	 chat_exchange_context(struct db *db, const char *user_id, const char *conv_id,
		    char **default_model, struct json_object **msgs, char **name);

/*
 * Stores a whole exchange in one transaction: the user message (override
 * as chat_exchange_begin), the finished answer f by model, its receipt,
 * the title from content for a first exchange, and updated_at. No NOTIFY:
 * nobody could follow an answer that was never stored unfinished.
 * *user_msg and *final: the two rows as chat_msg_get gives them.
 * DB_NOTFOUND: the conversation is not the owner's (or was deleted).
 */
enum db_err	 chat_exchange_store(struct db *db, const char *user_id, const char *conv_id,
		    const char *content, const char *override, const char *model,
		    const struct chat_finish *f, struct json_object **user_msg,
		    struct json_object **final);

/*
 * Asks the writer of the owner's answer id to stop (it may run in another
 * worker or host): flags the row and notifies. DB_OK also when the answer
 * had already ended (*was_streaming false).
 */
enum db_err	 chat_answer_request_stop(struct db *db, const char *user_id, const char *conv_id,
		    const char *id, bool *was_streaming);

/*
 * Marks an answer whose writer vanished (a worker that died mid-answer) as
 * failed, when the writer has not been heard from (chat_answer_save) for
 * max_age_s seconds. *reaped: whether it did.
 */
enum db_err	 chat_answer_reap(struct db *db, const char *msg_id, long max_age_s, bool *reaped);
/* Stores the HTML of an answer that has none yet (a reaped one, rendered by whoever reaped it). */
enum db_err	 chat_answer_set_html(struct db *db, const char *msg_id, const char *html);

/* The NOTIFY channels of a message: "msg_<32 hex>" (new content) and "stop_<32 hex>". Out: 64 bytes. */
void		 chat_channel(const char *prefix, const char *msg_id, char out[64]);

#endif
