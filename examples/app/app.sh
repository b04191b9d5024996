#!/bin/sh
# Write the pages, then serve them until TERM (a shell as PID 1 would ignore TERM without
# the trap, and `docker stop` would wait 10 s before killing it).
mkdir -p /www
echo OK >/www/up
echo "version ${KAMAL_VERSION:-unknown} on $(hostname)" >/www/index.html
trap 'exit 0' TERM INT
httpd -f -p 80 -h /www &
wait
