module github.com/craevidence/scim-provisioning/pkg

go 1.26.0
