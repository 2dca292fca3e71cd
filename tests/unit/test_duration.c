/*
 * test_duration.c: the durations of the command line (--timeout, --wait,
 * the agent's limits): what is accepted, and that nothing that is not a
 * finite number of a known unit reaches a conversion (UBSan would abort on
 * "nanms": a NaN cast to an integer).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "duration.h"

static void test_accepted(void **state)
{
	(void)state;
	assert_int_equal(duration_parse("0"), 0);
	assert_int_equal(duration_parse("250us"), 250);
	assert_int_equal(duration_parse("50ms"), 50000);
	assert_int_equal(duration_parse("1.5s"), 1500000);
	assert_int_equal(duration_parse("2m"), 120000000);
	assert_int_equal(duration_parse("0.0004ms"), 0); /* rounds to the microsecond */
	assert_int_equal(duration_parse("1000000000s"), 1000000000000000LL);
}

static void test_refused(void **state)
{
	static const char *const bad[] = {
		"", "5", "-1s", "+1s", "1h", "ms", "s", "1 s", "1s ", "1sec", "1.5",
		"nanms", "NaNs", "nan", "infms", "infinitys", "-nanms", "1e400s",
		"1000000001s", "99999999999999999999m",
	};

	(void)state;
	assert_int_equal(duration_parse(NULL), -1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		long long v = duration_parse(bad[i]);

		if (v != -1)
			fail_msg("\"%s\" parsed as %lld", bad[i], v);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
