/* db_json.c: query results as JSON: json-c values, or JSON text written straight from the rows (db_json.h). */
#include "db_json.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "buf.h"

/* Type OIDs from pg_type.h, which client programs cannot include. */
#define OID_BOOL	16
#define OID_INT8	20
#define OID_INT2	21
#define OID_INT4	23
#define OID_JSON	114
#define OID_FLOAT4	700
#define OID_FLOAT8	701
#define OID_TIMESTAMPTZ	1184
#define OID_NUMERIC	1700
#define OID_JSONB	3802

/*
 * PostgreSQL's ISO text "2026-11-24 00:09:56.123456+00" (any offset, any
 * number of fraction digits) to "2026-11-24T00:09:56.123456Z" in out.
 * Returns -1 for anything else (infinity, BC dates, years past 9999).
 */
static int
db_format_timestamptz(const char *s, char *out, size_t outlen)
{
	struct tm tm;
	int year, mon, day, hh, mm, ss, n = 0;
	long usec = 0, off = 0;
	const char *p;
	time_t t;

	if (sscanf(s, "%4d-%2d-%2d %2d:%2d:%2d%n", &year, &mon, &day, &hh, &mm, &ss, &n) != 6 ||
	    n != 19)
		return -1;
	p = s + n;
	if (*p == '.') {
		int digits = 0;
		for (p++; *p >= '0' && *p <= '9'; p++) {
			if (digits < 6) {
				usec = usec * 10 + (*p - '0');
				digits++;
			}
		}
		for (; digits < 6; digits++)
			usec *= 10;
	}
	if (*p == '+' || *p == '-') {
		/* "+HH", then optionally ":MM" and ":SS", always two digits each. */
		int sign = *p == '-' ? -1 : 1;
		long part[3] = { 0, 0, 0 };
		p++;
		for (int i = 0; i < 3; i++) {
			if (i > 0) {
				if (*p != ':')
					break;
				p++;
			}
			if (!(p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9'))
				return -1;
			part[i] = (p[0] - '0') * 10 + (p[1] - '0');
			p += 2;
		}
		off = sign * (part[0] * 3600 + part[1] * 60 + part[2]);
	}
	if (*p != '\0')
		return -1;
	if (off == 0) {
		snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ",
		    year, mon, day, hh, mm, ss, usec);
		return 0;
	}
	/* Only when the session time zone is not UTC (a pooler dropped SET). */
	memset(&tm, 0, sizeof tm);
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = ss;
	t = timegm(&tm) - off;
	if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 1)
		return -1;
	snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, usec);
	return 0;
}

static bool
is_digits(const char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

int
db_timestamp_iso(const char *s, char out[DB_TIMESTAMP_LEN])
{
	const char *p;
	int digits = 0;

	/*
	 * The common case without sscanf: the session is in UTC, so PostgreSQL
	 * writes "2026-11-24 00:09:56[.123456]+00". Anything else (another
	 * offset, infinity, a year past 9999) takes the general way.
	 */
	if (strlen(s) >= 22 && is_digits(s, 4) && s[4] == '-' && is_digits(s + 5, 2) &&
	    s[7] == '-' && is_digits(s + 8, 2) && s[10] == ' ' && is_digits(s + 11, 2) &&
	    s[13] == ':' && is_digits(s + 14, 2) && s[16] == ':' && is_digits(s + 17, 2)) {
		p = s + 19;
		memcpy(out, s, 19);
		out[10] = 'T';
		out[19] = '.';
		if (*p == '.') {
			for (p++; *p >= '0' && *p <= '9'; p++)
				if (digits < 6)
					out[20 + digits++] = *p;
		}
		if (strcmp(p, "+00") == 0) {
			for (; digits < 6; digits++)
				out[20 + digits] = '0';
			out[26] = 'Z';
			out[27] = '\0';
			return 0;
		}
	}
	return db_format_timestamptz(s, out, DB_TIMESTAMP_LEN);
}

void
db_json_string(struct buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t start = 0;

	/* Escaped as json-c writes strings with JSON_C_TO_STRING_NOSLASHESCAPE. */
	buf_putc(b, '"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc;
		char u[6];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		switch (c) {
		case '\b':	esc = "\\b"; break;
		case '\n':	esc = "\\n"; break;
		case '\r':	esc = "\\r"; break;
		case '\t':	esc = "\\t"; break;
		case '\f':	esc = "\\f"; break;
		case '"':	esc = "\\\""; break;
		case '\\':	esc = "\\\\"; break;
		default:
			memcpy(u, "\\u00", 4);
			u[4] = hex[c >> 4];
			u[5] = hex[c & 0xf];
			esc = NULL;
			break;
		}
		buf_append(b, s + start, i - start);
		if (esc != NULL)
			buf_puts(b, esc);
		else
			buf_append(b, u, 6);
		start = i + 1;
	}
	buf_append(b, s + start, len - start);
	buf_putc(b, '"');
}

void
db_json_compact(struct buf *b, const char *s)
{
	const char *run = s;
	bool in_str = false;

	/*
	 * PostgreSQL writes json(b) with a space after each ':' and ','; inside
	 * strings it escapes as json-c does, so only the spaces between tokens go.
	 */
	for (const char *p = s; *p != '\0'; p++) {
		if (in_str) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '"')
				in_str = false;
		} else if (*p == '"') {
			in_str = true;
		} else if (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') {
			buf_append(b, run, (size_t)(p - run));
			run = p + 1;
		}
	}
	buf_puts(b, run);
}

struct json_object *
db_value_json(const PGresult *res, int row, int col)
{
	const char *v;
	char *end;

	if (PQgetisnull(res, row, col))
		return NULL;
	v = PQgetvalue(res, row, col);
	switch (PQftype(res, col)) {
	case OID_BOOL:
		return json_object_new_boolean(v[0] == 't');
	case OID_INT2:
	case OID_INT4:
	case OID_INT8: {
		long long l;
		errno = 0;
		l = strtoll(v, &end, 10);
		if (errno == 0 && end != v && *end == '\0')
			return json_object_new_int64(l);
		break;
	}
	case OID_FLOAT4:
	case OID_FLOAT8:
	case OID_NUMERIC: {
		double d;
		/* NaN and Infinity have no JSON form; they stay strings. */
		if (!((v[0] >= '0' && v[0] <= '9') || v[0] == '-'))
			break;
		errno = 0;
		d = strtod(v, &end);
		if (errno == 0 && end != v && *end == '\0')
			return json_object_new_double_s(d, v);	/* keeps "12.50" as written */
		break;
	}
	case OID_JSON:
	case OID_JSONB: {
		struct json_object *j;
		enum json_tokener_error jerr = json_tokener_success;
		/* Most actions lists are empty: no parser for those. */
		if (strcmp(v, "[]") == 0)
			return json_object_new_array();
		j = json_tokener_parse_verbose(v, &jerr);
		if (jerr == json_tokener_success)
			return j;	/* NULL for a JSON null, which is right */
		break;
	}
	case OID_TIMESTAMPTZ: {
		char buf[DB_TIMESTAMP_LEN];
		if (db_timestamp_iso(v, buf) == 0)
			return json_object_new_string(buf);
		break;
	}
	default:
		break;
	}
	return json_object_new_string(v);
}

void
db_value_write(struct buf *b, const PGresult *res, int row, int col)
{
	const char *v;
	size_t len;

	if (PQgetisnull(res, row, col)) {
		buf_puts(b, "null");
		return;
	}
	v = PQgetvalue(res, row, col);
	len = (size_t)PQgetlength(res, row, col);
	switch (PQftype(res, col)) {
	case OID_BOOL:
		buf_puts(b, v[0] == 't' ? "true" : "false");
		return;
	case OID_INT2:
	case OID_INT4:
	case OID_INT8:
		/* PostgreSQL's integer text is what json-c prints for it. */
		buf_append(b, v, len);
		return;
	case OID_JSON:
	case OID_JSONB:
		db_json_compact(b, v);
		return;
	case OID_TIMESTAMPTZ: {
		char ts[DB_TIMESTAMP_LEN];

		if (db_timestamp_iso(v, ts) == 0) {
			db_json_string(b, ts, strlen(ts));
			return;
		}
		break;
	}
	default:
		break;
	}
	db_json_string(b, v, len);
}

struct json_object *
db_row_json(const PGresult *res, int row)
{
	struct json_object *o = json_object_new_object();
	int ncols = PQnfields(res);

	for (int c = 0; c < ncols; c++)
		json_object_object_add(o, PQfname(res, c), db_value_json(res, row, c));
	return o;
}

enum db_err
db_one_json(PGresult *res, struct json_object **out)
{
	if (PQntuples(res) < 1) {
		PQclear(res);
		return DB_NOTFOUND;
	}
	if (out != NULL)
		*out = db_row_json(res, 0);
	PQclear(res);
	return DB_OK;
}

struct json_object *
db_rows_json(const PGresult *res)
{
	struct json_object *a = json_object_new_array();
	int nrows = PQntuples(res);

	for (int r = 0; r < nrows; r++)
		json_object_array_add(a, db_row_json(res, r));
	return a;
}

const char *
db_get(const PGresult *res, int row, const char *col)
{
	int c;

	if (res == NULL || row < 0 || row >= PQntuples(res))
		return NULL;
	if ((c = PQfnumber(res, col)) < 0 || PQgetisnull(res, row, c))
		return NULL;
	return PQgetvalue(res, row, c);
}
