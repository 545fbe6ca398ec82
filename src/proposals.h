/* proposals.h: the proposal wizard's store: proposals, their answers and history, and their sections. */
#ifndef PARLEY_PROPOSALS_H
#define PARLEY_PROPOSALS_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"

struct json_object;

/*
 * Every function here takes the owner's user id and touches only that
 * person's rows: another user's proposal is not found (DB_NOTFOUND), and so
 * is an id that is not a UUID, so callers answer 404 for both.
 *
 * A proposal is returned as a new JSON object (caller puts it) with the
 * proposal_sessions columns:
 *	{"id", "user_id", "title", "progress" (0..100), "client_name",
 *	 "project_title", "project_goals", "timeline", "deliverables",
 *	 "technologies" (each a string or null), "history" (array of
 *	 {field, question, answer, answered_at}), "status" ("active" or
 *	 "completed"), "model" (string or null: the configured default),
 *	 "created_at", "updated_at",
 *	 "next_question" ({field, question} or null when all six are answered),
 *	 "outdated_sections" (names of the sections written before a later
 *	 change to an answer they depend on, in document order)}
 *
 * A section is {"section_name", "content", "last_updated", "model_used"
 * (the model that wrote it, or null once edited by hand)}.
 *
 * Writes to a completed proposal's answers and sections are refused with
 * DB_CONFLICT, so callers answer 409 and ask to reopen it first.
 * Outputs are set only on DB_OK.
 */

#define PROPOSAL_ANSWER_MAX	5000	/* characters of one answer, after trimming */
#define PROPOSAL_TITLE_MAX	200	/* characters of a proposal's title */
#define PROPOSAL_SECTION_MAX	100000	/* characters of a section's Markdown */
#define PROPOSAL_DEFAULT_TITLE	"Untitled proposal"

/* The wizard's questions, in the order they are asked. */
enum proposal_field {
	PF_CLIENT_NAME = 0,
	PF_PROJECT_TITLE,
	PF_PROJECT_GOALS,
	PF_TIMELINE,
	PF_DELIVERABLES,
	PF_TECHNOLOGIES,
	PF__MAX
};

/* A proposal's sections, in document order. */
enum proposal_section {
	PS_EXECUTIVE_SUMMARY = 0,
	PS_OBJECTIVES,
	PS_SCOPE,
	PS_TIMELINE,
	PS_TECHNOLOGY,
	PS_NEXT_STEPS,
	PS__MAX
};

struct proposal_question {
	const char	*field;		/* the column: "client_name" */
	const char	*label;		/* what people call it: "Client" */
	const char	*question;	/* "Who is the proposal for?" */
	const char	*hint;		/* one or two sentences of help */
	const char	*example;	/* a sample answer (may hold newlines) */
	bool		 multiline;	/* a textarea rather than a line */
};

struct proposal_section_info {
	const char	*name;		/* "scope_and_deliverables" */
	const char	*title;		/* "Scope and deliverables" */
};

/* The question for f; NULL out of range. */
const struct proposal_question *proposal_question(enum proposal_field f);
/* A field by its column name; -1 when there is no such field. */
int		 proposal_field_parse(const char *s);

const struct proposal_section_info *proposal_section(enum proposal_section s);
/* A section by its name; -1 when there is no such section. */
int		 proposal_section_parse(const char *s);
/*
 * The answers section s is written from, as bits (1 << enum proposal_field):
 * a later change to one of them makes the section outdated.
 */
unsigned	 proposal_section_deps(enum proposal_section s);

/* True when s is a UUID in its 36-character text form (either case). */
bool		 proposal_id_valid(const char *s);

/* "active" or "completed" -> true with *completed set; anything else false. */
bool		 proposal_status_parse(const char *s, bool *completed);

/*
 * The title a proposal takes from its answers: "PROJECT for CLIENT",
 * "PROJECT", "Proposal for CLIENT" or the default, at most
 * PROPOSAL_TITLE_MAX characters. Either may be NULL. Caller frees.
 */
char		*proposal_auto_title(const char *client_name, const char *project_title);

/* A new, empty proposal. title NULL: the default; model NULL: the configured default. */
enum db_err	 proposals_create(struct db *db, const char *user_id, const char *title,
		    const char *model, struct json_object **out);

/* The owner's proposals, most recently changed first. *items: a new array. */
enum db_err	 proposals_list(struct db *db, const char *user_id, struct json_object **items);

enum db_err	 proposals_get(struct db *db, const char *user_id, const char *id,
		    struct json_object **out);

/*
 * The changes proposals_update makes; NULL members stay as they are.
 * set_model with model NULL goes back to the configured default.
 */
struct proposal_change {
	const char	*title;
	const char	*status;	/* "active" or "completed" */
	bool		 set_model;
	const char	*model;
};
#define PROPOSAL_CHANGE_INIT { NULL, NULL, false, NULL }

/*
 * Changes title, status and model. A completed proposal that stays
 * completed keeps its title and model (DB_CONFLICT when they would change);
 * reopening and renaming in one change is fine.
 */
enum db_err	 proposals_update(struct db *db, const char *user_id, const char *id,
		    const struct proposal_change *ch, struct json_object **out);

enum db_err	 proposals_delete(struct db *db, const char *user_id, const char *id);

/*
 * Records answer (trimmed; 1..PROPOSAL_ANSWER_MAX characters, else
 * DB_INVALID) to field: the column, a history entry with the question and the
 * time, the stored progress, and the title while it is still the one the
 * answers gave it. An answer equal to the stored one changes nothing.
 * *created: the field had no answer before; *changed: anything was written.
 * *out: the proposal after.
 */
enum db_err	 proposals_answer(struct db *db, const char *user_id, const char *id,
		    enum proposal_field field, const char *answer, bool *created,
		    bool *changed, struct json_object **out);

/* The proposal's sections that exist, in document order. *items: a new array. */
enum db_err	 proposals_sections_list(struct db *db, const char *user_id, const char *id,
		    struct json_object **items);

/* One section; DB_NOTFOUND when the proposal is not theirs or the section is not written yet. */
enum db_err	 proposals_section_get(struct db *db, const char *user_id, const char *id,
		    enum proposal_section s, struct json_object **out);

/*
 * Writes a section's content (at most PROPOSAL_SECTION_MAX characters, else
 * DB_INVALID), creating it when missing, and moves its last_updated and the
 * proposal's updated_at. model_used: the model that wrote it, NULL for a
 * person. *created (if not NULL): it did not exist before.
 */
enum db_err	 proposals_section_put(struct db *db, const char *user_id, const char *id,
		    enum proposal_section s, const char *content, const char *model_used,
		    bool *created, struct json_object **out);

/* What one request to a model for a section cost. */
struct proposal_usage {
	const char	*model_used;
	const char	*error;		/* NULL when it succeeded */
	long		 tokens_prompt;
	long		 tokens_completion;
	long		 tokens_total;
	long		 completion_time_ms;
	long		 time_to_first_token_ms;	/* < 0: none */
	bool		 tokens_estimated;
};

/* Adds a proposal_usage row for section s of the owner's proposal id. */
enum db_err	 proposals_usage_add(struct db *db, const char *user_id, const char *id,
		    enum proposal_section s, const struct proposal_usage *u);

#endif
