package scim

import "strings"

// Schema and message URNs of RFC 7643 and RFC 7644 that the gateway speaks.
const (
	UserSchemaURN       = "urn:ietf:params:scim:schemas:core:2.0:User"
	EnterpriseSchemaURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	GroupSchemaURN      = "urn:ietf:params:scim:schemas:core:2.0:Group"
	ListResponseURN     = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	ErrorURN            = "urn:ietf:params:scim:api:messages:2.0:Error"
	PatchOpURN          = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	SearchRequestURN    = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
)

// Attribute types, mutabilities and returned values of RFC 7643 §7.
const (
	TypeString    = "string"
	TypeBoolean   = "boolean"
	TypeComplex   = "complex"
	TypeReference = "reference"
	TypeDateTime  = "dateTime"
	TypeBinary    = "binary"

	ReadOnly  = "readOnly"
	ReadWrite = "readWrite"
	Immutable = "immutable"
)

// Attribute describes one attribute of a schema, as /Schemas publishes it and
// as the decoder and the PATCH engine use it.
type Attribute struct {
	Name           string       `json:"name"`
	Type           string       `json:"type"`
	MultiValued    bool         `json:"multiValued"`
	Description    string       `json:"description"`
	Required       bool         `json:"required"`
	CaseExact      bool         `json:"caseExact"`
	Mutability     string       `json:"mutability"`
	Returned       string       `json:"returned"`
	Uniqueness     string       `json:"uniqueness"`
	ReferenceTypes []string     `json:"referenceTypes,omitempty"`
	SubAttributes  []*Attribute `json:"subAttributes,omitempty"`

	// maxValues bounds the values of a multi-valued attribute; 0 leaves
	// it to the bound on the request body.
	maxValues int
}

// MaxMultiValues bounds the values of each multi-valued attribute of a User
// (emails, phoneNumbers, roles, …), as the core does. Real identity
// providers send a handful; thousands only hold the core's writer. Group
// members are not bounded by it: they are bounded by the request body and
// MaxPatchOperations.
const MaxMultiValues = 100

// Sub returns the sub-attribute called name, compared case-insensitively, or
// nil.
func (a *Attribute) Sub(name string) *Attribute {
	return findAttribute(a.SubAttributes, name)
}

// Schema is one schema of RFC 7643 §7: an id and its attributes.
type Schema struct {
	ID          string       `json:"id"`
	Name        string       `json:"name"`
	Description string       `json:"description"`
	Attributes  []*Attribute `json:"attributes"`
}

// Attribute returns the attribute called name, compared case-insensitively,
// or nil.
func (s *Schema) Attribute(name string) *Attribute {
	return findAttribute(s.Attributes, name)
}

func findAttribute(attrs []*Attribute, name string) *Attribute {
	for _, a := range attrs {
		if strings.EqualFold(a.Name, name) {
			return a
		}
	}
	return nil
}

// attr builds a single-valued read-write string attribute; the option
// functions below adjust it, which keeps the schema tables short.
func attr(name, description string, opts ...func(*Attribute)) *Attribute {
	a := &Attribute{
		Name:        name,
		Type:        TypeString,
		Description: description,
		Mutability:  ReadWrite,
		Returned:    "default",
		Uniqueness:  "none",
	}
	for _, opt := range opts {
		opt(a)
	}
	return a
}

func typed(t string) func(*Attribute) { return func(a *Attribute) { a.Type = t } }
func multi(a *Attribute)              { a.MultiValued, a.maxValues = true, MaxMultiValues }
func manyValues(a *Attribute)         { a.maxValues = 0 }
func required(a *Attribute)           { a.Required = true }
func caseExact(a *Attribute)          { a.CaseExact = true }
func readOnly(a *Attribute)           { a.Mutability = ReadOnly }
func immutable(a *Attribute)          { a.Mutability = Immutable }
func serverUnique(a *Attribute)       { a.Uniqueness = "server" }

func refs(types ...string) func(*Attribute) {
	return func(a *Attribute) {
		a.Type = TypeReference
		a.ReferenceTypes = types
	}
}

func subs(sub ...*Attribute) func(*Attribute) {
	return func(a *Attribute) {
		a.Type = TypeComplex
		a.SubAttributes = sub
	}
}

// multiValue returns the sub-attributes shared by emails, phoneNumbers and
// the other plain multi-valued attributes of RFC 7643 §2.4.
func multiValue(valueType string) []*Attribute {
	return []*Attribute{
		attr("value", "The attribute's significant value.", typed(valueType)),
		attr("display", "A human-readable name, primarily used for display purposes."),
		attr("type", "A label indicating the attribute's function."),
		attr("primary", "Whether this is the preferred value.", typed(TypeBoolean)),
	}
}

// commonAttributes are the attributes every resource has (RFC 7643 §3.1).
// They are not part of any schema's /Schemas entry.
var commonAttributes = []*Attribute{
	attr("id", "Unique identifier assigned by the service provider.", caseExact, readOnly,
		func(a *Attribute) { a.Returned = "always"; a.Uniqueness = "server" }),
	attr("externalId", "Identifier assigned by the provisioning client.", caseExact),
	attr("meta", "Resource metadata.", readOnly, subs(
		attr("resourceType", "The resource type.", readOnly, caseExact),
		attr("created", "When the resource was created.", readOnly, typed(TypeDateTime)),
		attr("lastModified", "When the resource last changed.", readOnly, typed(TypeDateTime)),
		attr("location", "The URI of the resource.", readOnly, refs("uri")),
		attr("version", "The version of the resource.", readOnly, caseExact),
	)),
}

// UserSchema is the core User schema as far as the gateway supports it.
// password is accepted on input and dropped, so it is not published.
var UserSchema = &Schema{
	ID:          UserSchemaURN,
	Name:        "User",
	Description: "User Account",
	Attributes: []*Attribute{
		attr("userName", "Unique identifier for the user, compared case-insensitively.",
			required, serverUnique),
		attr("name", "The components of the user's name.", subs(
			attr("formatted", "The full name."),
			attr("familyName", "The family name."),
			attr("givenName", "The given name."),
			attr("middleName", "The middle name(s)."),
			attr("honorificPrefix", "The honorific prefix(es)."),
			attr("honorificSuffix", "The honorific suffix(es)."),
		)),
		attr("displayName", "The name of the user, suitable for display."),
		attr("nickName", "The casual way to address the user."),
		attr("profileUrl", "A URI of the user's online profile.", refs("external")),
		attr("title", "The user's title."),
		attr("userType", "The relationship between the organisation and the user."),
		attr("preferredLanguage", "The user's preferred written or spoken language."),
		attr("locale", "The user's default location for localisation."),
		attr("timezone", "The user's time zone in IANA format."),
		attr("active", "Whether the identity provider considers the user active.",
			typed(TypeBoolean)),
		attr("emails", "Email addresses of the user.", multi, subs(multiValue(TypeString)...)),
		attr("phoneNumbers", "Phone numbers of the user.", multi,
			subs(multiValue(TypeString)...)),
		attr("ims", "Instant messaging addresses of the user.", multi,
			subs(multiValue(TypeString)...)),
		attr("photos", "URLs of photos of the user.", multi,
			subs(multiValue(TypeReference)...)),
		attr("addresses", "Physical mailing addresses of the user.", multi, subs(
			attr("formatted", "The full mailing address."),
			attr("streetAddress", "The street address."),
			attr("locality", "The city or locality."),
			attr("region", "The state or region."),
			attr("postalCode", "The postal code."),
			attr("country", "The country."),
			attr("type", "A label indicating the address's function."),
			attr("primary", "Whether this is the preferred address.", typed(TypeBoolean)),
		)),
		attr("groups", "Groups the user belongs to; changed through Groups only.", multi,
			readOnly, subs(
				attr("value", "The id of the group.", readOnly),
				attr("$ref", "The URI of the group.", readOnly, refs("Group")),
				attr("display", "The name of the group.", readOnly),
				attr("type", "direct or indirect.", readOnly),
			)),
		attr("entitlements", "Entitlements of the user.", multi,
			subs(multiValue(TypeString)...)),
		attr("roles", "Roles of the user as the identity provider names them.", multi,
			subs(multiValue(TypeString)...)),
		attr("x509Certificates", "Certificates of the user.", multi,
			subs(multiValue(TypeBinary)...)),
	},
}

// EnterpriseSchema is the Enterprise User extension of RFC 7643 §4.3.
var EnterpriseSchema = &Schema{
	ID:          EnterpriseSchemaURN,
	Name:        "EnterpriseUser",
	Description: "Enterprise User",
	Attributes: []*Attribute{
		attr("employeeNumber", "The user's employee number."),
		attr("costCenter", "The user's cost center."),
		attr("organization", "The user's organisation."),
		attr("division", "The user's division."),
		attr("department", "The user's department."),
		attr("manager", "The user's manager.", subs(
			attr("value", "The id of the manager's User resource."),
			attr("$ref", "The URI of the manager's User resource.", refs("User")),
			attr("displayName", "The manager's display name.", readOnly),
		)),
	},
}

// GroupSchema is the core Group schema.
var GroupSchema = &Schema{
	ID:          GroupSchemaURN,
	Name:        "Group",
	Description: "Group",
	Attributes: []*Attribute{
		attr("displayName", "The name of the group, unique in the organisation.", required,
			serverUnique),
		attr("members", "The members of the group.", multi, manyValues, subs(
			attr("value", "The id of the member.", immutable),
			attr("$ref", "The URI of the member.", immutable, refs("User")),
			attr("display", "The member's display name.", readOnly),
			attr("type", "The member's resource type.", immutable),
		)),
	},
}

// ResourceSchema is a resource type's core schema and its extensions.
type ResourceSchema struct {
	Core       *Schema
	Extensions []*Schema
}

// UserResource and GroupResource describe the two resource types served.
var (
	UserResource  = ResourceSchema{Core: UserSchema, Extensions: []*Schema{EnterpriseSchema}}
	GroupResource = ResourceSchema{Core: GroupSchema}
)

// extension returns the extension schema with the given URN, or nil.
func (r ResourceSchema) extension(urn string) *Schema {
	for _, s := range r.Extensions {
		if strings.EqualFold(s.ID, urn) {
			return s
		}
	}
	return nil
}

// coreAttribute finds a top-level attribute of the core schema, including
// the common attributes.
func (r ResourceSchema) coreAttribute(name string) *Attribute {
	if a := findAttribute(commonAttributes, name); a != nil {
		return a
	}
	return r.Core.Attribute(name)
}

// canonicalNames maps every known attribute and sub-attribute name, lower
// case, to its spelling in the schemas, so parsed paths are sent to the core
// in one spelling whatever case the client used.
var canonicalNames = func() map[string]string {
	names := map[string]string{}
	var walk func([]*Attribute)
	walk = func(attrs []*Attribute) {
		for _, a := range attrs {
			names[strings.ToLower(a.Name)] = a.Name
			walk(a.SubAttributes)
		}
	}
	walk(commonAttributes)
	for _, s := range []*Schema{UserSchema, EnterpriseSchema, GroupSchema} {
		walk(s.Attributes)
	}
	return names
}()

// canonicalSchemas maps known schema URNs, lower case, to their spelling.
var canonicalSchemas = map[string]string{
	strings.ToLower(UserSchemaURN):       UserSchemaURN,
	strings.ToLower(EnterpriseSchemaURN): EnterpriseSchemaURN,
	strings.ToLower(GroupSchemaURN):      GroupSchemaURN,
}

func canonicalName(name string) string {
	if c, ok := canonicalNames[strings.ToLower(name)]; ok {
		return c
	}
	return name
}
