package domain

import "slices"

// diff returns the SCIM names of the attributes that differ between p and
// next, in schema order. The provisioning log keeps these names, never the
// values.
func (p Profile) diff(next Profile) []string {
	var changed []string
	add := func(name string, differs bool) {
		if differs {
			changed = append(changed, name)
		}
	}

	add("name.formatted", p.Name.Formatted != next.Name.Formatted)
	add("name.familyName", p.Name.FamilyName != next.Name.FamilyName)
	add("name.givenName", p.Name.GivenName != next.Name.GivenName)
	add("name.middleName", p.Name.MiddleName != next.Name.MiddleName)
	add("name.honorificPrefix", p.Name.HonorificPrefix != next.Name.HonorificPrefix)
	add("name.honorificSuffix", p.Name.HonorificSuffix != next.Name.HonorificSuffix)
	add("displayName", p.DisplayName != next.DisplayName)
	add("nickName", p.NickName != next.NickName)
	add("profileUrl", p.ProfileURL != next.ProfileURL)
	add("title", p.Title != next.Title)
	add("userType", p.UserType != next.UserType)
	add("preferredLanguage", p.PreferredLanguage != next.PreferredLanguage)
	add("locale", p.Locale != next.Locale)
	add("timezone", p.Timezone != next.Timezone)
	add("emails", !slices.Equal(p.Emails, next.Emails))
	add("phoneNumbers", !slices.Equal(p.PhoneNumbers, next.PhoneNumbers))
	add("ims", !slices.Equal(p.IMs, next.IMs))
	add("photos", !slices.Equal(p.Photos, next.Photos))
	add("addresses", !slices.Equal(p.Addresses, next.Addresses))
	add("x509Certificates", !slices.Equal(p.X509Certificates, next.X509Certificates))
	add("entitlements", !slices.Equal(p.Entitlements, next.Entitlements))
	add("roles", !slices.Equal(p.Roles, next.Roles))

	e, n := p.Enterprise, next.Enterprise
	add(enterprisePath("employeeNumber"), e.EmployeeNumber != n.EmployeeNumber)
	add(enterprisePath("costCenter"), e.CostCenter != n.CostCenter)
	add(enterprisePath("organization"), e.Organization != n.Organization)
	add(enterprisePath("division"), e.Division != n.Division)
	add(enterprisePath("department"), e.Department != n.Department)
	add(enterprisePath("manager"), e.ManagerID != n.ManagerID)
	return changed
}

// EnterpriseUserSchema is the URN of the Enterprise User extension.
const EnterpriseUserSchema = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

func enterprisePath(attribute string) string {
	return EnterpriseUserSchema + ":" + attribute
}
