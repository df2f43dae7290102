package grpcserver

import (
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	provisioningv1 "github.com/craevidence/scim-provisioning/api/gen/craevidence/provisioning/v1"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/app"
	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
)

// Bounds of a filter, so a hostile tree cannot exhaust the stack of the
// translation or the database with the SQL it becomes. They are separate
// because the gateway builds "a or b or c …" as a left-deep chain: such a
// chain is long, but only one level deep as a person wrote it, and an
// identity provider looking up a hundred ids at once is legitimate.
const (
	// maxFilterNodes bounds the expressions of a whole filter.
	maxFilterNodes = 1000
	// maxFilterDepth bounds real nesting: grouping, "not" and value
	// filters. A logical operand with the operator of its parent continues
	// the parent's chain and adds no level.
	maxFilterDepth = 32
)

// filterBudget counts the nodes of a filter while it is translated.
type filterBudget struct{ nodes int }

func provisionedUserFromProto(u *provisioningv1.User) domain.ProvisionedUser {
	ent := u.GetEnterprise()
	name := u.GetName()
	return domain.ProvisionedUser{
		UserName:   u.GetUserName(),
		ExternalID: u.GetExternalId(),
		Active:     u.GetActive(),
		Profile: domain.Profile{
			Name: domain.Name{
				Formatted:       name.GetFormatted(),
				FamilyName:      name.GetFamilyName(),
				GivenName:       name.GetGivenName(),
				MiddleName:      name.GetMiddleName(),
				HonorificPrefix: name.GetHonorificPrefix(),
				HonorificSuffix: name.GetHonorificSuffix(),
			},
			DisplayName:       u.GetDisplayName(),
			NickName:          u.GetNickName(),
			ProfileURL:        u.GetProfileUrl(),
			Title:             u.GetTitle(),
			UserType:          u.GetUserType(),
			PreferredLanguage: u.GetPreferredLanguage(),
			Locale:            u.GetLocale(),
			Timezone:          u.GetTimezone(),
			Emails:            multiValuesFromProto(u.GetEmails()),
			PhoneNumbers:      multiValuesFromProto(u.GetPhoneNumbers()),
			IMs:               multiValuesFromProto(u.GetIms()),
			Photos:            multiValuesFromProto(u.GetPhotos()),
			Addresses:         addressesFromProto(u.GetAddresses()),
			X509Certificates:  multiValuesFromProto(u.GetX509Certificates()),
			Entitlements:      multiValuesFromProto(u.GetEntitlements()),
			Roles:             multiValuesFromProto(u.GetRoles()),
			Enterprise: domain.EnterpriseAttributes{
				EmployeeNumber: ent.GetEmployeeNumber(),
				CostCenter:     ent.GetCostCenter(),
				Organization:   ent.GetOrganization(),
				Division:       ent.GetDivision(),
				Department:     ent.GetDepartment(),
				ManagerID:      ent.GetManagerId(),
			},
		},
	}
}

func multiValuesFromProto(values []*provisioningv1.MultiValuedAttribute) []domain.MultiValue {
	if len(values) == 0 {
		return nil
	}
	out := make([]domain.MultiValue, 0, len(values))
	for _, v := range values {
		out = append(out, domain.MultiValue{
			Value: v.GetValue(), Type: v.GetType(), Display: v.GetDisplay(), Primary: v.GetPrimary(),
		})
	}
	return out
}

func addressesFromProto(values []*provisioningv1.Address) []domain.Address {
	if len(values) == 0 {
		return nil
	}
	out := make([]domain.Address, 0, len(values))
	for _, a := range values {
		out = append(out, domain.Address{
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
	return out
}

func userToProto(u app.User) *provisioningv1.User {
	m, p := u.Member, u.Member.Profile
	out := &provisioningv1.User{
		Id:         m.ID,
		ExternalId: m.ExternalID,
		UserName:   m.UserName,
		Name: &provisioningv1.Name{
			Formatted:       p.Name.Formatted,
			FamilyName:      p.Name.FamilyName,
			GivenName:       p.Name.GivenName,
			MiddleName:      p.Name.MiddleName,
			HonorificPrefix: p.Name.HonorificPrefix,
			HonorificSuffix: p.Name.HonorificSuffix,
		},
		DisplayName:       p.DisplayName,
		NickName:          p.NickName,
		ProfileUrl:        p.ProfileURL,
		Title:             p.Title,
		UserType:          p.UserType,
		PreferredLanguage: p.PreferredLanguage,
		Locale:            p.Locale,
		Timezone:          p.Timezone,
		Active:            m.ScimActive,
		Emails:            multiValuesToProto(p.Emails),
		PhoneNumbers:      multiValuesToProto(p.PhoneNumbers),
		Ims:               multiValuesToProto(p.IMs),
		Photos:            multiValuesToProto(p.Photos),
		Addresses:         addressesToProto(p.Addresses),
		X509Certificates:  multiValuesToProto(p.X509Certificates),
		Entitlements:      multiValuesToProto(p.Entitlements),
		Roles:             multiValuesToProto(p.Roles),
		Meta:              metaToProto(m.CreatedAt, m.UpdatedAt, m.Version),
	}
	if p.Enterprise != (domain.EnterpriseAttributes{}) {
		out.Enterprise = &provisioningv1.EnterpriseUser{
			EmployeeNumber: p.Enterprise.EmployeeNumber,
			CostCenter:     p.Enterprise.CostCenter,
			Organization:   p.Enterprise.Organization,
			Division:       p.Enterprise.Division,
			Department:     p.Enterprise.Department,
			ManagerId:      p.Enterprise.ManagerID,
		}
	}
	for _, g := range u.Groups {
		out.Groups = append(out.Groups, &provisioningv1.ResourceReference{
			Id: g.ID, Display: g.DisplayName, Type: provisioningv1.ResourceType_RESOURCE_TYPE_GROUP,
		})
	}
	return out
}

func multiValuesToProto(values []domain.MultiValue) []*provisioningv1.MultiValuedAttribute {
	if len(values) == 0 {
		return nil
	}
	out := make([]*provisioningv1.MultiValuedAttribute, 0, len(values))
	for _, v := range values {
		out = append(out, &provisioningv1.MultiValuedAttribute{
			Value: v.Value, Type: v.Type, Display: v.Display, Primary: v.Primary,
		})
	}
	return out
}

func addressesToProto(values []domain.Address) []*provisioningv1.Address {
	if len(values) == 0 {
		return nil
	}
	out := make([]*provisioningv1.Address, 0, len(values))
	for _, a := range values {
		out = append(out, &provisioningv1.Address{
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
	return out
}

func metaToProto(created, updated time.Time, version int64) *provisioningv1.ResourceMeta {
	return &provisioningv1.ResourceMeta{
		Created:      timestampOrNil(created),
		LastModified: timestampOrNil(updated),
		Version:      version,
	}
}

// timestampOrNil leaves a zero time unset rather than sending year 1.
func timestampOrNil(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func groupInputFromProto(g *provisioningv1.Group) app.GroupInput {
	input := app.GroupInput{DisplayName: g.GetDisplayName(), ExternalID: g.GetExternalId()}
	for _, m := range g.GetMembers() {
		input.MemberIDs = append(input.MemberIDs, m.GetId())
	}
	return input
}

func groupToProto(v app.GroupView) *provisioningv1.Group {
	out := &provisioningv1.Group{
		Id:          v.Group.ID,
		ExternalId:  v.Group.ExternalID,
		DisplayName: v.Group.DisplayName,
		Meta:        metaToProto(v.Group.CreatedAt, v.Group.UpdatedAt, v.Group.Version),
	}
	for _, m := range v.Members {
		out.Members = append(out.Members, &provisioningv1.ResourceReference{
			Id: m.MemberID, Display: m.Display, Type: provisioningv1.ResourceType_RESOURCE_TYPE_USER,
		})
	}
	return out
}

// listingRequest is what ListUsersRequest and ListGroupsRequest share: the
// filter, paging and sorting of a SCIM listing.
type listingRequest interface {
	GetFilter() *provisioningv1.Filter
	GetStartIndex() int32
	GetCount() int32
	GetSortBy() string
	GetSortOrder() provisioningv1.SortOrder
}

// listQueryFromProto builds a domain list query from a SCIM listing
// request.
func listQueryFromProto(req listingRequest) (domain.ListQuery, error) {
	query := domain.ListQuery{
		StartIndex:     int(req.GetStartIndex()),
		Count:          int(req.GetCount()),
		SortBy:         req.GetSortBy(),
		SortDescending: req.GetSortOrder() == provisioningv1.SortOrder_SORT_ORDER_DESCENDING,
	}
	if filter := req.GetFilter(); filter != nil {
		f, err := (&filterBudget{}).filterFromProto(filter, 0, nil)
		if err != nil {
			return domain.ListQuery{}, err
		}
		query.Filter = f
	}
	query.Normalize()
	return query, nil
}

// filterFromProto translates a filter tree. A shape the core does not know
// is refused as an invalid filter rather than dropped, because dropping a
// part of a filter would widen it. parent is the logical expression f is an
// operand of, nil otherwise; depth counts real nesting (see maxFilterDepth).
func (b *filterBudget) filterFromProto(
	f *provisioningv1.Filter,
	depth int,
	parent *provisioningv1.LogicalExpression,
) (domain.Filter, error) {
	b.nodes++
	if b.nodes > maxFilterNodes {
		return nil, domain.InvalidFilter("the filter has more than %d expressions", maxFilterNodes)
	}
	if depth > maxFilterDepth {
		return nil, domain.InvalidFilter("the filter is nested more than %d levels deep", maxFilterDepth)
	}
	switch e := f.GetExpression().(type) {
	case *provisioningv1.Filter_Attribute:
		return attributeFilterFromProto(e.Attribute)

	case *provisioningv1.Filter_Logical:
		var and bool
		switch e.Logical.GetOperator() {
		case provisioningv1.LogicalOperator_LOGICAL_OPERATOR_AND:
			and = true
		case provisioningv1.LogicalOperator_LOGICAL_OPERATOR_OR:
		default:
			return nil, domain.InvalidFilter("a logical filter needs \"and\" or \"or\"")
		}
		if e.Logical.GetLeft() == nil || e.Logical.GetRight() == nil {
			return nil, domain.InvalidFilter("a logical filter needs two operands")
		}
		// An operand chained with the same operator stays on its parent's
		// level: "a or b or c" is one level however long it is.
		if parent == nil || parent.GetOperator() != e.Logical.GetOperator() {
			depth++
		}
		left, err := b.filterFromProto(e.Logical.GetLeft(), depth, e.Logical)
		if err != nil {
			return nil, err
		}
		right, err := b.filterFromProto(e.Logical.GetRight(), depth, e.Logical)
		if err != nil {
			return nil, err
		}
		return &domain.LogicalFilter{And: and, Left: left, Right: right}, nil

	case *provisioningv1.Filter_Not:
		if e.Not.GetFilter() == nil {
			return nil, domain.InvalidFilter("\"not\" needs a filter")
		}
		inner, err := b.filterFromProto(e.Not.GetFilter(), depth+1, nil)
		if err != nil {
			return nil, err
		}
		return &domain.NotFilter{Filter: inner}, nil

	case *provisioningv1.Filter_ValuePath:
		path, err := pathFromProto(e.ValuePath.GetPath())
		if err != nil {
			return nil, err
		}
		if e.ValuePath.GetFilter() == nil {
			return nil, domain.InvalidFilter("a value filter needs a filter")
		}
		inner, err := b.filterFromProto(e.ValuePath.GetFilter(), depth+1, nil)
		if err != nil {
			return nil, err
		}
		return &domain.ValuePathFilter{Path: path, Filter: inner}, nil

	default:
		return nil, domain.InvalidFilter("the filter has no expression")
	}
}

var comparisons = map[provisioningv1.ComparisonOperator]domain.Comparison{
	provisioningv1.ComparisonOperator_COMPARISON_OPERATOR_EQUAL:            domain.CompareEqual,
	provisioningv1.ComparisonOperator_COMPARISON_OPERATOR_NOT_EQUAL:        domain.CompareNotEqual,
	provisioningv1.ComparisonOperator_COMPARISON_OPERATOR_CONTAINS:         domain.CompareContains,
	provisioningv1.ComparisonOperator_COMPARISON_OPERATOR_STARTS_WITH:      domain.CompareStartsWith,
	provisioningv1.ComparisonOperator_COMPARISON_OPERATOR_ENDS_WITH:        domain.CompareEndsWith,
	provisioningv1.ComparisonOperator_COMPARISON_OPERATOR_PRESENT:          domain.ComparePresent,
	provisioningv1.ComparisonOperator_COMPARISON_OPERATOR_GREATER_THAN:     domain.CompareGreaterThan,
	provisioningv1.ComparisonOperator_COMPARISON_OPERATOR_GREATER_OR_EQUAL: domain.CompareGreaterOrEqual,
	provisioningv1.ComparisonOperator_COMPARISON_OPERATOR_LESS_THAN:        domain.CompareLessThan,
	provisioningv1.ComparisonOperator_COMPARISON_OPERATOR_LESS_OR_EQUAL:    domain.CompareLessOrEqual,
}

func attributeFilterFromProto(e *provisioningv1.AttributeExpression) (domain.Filter, error) {
	path, err := pathFromProto(e.GetPath())
	if err != nil {
		return nil, err
	}
	op, ok := comparisons[e.GetOperator()]
	if !ok {
		return nil, domain.InvalidFilter("the filter's operator is not known")
	}
	if op == domain.ComparePresent {
		return &domain.AttributeFilter{Path: path, Operator: op}, nil
	}

	var value any
	switch v := e.GetValue().GetKind().(type) {
	case *provisioningv1.FilterValue_StringValue:
		value = v.StringValue
	case *provisioningv1.FilterValue_BoolValue:
		value = v.BoolValue
	case *provisioningv1.FilterValue_NumberValue:
		value = v.NumberValue
	case *provisioningv1.FilterValue_NullValue:
		value = nil
	default:
		return nil, domain.InvalidFilter("the filter's %q comparison needs a value", string(op))
	}
	return &domain.AttributeFilter{Path: path, Operator: op, Value: value}, nil
}

func pathFromProto(p *provisioningv1.AttributePath) (domain.AttributePath, error) {
	if p.GetAttribute() == "" {
		return domain.AttributePath{}, domain.InvalidFilter("the filter names no attribute")
	}
	return domain.AttributePath{
		Schema:       p.GetSchema(),
		Attribute:    p.GetAttribute(),
		SubAttribute: p.GetSubAttribute(),
	}, nil
}
