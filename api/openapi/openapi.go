// Package openapi embeds the OpenAPI document of the admin REST API, which
// buf generates beside this file, so the core can serve it.
package openapi

import _ "embed"

// Admin is the OpenAPI 2.0 document of the admin REST API, as JSON.
//
//go:embed admin.swagger.json
var Admin []byte
