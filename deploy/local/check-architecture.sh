#!/usr/bin/env bash
# The dependency rule of the hexagon: the domain and the application layer of
# the core import nothing of gRPC, protobuf, echo, gorm or SQL, and no adapter.
set -euo pipefail

core=github.com/craevidence/scim-provisioning/services/provisioning/internal
forbidden='google.golang.org/grpc|google.golang.org/protobuf|github.com/labstack/echo|gorm.io|database/sql|/internal/adapters/|/api/gen/'
status=0

for layer in domain app ports; do
	all=$(go list -deps "$core/$layer")
	deps=$(echo "$all" | grep -E "$forbidden" || true)
	if [ -n "$deps" ]; then
		echo "internal/$layer must not depend on:"
		echo "$deps" | sed 's/^/  /'
		status=1
	fi
done

domain_deps=$(go list -deps "$core/domain" | grep "^$core/" | grep -v "^$core/domain$" || true)
if [ -n "$domain_deps" ]; then
	echo "internal/domain must not import other layers:"
	echo "$domain_deps" | sed 's/^/  /'
	status=1
fi

[ $status -eq 0 ] && echo "architecture: the dependency rule holds"
exit $status
