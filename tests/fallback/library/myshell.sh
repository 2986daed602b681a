#!/bin/sh
# An old-style module written for tests/fallback.rs: its arguments file is key=value words,
# which sh reads as assignments.
. "$1"
printf '{"changed": true, "greeting": "%s", "shell_module": true}\n' "$greeting"
