/* chat_rows.h: what the chat store's two files share (chat.c reads, chat_answers.c writes): the message columns. */
#ifndef PARLEY_CHAT_ROWS_H
#define PARLEY_CHAT_ROWS_H

#include <libpq-fe.h>

struct json_object;

/*
 * A message with its receipt; the r_ columns are folded into "response"
 * (see chat_row_msg). stop_requested is the engine's business and stays out.
 * Every statement that returns messages selects these columns first, in
 * this order (enum msg_col).
 */
#define MSG_COLS \
	"m.id, m.conversation_id, m.role, m.content, m.content_html, m.model," MSG_COLS_REST
#define MSG_COLS_REST \
	" m.status, m.error, m.created_at, m.actions," \
	" r.id AS r_id, r.model_used AS r_model_used, r.tokens_prompt AS r_tokens_prompt," \
	" r.tokens_completion AS r_tokens_completion, r.tokens_total AS r_tokens_total," \
	" r.completion_time_ms AS r_completion_time_ms," \
	" r.time_to_first_token_ms AS r_time_to_first_token_ms," \
	" r.tokens_estimated AS r_tokens_estimated, r.created_at AS r_created_at"

/*
 * MSG_COLS for the pages: an answer shown from its stored HTML does not
 * need its Markdown too (a third less to read and send for a page of
 * answers). content is NULL for those rows.
 */
#define MSG_PAGE_COLS \
	"m.id, m.conversation_id, m.role," \
	" CASE WHEN m.role = 'assistant' AND m.status <> 'streaming'" \
	"  AND coalesce(m.content_html, '') <> '' THEN NULL ELSE m.content END AS content," \
	" m.content_html, m.model," MSG_COLS_REST

enum msg_col {
	MC_ID, MC_CONVERSATION_ID, MC_ROLE, MC_CONTENT, MC_CONTENT_HTML, MC_MODEL,
	MC_STATUS, MC_ERROR, MC_CREATED_AT, MC_ACTIONS,
	MC_R_ID, MC_R_FIRST = MC_R_ID + 1,
	MC_N = MC_R_FIRST + 8
};

/* Row i of res (MSG_COLS) as a message with its "response", as the API shows it. Caller puts. */
struct json_object *chat_row_msg(const PGresult *res, int i);

#endif
