/* SPDX-License-Identifier: MIT */
/*
 * Shared main for CUnit test programs (see cunit.h).
 */
#include <stdio.h>

#include <CUnit/Basic.h>

#include "cunit.h"

int pv_cunit_run(CU_SuiteInfo *suites)
{
	unsigned int run, failed;

	if (CU_initialize_registry() != CUE_SUCCESS) {
		fprintf(stderr, "CUnit: cannot initialise the registry\n");
		return 2;
	}
	if (CU_register_suites(suites) != CUE_SUCCESS) {
		fprintf(stderr, "CUnit: cannot register suites: %s\n", CU_get_error_msg());
		CU_cleanup_registry();
		return 2;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	run = CU_get_number_of_tests_run();
	failed = CU_get_number_of_tests_failed();
	/* A suite whose init failed runs none of its tests: count that too. */
	failed += CU_get_number_of_suites_failed();
	printf("\nPVTEST passed=%u failed=%u\n", run - CU_get_number_of_tests_failed(), failed);
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
