/* test_text.c: unit tests for the small text helpers: white space (text.h), UTF-8 counting and cutting (utf8.h), elapsed time (clock.h). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "text.h"
#include "utf8.h"
#include "../tap.h"

static void
test_is_space(void)
{
	const char *spaces = " \t\n\r\v\f";
	int n = 0;

	for (const char *p = spaces; *p; p++)
		ok(is_space((unsigned char)*p), "is_space: byte 0x%02x is a space", (unsigned char)*p);
	for (int c = 0; c < 256; c++)
		if (is_space((unsigned char)c))
			n++;
	is_int(n, 6, "is_space: those six bytes and no other");
	ok(!is_space(0xa0), "is_space: 0xA0 (a byte of U+00A0 in UTF-8) is not a space");
	ok(!is_space('\0'), "is_space: NUL is not a space");
	ok(!is_space((unsigned char)'\xc2'), "is_space: a lead byte passed as a signed char is not a space");
}

static void
test_blank(void)
{
	ok(blank(NULL), "blank: NULL");
	ok(blank(""), "blank: the empty string");
	ok(blank(" \t\r\n\v\f"), "blank: only white space");
	ok(!blank("  x "), "blank: one letter is enough");
	ok(!blank("\xc2\xa0"), "blank: a no-break space is text");
}

static void
trims_to(const char *in, const char *want, const char *desc)
{
	char *got = trimmed(in);

	is_str(got, want, "trimmed: %s", desc);
	ok(got != in || in == NULL, "trimmed: %s is a new string", desc);
	free(got);
}

static void
test_trimmed(void)
{
	ok(trimmed(NULL) == NULL, "trimmed: NULL for NULL");
	trims_to("", "", "the empty string");
	trims_to("abc", "abc", "nothing to trim");
	trims_to("  \t\r\n abc \v\f ", "abc", "every kind of space on both sides");
	trims_to("a  b\tc", "a  b\tc", "inner white space is kept");
	trims_to(" \t\n ", "", "only white space");
	trims_to("\xc2\xa0x\xc2\xa0", "\xc2\xa0x\xc2\xa0", "no-break spaces are kept");
	trims_to(" caf\xc3\xa9 ", "caf\xc3\xa9", "UTF-8 text");
}

static void
test_utf8_count(void)
{
	is_int(utf8_chars(""), 0, "utf8_chars: empty");
	is_int(utf8_chars("hello"), 5, "utf8_chars: ASCII");
	is_int(utf8_chars("caf\xc3\xa9"), 4, "utf8_chars: a 2-byte character counts once");
	is_int(utf8_chars("\xe2\x82\xac\xf0\x9f\x98\x80"), 2, "utf8_chars: 3- and 4-byte characters count once");
	is_int(utf8_chars_n("caf\xc3\xa9!", 5), 4, "utf8_chars_n: counts only the first len bytes");
	is_int(utf8_chars_n("abc", 0), 0, "utf8_chars_n: len 0");
	is_int(utf8_chars_n("a\0b", 3), 3, "utf8_chars_n: a NUL inside len counts");
}

static void
test_utf8_prefix(void)
{
	const char *s = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z";	/* a, e-acute, euro, emoji, z */
	size_t len = strlen(s);

	is_int(utf8_prefix(s, len, 0), 0, "utf8_prefix: 0 characters");
	is_int(utf8_prefix(s, len, 1), 1, "utf8_prefix: 1 character");
	is_int(utf8_prefix(s, len, 2), 3, "utf8_prefix: past a 2-byte character");
	is_int(utf8_prefix(s, len, 3), 6, "utf8_prefix: past a 3-byte character");
	is_int(utf8_prefix(s, len, 4), 10, "utf8_prefix: past a 4-byte character");
	is_int(utf8_prefix(s, len, 5), len, "utf8_prefix: exactly all");
	is_int(utf8_prefix(s, len, 100), len, "utf8_prefix: more than there is");
	is_int(utf8_prefix(s, 2, 5), 2, "utf8_prefix: never past len");
	is_int(utf8_prefix("", 0, 3), 0, "utf8_prefix: empty");
}

static void
test_utf8_valid(void)
{
	/* The cases themselves are in test_parse.c; this only shows utf8.h has it. */
	ok(utf8_valid("caf\xc3\xa9", 5), "utf8_valid: valid text");
	ok(!utf8_valid("\xc3", 1), "utf8_valid: a cut sequence");
}

static void
test_ms_since(void)
{
	struct timespec t0, pause = { 0, 20 * 1000000 };
	long ms;

	ok(clock_gettime(CLOCK_MONOTONIC, &t0) == 0, "ms_since: the monotonic clock reads");
	ms = ms_since(&t0);
	ok(ms >= 0 && ms < 1000, "ms_since: about 0 at once (%ld)", ms);
	nanosleep(&pause, NULL);
	ms = ms_since(&t0);
	ok(ms >= 20 && ms < 5000, "ms_since: at least the 20 ms slept (%ld)", ms);
	t0.tv_sec -= 3;
	t0.tv_nsec = t0.tv_nsec >= 500000000 ? t0.tv_nsec - 500000000 : t0.tv_nsec + 500000000;
	ms = ms_since(&t0);
	ok(ms >= 2500 && ms < 8000, "ms_since: whole seconds and nanoseconds both count (%ld)", ms);
}

static void
test_hspace(void)
{
	int n = 0;

	for (int c = 0; c < 256; c++)
		if (is_hspace((unsigned char)c))
			n++;
	ok(is_hspace(' ') && is_hspace('\t') && n == 2, "is_hspace: space and tab, and nothing else");
	ok(!is_hspace('\n') && !is_hspace('\r'), "is_hspace: line ends are not within a line");
}

static void
test_tidy(void)
{
	char *s;

	s = tidy("  Buy \t  milk\n and\r\n bread  ");
	is_str(s, "Buy milk and bread", "tidy: ends trimmed, inner runs of white space made one space");
	free(s);
	s = tidy(NULL);
	is_str(s, "", "tidy: NULL reads as the empty string");
	free(s);
	s = tidy(" \t\n ");
	is_str(s, "", "tidy: only white space gives the empty string");
	free(s);
	s = tidy_n("a  b  c", 4);
	is_str(s, "a b", "tidy_n: only the first n bytes");
	free(s);
	s = tidy("caf\xc3\xa9\xc2\xa0bar");
	is_str(s, "caf\xc3\xa9\xc2\xa0bar", "tidy: a no-break space is text, kept as it is");
	free(s);
}

static void
test_ms_between(void)
{
	struct timespec a = { 10, 900000000 }, b = { 12, 100000000 };

	is_int(ms_between(&a, &b), 1200, "ms_between: seconds and nanoseconds across a second");
	is_int(ms_between(&b, &a), -1200, "ms_between: negative when b is before a");
}

int
main(void)
{
	test_is_space();
	test_blank();
	test_trimmed();
	test_utf8_count();
	test_utf8_prefix();
	test_utf8_valid();
	test_ms_since();
	test_hspace();
	test_tidy();
	test_ms_between();
	return done_testing();
}
