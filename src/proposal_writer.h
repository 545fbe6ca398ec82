/* proposal_writer.h: writes a proposal's sections from its six answers, with builtin/parley or a remote model. */
#ifndef PARLEY_PROPOSAL_WRITER_H
#define PARLEY_PROPOSAL_WRITER_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"
#include "proposals.h"

struct config;
struct json_object;
struct worker;

/* The model that writes a proposal (a proposals.h object): its own, or the configured default. */
const char	*proposal_writer_model(const struct config *cfg, struct json_object *proposal);

/*
 * builtin/parley: section s composed from the proposal's answers as
 * Markdown, without the section's own heading. Deterministic: the same
 * answers always give the same text. Pure (no I/O). Caller frees.
 */
char		*proposal_builtin_section(struct json_object *proposal, enum proposal_section s);

/*
 * The whole proposal as one Markdown document, for export: its title, the
 * client and project, then each section of sections (an array of
 * proposals.h section objects) under its heading, in document order.
 * Caller frees.
 */
char		*proposal_markdown_document(struct json_object *proposal,
		    struct json_object *sections);

/*
 * The request sent to a remote model for section s: what to write and how,
 * then the six answers. One user message: the provider adds its own system
 * message, and some local servers accept only one. Caller frees.
 */
char		*proposal_section_prompt(struct json_object *proposal, enum proposal_section s);

enum pw_status {
	PW_OK = 0,
	PW_MODEL_FAILED,	/* the model gave no text; the section is as it was */
	PW_STORE_FAILED,	/* the database refused (db says why) */
};

struct pw_result {
	enum pw_status	 status;
	enum db_err	 db;		/* PW_STORE_FAILED: why (DB_CONFLICT: completed) */
	char		 error[400];	/* PW_MODEL_FAILED: what went wrong, for people */
};

/*
 * Writes section s of the owner's proposal with its model, stores it and
 * records the request's usage. *out (if not NULL): the section after, on
 * PW_OK. Returns res->status.
 */
enum pw_status	 proposal_write_section(struct worker *w, const char *user_id,
		    struct json_object *proposal, enum proposal_section s,
		    struct json_object **out, struct pw_result *res);

/*
 * Writes the sections whose bit (1 << s) is in which, in document order,
 * stopping at the first failure (a model that failed once is not asked
 * five more times in one go). *written: how many were written. On failure
 * res says why and which section failed is named in res->error.
 */
enum pw_status	 proposal_write_sections(struct worker *w, const char *user_id,
		    struct json_object *proposal, unsigned which, size_t *written,
		    struct pw_result *res);

#endif
