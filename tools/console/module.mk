# SPDX-License-Identifier: MIT
# tools/console/: pv_console_attach() (what `pvkit console` calls) and a
# standalone attach program for tests.
LIB_SRCS += tools/console/attach.c

TEST_PROGRAMS += pvkit-console-attach
pvkit-console-attach_SRCS := tools/console/attach-main.c
