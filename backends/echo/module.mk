# SPDX-License-Identifier: MIT
# backends/echo/: pvkit-echoback, the template backend daemon.
PROGRAMS += pvkit-echoback
pvkit-echoback_DIR := sbin
pvkit-echoback_SRCS := backends/echo/main.c backends/echo/xenbus.c backends/echo/echoback.c

TEST_PROGRAMS += echo-client
echo-client_SRCS := tests/integration/echo_client.c backends/echo/xenbus.c backends/echo/echoback.c
INTEGRATION_TESTS += tests/integration/echo.sh tests/integration/echofront-storm.sh
