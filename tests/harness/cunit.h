/* SPDX-License-Identifier: MIT */
/*
 * Shared main for CUnit test programs: registers the suites, runs them in
 * basic verbose mode and prints the "PVTEST passed=N failed=M" line that
 * tests/harness/run-tests.sh gathers into make check's closing line.
 */
#ifndef PVKIT_TESTS_CUNIT_H
#define PVKIT_TESTS_CUNIT_H

#include <CUnit/CUnit.h>

/*
 * Run every suite in @suites (terminated by CU_SUITE_INFO_NULL).
 * Returns the process exit status: 0 when every test passed.
 */
int pv_cunit_run(CU_SuiteInfo *suites);

#define PV_CUNIT_MAIN(suites)                                                                      \
	int main(void)                                                                             \
	{                                                                                          \
		return pv_cunit_run(suites);                                                       \
	}

#endif
