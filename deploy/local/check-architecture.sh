#!/usr/bin/env bash
# The dependency rule of the hexagons: the core's domain, application layer
# and ports, and the gateway's SCIM protocol package and core port, import
# nothing of gRPC, protobuf, echo, gorm or SQL, and no adapter.
set -euo pipefail

core=github.com/craevidence/scim-provisioning/services/provisioning/internal
forbidden='^google.golang.org/grpc|^google.golang.org/protobuf|^github.com/labstack/echo|^gorm.io|^database/sql$|^github.com/jackc/|/internal/adapters/|/api/gen/'
status=0

gateway=github.com/craevidence/scim-provisioning/services/scim-gateway/internal
for pkg in "$core/domain" "$core/app" "$core/ports" "$gateway/scim" "$gateway/core"; do
	all=$(go list -deps "$pkg")
	deps=$(echo "$all" | grep -E "$forbidden" || true)
	if [ -n "$deps" ]; then
		echo "${pkg#github.com/craevidence/scim-provisioning/} must not depend on:"
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
