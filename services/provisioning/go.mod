module github.com/craevidence/scim-provisioning/services/provisioning

go 1.26.0
