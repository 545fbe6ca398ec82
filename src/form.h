/* form.h: reading and checking input fields, the same way for forms (pages) and JSON (API). */
#ifndef PARLEY_FORM_H
#define PARLEY_FORM_H

#include <stdbool.h>
#include <stddef.h>

#include "parse.h"
#include "req.h"

struct json_object;

#define FORM_MAX_ERRORS 16

/* Errors found so far, by field; shown next to their fields (pages) or in the 422 (API). */
struct form_errors {
	size_t	 n;
	struct {
		char	 field[48];
		char	 msg[200];
	}	 e[FORM_MAX_ERRORS];
};

/*
 * A field as a string: from the JSON body when there is one (API), else from
 * the form. NULL when absent. For JSON, a present value that is not a string
 * sets *wrong_type (if not NULL) and returns NULL; JSON null counts as absent.
 */
const char *form_str(const struct req *r, const char *name, bool *wrong_type);

/* True when the field is present (even empty, or of the wrong type). */
bool	 form_has(const struct req *r, const char *name);

/*
 * Reads a text field, trimmed of surrounding white space, and checks it:
 * required (absent or empty is an error), min..max characters.
 * label is how people call it ("Title"). On success *out is a new string
 * (caller frees; NULL when absent and not required) and 0 is returned;
 * otherwise an error is added to fe and -1 returned.
 */
int	 form_text(const struct req *r, struct form_errors *fe, const char *name,
	    const char *label, bool required, size_t min, size_t max, char **out);

/*
 * Reads a boolean: JSON true/false, or a form value of 1/0, true/false, on/off,
 * yes/no. *present says whether it was there. 0, or -1 with an error added.
 */
int	 form_bool(const struct req *r, struct form_errors *fe, const char *name,
	    const char *label, bool *present, bool *out);

void	 form_error(struct form_errors *fe, const char *field, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* The message for field, or NULL. */
const char *form_error_for(const struct form_errors *fe, const char *field);

/*
 * {"error": {"code": "invalid", "message": FIRST MESSAGE, "fields": {name: msg, ...}}}
 * with status 422 (the API's answer to bad fields).
 */
void	 form_errors_respond(struct req *r, const struct form_errors *fe);

/*
 * For page templates: {"errors": {name: msg}, "error_list": [{field, message}],
 * "invalid_NAME": true ...} added to data, so templates can write
 * {{#errors.title}}...{{/errors.title}} and aria-invalid for the field.
 */
void	 form_errors_to_page(const struct form_errors *fe, struct json_object *data);

#endif
