module github.com/craevidence/scim-provisioning/services/scim-gateway

go 1.26.0

require (
	github.com/craevidence/scim-provisioning/api v0.0.0
	github.com/craevidence/scim-provisioning/pkg v0.0.0
	github.com/labstack/echo/v4 v4.16.5
	google.golang.org/grpc v1.85.0
	google.golang.org/protobuf v1.36.12
)

// The sibling modules of this repository, so the module also builds without
// the workspace (GOWORK=off), as container builds do.
replace (
	github.com/craevidence/scim-provisioning/api => ../../api
	github.com/craevidence/scim-provisioning/pkg => ../../pkg
)
