package coregrpc

import (
	"fmt"

	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/craevidence/scim-provisioning/api/gen/craevidence/provisioning/v1"
	"github.com/craevidence/scim-provisioning/services/scim-gateway/internal/scim"
)

// userToProto maps a user to protobuf. A user without active is sent as
// active: an identity provider that omits the flag on create means a
// working account.
func userToProto(u scim.User) *pb.User {
	out := &pb.User{
		Id:                u.ID,
		ExternalId:        u.ExternalID,
		UserName:          u.UserName,
		DisplayName:       u.DisplayName,
		NickName:          u.NickName,
		ProfileUrl:        u.ProfileURL,
		Title:             u.Title,
		UserType:          u.UserType,
		PreferredLanguage: u.PreferredLanguage,
		Locale:            u.Locale,
		Timezone:          u.Timezone,
		Active:            u.Active == nil || *u.Active,
		Emails:            multiToProto(u.Emails),
		PhoneNumbers:      multiToProto(u.PhoneNumbers),
		Ims:               multiToProto(u.IMs),
		Photos:            multiToProto(u.Photos),
		X509Certificates:  multiToProto(u.X509Certificates),
		Entitlements:      multiToProto(u.Entitlements),
		Roles:             multiToProto(u.Roles),
	}
	if n := u.Name; n != nil {
		out.Name = &pb.Name{
			Formatted:       n.Formatted,
			FamilyName:      n.FamilyName,
			GivenName:       n.GivenName,
			MiddleName:      n.MiddleName,
			HonorificPrefix: n.HonorificPrefix,
			HonorificSuffix: n.HonorificSuffix,
		}
	}
	for _, a := range u.Addresses {
		out.Addresses = append(out.Addresses, &pb.Address{
			Formatted:     a.Formatted,
			StreetAddress: a.StreetAddress,
			Locality:      a.Locality,
			Region:        a.Region,
			PostalCode:    a.PostalCode,
			Country:       a.Country,
			Type:          a.Type,
			Primary:       a.Primary,
		})
	}
	if e := u.Enterprise; !e.IsZero() {
		out.Enterprise = &pb.EnterpriseUser{
			EmployeeNumber: e.EmployeeNumber,
			CostCenter:     e.CostCenter,
			Organization:   e.Organization,
			Division:       e.Division,
			Department:     e.Department,
		}
		if e.Manager != nil {
			out.Enterprise.ManagerId = e.Manager.Value
		}
	}
	return out
}

func userFromProto(u *pb.User) scim.User {
	if u == nil {
		return scim.User{}
	}
	active := u.GetActive()
	out := scim.User{
		ID:                u.GetId(),
		ExternalID:        u.GetExternalId(),
		UserName:          u.GetUserName(),
		DisplayName:       u.GetDisplayName(),
		NickName:          u.GetNickName(),
		ProfileURL:        u.GetProfileUrl(),
		Title:             u.GetTitle(),
		UserType:          u.GetUserType(),
		PreferredLanguage: u.GetPreferredLanguage(),
		Locale:            u.GetLocale(),
		Timezone:          u.GetTimezone(),
		Active:            &active,
		Emails:            multiFromProto(u.GetEmails()),
		PhoneNumbers:      multiFromProto(u.GetPhoneNumbers()),
		IMs:               multiFromProto(u.GetIms()),
		Photos:            multiFromProto(u.GetPhotos()),
		X509Certificates:  multiFromProto(u.GetX509Certificates()),
		Entitlements:      multiFromProto(u.GetEntitlements()),
		Roles:             multiFromProto(u.GetRoles()),
		Groups:            refsFromProto(u.GetGroups()),
		Meta:              metaFromProto(u.GetMeta()),
	}
	if n := u.GetName(); n != nil {
		name := scim.Name{
			Formatted:       n.GetFormatted(),
			FamilyName:      n.GetFamilyName(),
			GivenName:       n.GetGivenName(),
			MiddleName:      n.GetMiddleName(),
			HonorificPrefix: n.GetHonorificPrefix(),
			HonorificSuffix: n.GetHonorificSuffix(),
		}
		if name != (scim.Name{}) {
			out.Name = &name
		}
	}
	for _, a := range u.GetAddresses() {
		out.Addresses = append(out.Addresses, scim.Address{
			Formatted:     a.GetFormatted(),
			StreetAddress: a.GetStreetAddress(),
			Locality:      a.GetLocality(),
			Region:        a.GetRegion(),
			PostalCode:    a.GetPostalCode(),
			Country:       a.GetCountry(),
			Type:          a.GetType(),
			Primary:       a.GetPrimary(),
		})
	}
	if e := u.GetEnterprise(); e != nil {
		ent := &scim.EnterpriseUser{
			EmployeeNumber: e.GetEmployeeNumber(),
			CostCenter:     e.GetCostCenter(),
			Organization:   e.GetOrganization(),
			Division:       e.GetDivision(),
			Department:     e.GetDepartment(),
		}
		if e.GetManagerId() != "" {
			ent.Manager = &scim.Manager{Value: e.GetManagerId(),
				DisplayName: e.GetManagerDisplayName()}
		}
		if !ent.IsZero() {
			out.Enterprise = ent
		}
	}
	return out
}

func multiToProto(values []scim.MultiValue) []*pb.MultiValuedAttribute {
	var out []*pb.MultiValuedAttribute
	for _, v := range values {
		out = append(out, &pb.MultiValuedAttribute{
			Value: v.Value, Type: v.Type, Display: v.Display, Primary: v.Primary,
		})
	}
	return out
}

func multiFromProto(values []*pb.MultiValuedAttribute) []scim.MultiValue {
	var out []scim.MultiValue
	for _, v := range values {
		out = append(out, scim.MultiValue{
			Value: v.GetValue(), Type: v.GetType(), Display: v.GetDisplay(), Primary: v.GetPrimary(),
		})
	}
	return out
}

func refsToProto(refs []scim.Reference) []*pb.ResourceReference {
	var out []*pb.ResourceReference
	for _, r := range refs {
		kind := pb.ResourceType_RESOURCE_TYPE_USER
		if r.Type == "Group" {
			kind = pb.ResourceType_RESOURCE_TYPE_GROUP
		}
		out = append(out, &pb.ResourceReference{Id: r.Value, Display: r.Display, Type: kind})
	}
	return out
}

func refsFromProto(refs []*pb.ResourceReference) []scim.Reference {
	var out []scim.Reference
	for _, r := range refs {
		ref := scim.Reference{Value: r.GetId(), Display: r.GetDisplay()}
		switch r.GetType() {
		case pb.ResourceType_RESOURCE_TYPE_USER:
			ref.Type = "User"
		case pb.ResourceType_RESOURCE_TYPE_GROUP:
			ref.Type = "Group"
		}
		out = append(out, ref)
	}
	return out
}

func groupToProto(g scim.Group) *pb.Group {
	return &pb.Group{
		Id:          g.ID,
		ExternalId:  g.ExternalID,
		DisplayName: g.DisplayName,
		Members:     refsToProto(g.Members),
	}
}

func groupFromProto(g *pb.Group) scim.Group {
	if g == nil {
		return scim.Group{}
	}
	return scim.Group{
		ID:          g.GetId(),
		ExternalID:  g.GetExternalId(),
		DisplayName: g.GetDisplayName(),
		Members:     refsFromProto(g.GetMembers()),
		Meta:        metaFromProto(g.GetMeta()),
	}
}

func metaFromProto(m *pb.ResourceMeta) *scim.Meta {
	if m == nil {
		return nil
	}
	out := &scim.Meta{Version: m.GetVersion()}
	if m.GetCreated() != nil {
		t := m.GetCreated().AsTime()
		out.Created = &t
	}
	if m.GetLastModified() != nil {
		t := m.GetLastModified().AsTime()
		out.LastModified = &t
	}
	return out
}

// timestamp is here for tests that build core answers.
var timestamp = timestamppb.New

var comparisonOperators = map[scim.Operator]pb.ComparisonOperator{
	scim.OpEqual:          pb.ComparisonOperator_COMPARISON_OPERATOR_EQUAL,
	scim.OpNotEqual:       pb.ComparisonOperator_COMPARISON_OPERATOR_NOT_EQUAL,
	scim.OpContains:       pb.ComparisonOperator_COMPARISON_OPERATOR_CONTAINS,
	scim.OpStartsWith:     pb.ComparisonOperator_COMPARISON_OPERATOR_STARTS_WITH,
	scim.OpEndsWith:       pb.ComparisonOperator_COMPARISON_OPERATOR_ENDS_WITH,
	scim.OpPresent:        pb.ComparisonOperator_COMPARISON_OPERATOR_PRESENT,
	scim.OpGreater:        pb.ComparisonOperator_COMPARISON_OPERATOR_GREATER_THAN,
	scim.OpGreaterOrEqual: pb.ComparisonOperator_COMPARISON_OPERATOR_GREATER_OR_EQUAL,
	scim.OpLess:           pb.ComparisonOperator_COMPARISON_OPERATOR_LESS_THAN,
	scim.OpLessOrEqual:    pb.ComparisonOperator_COMPARISON_OPERATOR_LESS_OR_EQUAL,
}

// filterToProto maps a parsed filter to the typed Filter message.
func filterToProto(f scim.Filter) (*pb.Filter, error) {
	switch f := f.(type) {
	case nil:
		return nil, nil
	case *scim.Comparison:
		op, ok := comparisonOperators[f.Operator]
		if !ok {
			return nil, fmt.Errorf("filter operator %q has no protobuf form", f.Operator)
		}
		expr := &pb.AttributeExpression{Path: pathToProto(f.Path), Operator: op}
		if f.Operator != scim.OpPresent {
			expr.Value = valueToProto(f.Value)
		}
		return &pb.Filter{Expression: &pb.Filter_Attribute{Attribute: expr}}, nil
	case *scim.Logical:
		left, err := filterToProto(f.Left)
		if err != nil {
			return nil, err
		}
		right, err := filterToProto(f.Right)
		if err != nil {
			return nil, err
		}
		op := pb.LogicalOperator_LOGICAL_OPERATOR_AND
		if f.Operator == scim.Or {
			op = pb.LogicalOperator_LOGICAL_OPERATOR_OR
		}
		return &pb.Filter{Expression: &pb.Filter_Logical{Logical: &pb.LogicalExpression{
			Operator: op, Left: left, Right: right}}}, nil
	case *scim.Not:
		inner, err := filterToProto(f.Filter)
		if err != nil {
			return nil, err
		}
		return &pb.Filter{Expression: &pb.Filter_Not{Not: &pb.NotExpression{Filter: inner}}}, nil
	case *scim.ValuePath:
		inner, err := filterToProto(f.Filter)
		if err != nil {
			return nil, err
		}
		return &pb.Filter{Expression: &pb.Filter_ValuePath{ValuePath: &pb.ValuePathExpression{
			Path: pathToProto(f.Path), Filter: inner}}}, nil
	}
	return nil, fmt.Errorf("filter of type %T has no protobuf form", f)
}

func pathToProto(p scim.AttrPath) *pb.AttributePath {
	return &pb.AttributePath{Schema: p.Schema, Attribute: p.Attribute,
		SubAttribute: p.SubAttribute}
}

func valueToProto(v scim.Value) *pb.FilterValue {
	switch v.Kind {
	case scim.ValueBool:
		return &pb.FilterValue{Kind: &pb.FilterValue_BoolValue{BoolValue: v.Bool}}
	case scim.ValueNumber:
		return &pb.FilterValue{Kind: &pb.FilterValue_NumberValue{NumberValue: v.Number}}
	case scim.ValueNull:
		return &pb.FilterValue{Kind: &pb.FilterValue_NullValue{NullValue: true}}
	default:
		return &pb.FilterValue{Kind: &pb.FilterValue_StringValue{StringValue: v.String}}
	}
}
