/* h_core.c: health checks and the front page. */
#include "h_core.h"

#include <json-c/json.h>

#include "db.h"
#include "response.h"

/* GET /healthz: 200 "ok" while the process can answer at all; never touches the database. */
void
h_healthz(struct req *r)
{
	resp_send(r, 200, "text/plain; charset=utf-8", "ok\n", 3);
}

/* GET /readyz: 200 when the database answers a query, else 503. */
void
h_readyz(struct req *r)
{
	if (db_ping(r->w->db) != DB_OK) {
		resp_send(r, 503, "text/plain; charset=utf-8", "database unavailable\n", 21);
		return;
	}
	resp_send(r, 200, "text/plain; charset=utf-8", "ready\n", 6);
}

/* GET /: signed-in people go to their chats; others to the sign-in page, which says what Parley is. */
void
h_home(struct req *r)
{
	resp_redirect(r, r->user != NULL ? "/chat" : "/login");
}
