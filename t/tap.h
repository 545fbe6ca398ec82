/* tap.h: a minimal Test Anything Protocol emitter for the C unit tests. */
#ifndef PARLEY_TAP_H
#define PARLEY_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static int __attribute__((format(printf, 2, 3), unused))
tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!cond)
		tap_failed++;
	fflush(stdout);
	return cond;
}

#define ok(cond, ...)	tap_ok(!!(cond), __VA_ARGS__)

/* Compares two strings; prints both as a TAP diagnostic when they differ. */
#define is_str(got, want, ...) do {						\
	const char *tap_g_ = (got), *tap_w_ = (want);				\
	int tap_c_ = (tap_g_ != NULL && tap_w_ != NULL && strcmp(tap_g_, tap_w_) == 0) || \
	    (tap_g_ == NULL && tap_w_ == NULL);					\
	if (!tap_ok(tap_c_, __VA_ARGS__))					\
		tap_diag_strs(tap_g_, tap_w_);					\
} while (0)

#define is_int(got, want, ...) do {						\
	long long tap_g_ = (long long)(got), tap_w_ = (long long)(want);	\
	if (!tap_ok(tap_g_ == tap_w_, __VA_ARGS__))				\
		printf("#   got: %lld\n#  want: %lld\n", tap_g_, tap_w_);	\
} while (0)

static void __attribute__((unused))
tap_diag_line(const char *label, const char *s)
{
	printf("# %6s: ", label);
	if (s == NULL) {
		puts("(null)");
		return;
	}
	putchar('"');
	for (; *s; s++) {
		if (*s == '\n')
			fputs("\\n", stdout);
		else
			putchar(*s);
	}
	puts("\"");
}

static void __attribute__((unused))
tap_diag_strs(const char *got, const char *want)
{
	tap_diag_line("got", got);
	tap_diag_line("want", want);
}

/* Prints the plan after the tests; returns the exit status for main(). */
static int __attribute__((unused))
done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
