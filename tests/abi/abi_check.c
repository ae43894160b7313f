/* SPDX-License-Identifier: MIT */
/*
 * ABI test helpers and main: every check is one CUnit assertion; a
 * mismatch is printed as "ABI MISMATCH <what>: pvkit <n>, Xen <m>".
 */
#include <stdio.h>
#include <string.h>

#include "abi_check.h"
#include "../harness/cunit.h"

unsigned int abi_checks, abi_mismatches;

static void report(int ok, const char *msg, const char *file, int line)
{
	abi_checks++;
	if (!ok) {
		abi_mismatches++;
		printf("\n    ABI MISMATCH %s (%s:%d)", msg, file, line);
	}
	CU_assertImplementation(ok ? CU_TRUE : CU_FALSE, (unsigned int)line, msg, file, "",
	                        CU_FALSE);
}

void abi_check_eq(const char *what, long long ours, long long xens, const char *file, int line)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "%s: pvkit %lld, Xen %lld", what, ours, xens);
	report(ours == xens, msg, file, line);
}

void abi_check_str(const char *what, const char *ours, const char *xens, const char *file, int line)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "%s: pvkit \"%s\", Xen \"%s\"", what, ours, xens);
	report(strcmp(ours, xens) == 0, msg, file, line);
}

void abi_check_ring(const char *ring, const unsigned int *ours, const unsigned int *xens,
                    const char *file, int line)
{
	static const unsigned int pages[5] = {1, 2, 4, 8, 16};
	char what[300];

	for (int i = 0; i < 5; i++) {
		snprintf(what, sizeof(what), "%s, %u page(s)", ring, pages[i]);
		abi_check_eq(what, ours[i], xens[i], file, line);
	}
}

static CU_SuiteInfo suites[] = {
    {"ring and grant table", NULL, NULL, NULL, NULL, abi_ring_tests},
    {"blkif", NULL, NULL, NULL, NULL, abi_blkif_tests},
    {"netif", NULL, NULL, NULL, NULL, abi_netif_tests},
    {"console, usbif, pciif, ioreq, xenbus", NULL, NULL, NULL, NULL, abi_devices_tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
	int rc = pv_cunit_run(suites);

	printf("abi-proto: %u checks against Xen's headers, %u mismatches\n", abi_checks,
	       abi_mismatches);
	return rc;
}
