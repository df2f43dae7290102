module github.com/craevidence/scim-provisioning/services/scim-gateway

go 1.26.0
