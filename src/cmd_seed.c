/* cmd_seed.c: `parley seed`: a demo account with tasks, a conversation and a proposal. */
#include "cmd_seed.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmark.h>
#include <sodium.h>

#include "config.h"
#include "db.h"
#include "xalloc.h"

#define DEMO_EMAIL	"demo@example.com"
#define DEMO_NAME	"Demo User"
#define DEMO_USERNAME	"demo"
#define DEMO_MODEL	"builtin/parley"

#define USAGE	"usage: parley seed [--password-stdin]\n"

struct seed_task {
	const char	*title;
	const char	*description;	/* "" for none */
	const char	*completed;	/* "true" or "false" */
	const char	*age;		/* how long ago it was added, an interval */
};

static const struct seed_task seed_tasks[] = {
	{ "Buy groceries", "Milk, eggs, bread and coffee beans.", "false", "2 days" },
	{ "Send the Acme Bakery proposal", "Finish the wizard and export it as Markdown.",
	  "false", "1 day" },
	{ "Renew the domain name", "", "true", "5 days" },
	{ "Book a call with the design team", "Thursday afternoon works best.", "true",
	  "4 days" },
	{ "Write the quarterly invoice", "", "false", "3 hours" },
};

/* A conversation's turns: a question and the answer with its usage. */
struct seed_turn {
	const char	*question;
	const char	*answer;
	const char	*tokens_prompt, *tokens_completion, *tokens_total;
	const char	*time_ms, *ttft_ms;
};

#define SEED_CONVERSATION	"Planning my week"

static const struct seed_turn seed_turns[] = {
	{ "Add a task to buy groceries",
	  "Done: I added **Buy groceries** to your tasks.",
	  "38", "12", "50", "4", "1" },
	{ "What is still on my list?",
	  "You have 3 open tasks:\n\n"
	  "1. Buy groceries\n"
	  "2. Send the Acme Bakery proposal\n"
	  "3. Write the quarterly invoice\n\n"
	  "Say \"complete\" and a task's name when one is done.",
	  "61", "41", "102", "6", "2" },
	{ "Complete renew the domain name",
	  "Marked **Renew the domain name** as completed. Nice work!",
	  "110", "15", "125", "3", "1" },
};

#define SEED_PROPOSAL	"Website redesign for Acme Bakery"

/* Three of the wizard's six answers: the proposal is half way through. */
static const char seed_history[] =
	"[{\"field\": \"client_name\", \"question\": \"Who is the proposal for?\","
	" \"answer\": \"Acme Bakery\", \"answered_at\": \"%s\"},"
	" {\"field\": \"project_title\", \"question\": \"What is the project called?\","
	" \"answer\": \"Website redesign\", \"answered_at\": \"%s\"},"
	" {\"field\": \"project_goals\", \"question\": \"What should the project achieve?\","
	" \"answer\": \"A faster, mobile-friendly site where customers can order cakes"
	" online and find opening hours.\", \"answered_at\": \"%s\"}]";

static int
seed_fail(struct db *db, const char *what, enum db_err e)
{
	fprintf(stderr, "parley seed: %s: %s%s%s\n", what, db_strerror(e),
	    db_errmsg(db)[0] ? ": " : "", db_errmsg(db));
	db_rollback(db);
	return 1;
}

/* A readable random password: four groups of four letters and digits. */
static void
random_password(char out[20])
{
	/* No 0/O, 1/l/I: it is read off a terminal and typed in. */
	static const char alphabet[] = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	int j = 0;

	for (int i = 0; i < 16; i++) {
		if (i > 0 && i % 4 == 0)
			out[j++] = '-';
		out[j++] = alphabet[randombytes_uniform(sizeof alphabet - 1)];
	}
	out[j] = '\0';
}

/* Reads the password from the first line of standard input; 0 or -1 (printed). */
static int
read_password(char *out, size_t outlen)
{
	size_t n;

	if (fgets(out, (int)outlen, stdin) == NULL) {
		fprintf(stderr, "parley seed: no password on standard input\n");
		return -1;
	}
	n = strcspn(out, "\r\n");
	if (out[n] == '\0' && n == outlen - 1) {
		fprintf(stderr, "parley seed: the password is longer than 1024 bytes\n");
		return -1;
	}
	out[n] = '\0';
	if (n < 8) {
		fprintf(stderr, "parley seed: the password must be at least 8 bytes long\n");
		return -1;
	}
	return 0;
}

static int
seed_conversation(struct db *db, const char *user_id)
{
	PGresult *res;
	enum db_err e;
	char *conv_id;
	int created;

	e = db_query(db, NULL,
	    "INSERT INTO conversations (user_id, title, default_model, created_at, updated_at)"
	    " SELECT $1, $2, $3, now() - interval '2 days', now() - interval '2 days'"
	    " + interval '10 minutes'"
	    " WHERE NOT EXISTS (SELECT 1 FROM conversations WHERE user_id = $1 AND title = $2)"
	    " RETURNING id",
	    DB_P(user_id, SEED_CONVERSATION, DEMO_MODEL), &res);
	if (e != DB_OK)
		return seed_fail(db, "adding the conversation", e);
	created = PQntuples(res);
	conv_id = created ? xstrdup(PQgetvalue(res, 0, 0)) : NULL;
	PQclear(res);
	if (!created)
		return 0;	/* there already, with its messages */

	for (size_t i = 0; i < sizeof seed_turns / sizeof seed_turns[0]; i++) {
		const struct seed_turn *t = &seed_turns[i];
		char at_q[32], at_a[32], *html;

		snprintf(at_q, sizeof at_q, "%zu minutes", i * 3);
		snprintf(at_a, sizeof at_a, "%zu seconds", i * 180 + 2);
		e = db_query(db, NULL,
		    "INSERT INTO messages (conversation_id, role, content, created_at)"
		    " VALUES ($1, 'user', $2, now() - interval '2 days' + $3::interval)",
		    DB_P(conv_id, t->question, at_q), NULL);
		if (e != DB_OK) {
			free(conv_id);
			return seed_fail(db, "adding a message", e);
		}
		html = cmark_markdown_to_html(t->answer, strlen(t->answer), CMARK_OPT_SAFE);
		if (html == NULL) {
			free(conv_id);
			fprintf(stderr, "parley seed: cannot render Markdown\n");
			db_rollback(db);
			return 1;
		}
		e = db_query(db, NULL,
		    "WITH m AS (INSERT INTO messages (conversation_id, role, content, content_html,"
		    " model, status, created_at) VALUES ($1, 'assistant', $2, $3, $4, 'complete',"
		    " now() - interval '2 days' + $5::interval) RETURNING id, created_at)"
		    " INSERT INTO responses (message_id, model_used, tokens_prompt, tokens_completion,"
		    " tokens_total, completion_time_ms, time_to_first_token_ms, tokens_estimated,"
		    " created_at)"
		    " SELECT id, $4, $6, $7, $8, $9, $10, true, created_at FROM m",
		    DB_P(conv_id, t->answer, html, DEMO_MODEL, at_a, t->tokens_prompt,
		    t->tokens_completion, t->tokens_total, t->time_ms, t->ttft_ms), NULL);
		free(html);
		if (e != DB_OK) {
			free(conv_id);
			return seed_fail(db, "adding an answer", e);
		}
	}
	free(conv_id);
	return 0;
}

static int
seed_proposal(struct db *db, const char *user_id)
{
	char at[3][32], *history;
	time_t base = time(NULL) - 24 * 3600;
	enum db_err e;

	/* Answered a day ago, a minute or two apart, like the rows' own times. */
	for (int i = 0; i < 3; i++) {
		time_t t = base + 30 + 80 * i;
		struct tm tm;
		if (gmtime_r(&t, &tm) == NULL ||
		    strftime(at[i], sizeof at[i], "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
			snprintf(at[i], sizeof at[i], "1970-01-01T00:00:00Z");
	}
	history = xasprintf(seed_history, at[0], at[1], at[2]);
	e = db_query(db, NULL,
	    "INSERT INTO proposal_sessions (user_id, title, progress, client_name, project_title,"
	    " project_goals, history, status, model, created_at, updated_at)"
	    " SELECT $1, $2, 50, $3, $4, $5, $6::jsonb, 'active', $7,"
	    " now() - interval '1 day', now() - interval '1 day' + interval '4 minutes'"
	    " WHERE NOT EXISTS (SELECT 1 FROM proposal_sessions WHERE user_id = $1 AND title = $2)",
	    DB_P(user_id, SEED_PROPOSAL, "Acme Bakery", "Website redesign",
	    "A faster, mobile-friendly site where customers can order cakes online and find "
	    "opening hours.", history, DEMO_MODEL), NULL);
	free(history);
	if (e != DB_OK)
		return seed_fail(db, "adding the proposal", e);
	return 0;
}

int
cmd_seed(int argc, char **argv, const struct config *cfg)
{
	char password[1026], hash[crypto_pwhash_STRBYTES], *user_id;
	bool from_stdin = false, created;
	struct db *db;
	PGresult *res;
	enum db_err e;
	int rc = 1;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--password-stdin") == 0)
			from_stdin = true;
		else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			fputs(USAGE, stdout);
			return 0;
		} else {
			fprintf(stderr, "parley seed: unexpected argument %s\n" USAGE, argv[i]);
			return 2;
		}
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "parley seed: cannot initialise libsodium\n");
		return 1;
	}
	if (from_stdin) {
		if (read_password(password, sizeof password) == -1)
			return 1;
	} else
		random_password(password);
	if (crypto_pwhash_str(hash, password, strlen(password),
	    crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
		fprintf(stderr, "parley seed: cannot hash the password (out of memory)\n");
		return 1;
	}

	db = db_new(cfg->database_url, false);
	if ((e = db_begin(db)) != DB_OK) {
		fprintf(stderr, "parley seed: cannot reach the database: %s\n", db_errmsg(db));
		db_free(db);
		return 1;
	}
	/*
	 * The account is matched on its email; its password is reset so the
	 * printed one works, and the username is only taken when it is free.
	 */
	e = db_query(db, NULL,
	    "INSERT INTO users (email, name, username, password_hash)"
	    " VALUES ($1, $2, (SELECT $3 WHERE NOT EXISTS"
	    " (SELECT 1 FROM users WHERE lower(username) = lower($3))), $4)"
	    " ON CONFLICT ((lower(email))) DO UPDATE"
	    " SET password_hash = EXCLUDED.password_hash, is_active = true"
	    " RETURNING id, xmax = 0 AS created",
	    DB_P(DEMO_EMAIL, DEMO_NAME, DEMO_USERNAME, hash), &res);
	if (e != DB_OK) {
		if (e == DB_ERROR && strstr(db_errmsg(db), "does not exist") != NULL)
			fprintf(stderr, "parley seed: the schema is missing; run "
			    "`parley migrate up` first (%s)\n", db_errmsg(db));
		else
			seed_fail(db, "adding the demo user", e);
		db_rollback(db);
		goto out;
	}
	user_id = xstrdup(PQgetvalue(res, 0, 0));
	created = PQgetvalue(res, 0, 1)[0] == 't';
	PQclear(res);

	for (size_t i = 0; i < sizeof seed_tasks / sizeof seed_tasks[0]; i++) {
		const struct seed_task *t = &seed_tasks[i];
		e = db_query(db, NULL,
		    "INSERT INTO tasks (user_id, title, description, completed, created_at, updated_at)"
		    " SELECT $1, $2, NULLIF($3, ''), $4::boolean, now() - $5::interval,"
		    " now() - $5::interval"
		    " WHERE NOT EXISTS (SELECT 1 FROM tasks WHERE user_id = $1 AND title = $2)",
		    DB_P(user_id, t->title, t->description, t->completed, t->age), NULL);
		if (e != DB_OK) {
			seed_fail(db, "adding a task", e);
			free(user_id);
			goto out;
		}
	}
	if (seed_conversation(db, user_id) != 0 || seed_proposal(db, user_id) != 0) {
		free(user_id);
		goto out;
	}
	free(user_id);
	if ((e = db_commit(db)) != DB_OK) {
		seed_fail(db, "saving the demo data", e);
		goto out;
	}
	printf("%s the demo account and its data (tasks, a conversation, a proposal).\n"
	    "Sign in with:\n"
	    "  email:    %s\n"
	    "  password: %s\n", created ? "Added" : "Topped up",
	    DEMO_EMAIL, password);
	rc = 0;
out:
	sodium_memzero(password, sizeof password);
	db_free(db);
	return rc;
}
