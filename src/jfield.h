/* jfield.h: reading and setting single fields of json-c objects (rows, bodies, page data). */
#ifndef PARLEY_JFIELD_H
#define PARLEY_JFIELD_H

#include <stdbool.h>

#include <json-c/json.h>

/* The string at key, borrowed from o; NULL when o is NULL or the value is absent or not a string. */
const char	*jfield_str(struct json_object *o, const char *key);

/* The value at key when it has that json-c type, borrowed from o; NULL otherwise (o NULL too). */
struct json_object *jfield_typed(struct json_object *o, const char *key, json_type type);

/* The integer at key; def when o is NULL or the value is absent or null. */
long		 jfield_long(struct json_object *o, const char *key, long def);

/* True only for a JSON true at key. */
bool		 jfield_bool(struct json_object *o, const char *key);

/* Sets key to a boolean, or to a string (a copy; NULL sets JSON null). */
void		 jfield_set_bool(struct json_object *o, const char *key, bool v);
void		 jfield_set_str(struct json_object *o, const char *key, const char *v);

#endif
