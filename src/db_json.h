/* db_json.h: query results as JSON, for the stores: values as json-c objects, or JSON text written from the rows. */
#ifndef PARLEY_DB_JSON_H
#define PARLEY_DB_JSON_H

#include <stddef.h>

#include <libpq-fe.h>

#include "db.h"

struct buf;
struct json_object;

/*
 * One row as a new JSON object keyed by column name, typed by column type:
 * bool -> boolean, int2/4/8 -> int, float/numeric -> double, json/jsonb ->
 * parsed value, timestamptz -> "YYYY-MM-DDTHH:MM:SS.ffffffZ" string, NULL -> null,
 * anything else -> string. Caller puts it.
 */
struct json_object *db_row_json(const PGresult *res, int row);
/*
 * The first row of res as db_row_json makes it, into *out when out is not
 * NULL (caller puts); DB_NOTFOUND when res has no row. Clears res either way.
 */
enum db_err	 db_one_json(PGresult *res, struct json_object **out);
/* All rows as a new JSON array of such objects. Caller puts it. */
struct json_object *db_rows_json(const PGresult *res);
/* One column's value as db_row_json types it (NULL for SQL NULL). Caller puts it. */
struct json_object *db_value_json(const PGresult *res, int row, int col);

/*
 * For writing JSON straight from a result, byte for byte as json-c would
 * (resp_json's flags: plain, "/" not escaped):
 * db_timestamp_iso: a timestamptz's text as "YYYY-MM-DDTHH:MM:SS.ffffffZ",
 * 0, or -1 when it has no such form (infinity, years past 9999);
 * db_json_string: s (len bytes, UTF-8) as a JSON string;
 * db_json_compact: PostgreSQL's text of a json or jsonb value without the
 * spaces between its tokens.
 */
#define DB_TIMESTAMP_LEN	96	/* room for any int the general format could print */
int		 db_timestamp_iso(const char *pgtext, char out[DB_TIMESTAMP_LEN]);
void		 db_json_string(struct buf *b, const char *s, size_t len);
void		 db_json_compact(struct buf *b, const char *json);
/*
 * db_value_write: one column as JSON text, byte for byte as json-c writes
 * db_value_json's value (bool, int, json/jsonb, timestamptz, else a string;
 * used for the columns that have no float or numeric type).
 */
void		 db_value_write(struct buf *b, const PGresult *res, int row, int col);

/* The text value of a column by name in row, or NULL (SQL NULL or no such column). */
const char	*db_get(const PGresult *res, int row, const char *col);

#endif
