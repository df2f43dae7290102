package scim

import "strings"

// GroupChange is what a Group PATCH asks of the core: attribute changes and
// member ids added or removed as set operations, so a large group is never
// read and rewritten whole.
type GroupChange struct {
	// DisplayName and ExternalID are nil when unchanged.
	DisplayName *string
	ExternalID  *string
	// RemoveAllMembers empties the group before AddMemberIDs are added.
	RemoveAllMembers bool
	AddMemberIDs     []string
	RemoveMemberIDs  []string
}

// PlanGroupPatch turns PATCH operations on the group groupID into one
// GroupChange. Later operations win over earlier ones on the same member,
// as if they had been applied in order. The rules applied are recorded in
// notes, which may be nil.
func PlanGroupPatch(groupID string, ops []PatchOperation, notes *Notes) (GroupChange, error) {
	pl := &groupPlanner{groupID: groupID, add: map[string]bool{}, del: map[string]bool{},
		notes: notes}
	for i, op := range ops {
		if err := pl.apply(op); err != nil {
			return GroupChange{}, inOperation(i, err)
		}
	}

	change := pl.change
	change.AddMemberIDs = sortedSet(pl.add)
	change.RemoveMemberIDs = sortedSet(pl.del)
	return change, nil
}

type groupPlanner struct {
	groupID string
	change  GroupChange
	add     map[string]bool
	del     map[string]bool
	notes   *Notes
}

func (pl *groupPlanner) apply(op PatchOperation) error {
	if op.Path == "" {
		if op.Op == OpRemove {
			return errorf(ErrNoTarget, "remove needs a path")
		}
		obj, ok := op.Value.(map[string]any)
		if !ok {
			return errorf(ErrInvalidValue, "%s without a path needs an object value", op.Op)
		}
		for _, key := range sortedKeys(obj) {
			if err := pl.applyKey(op.Op, key, obj[key]); err != nil {
				return err
			}
		}
		return nil
	}

	pp, err := ParsePatchPath(op.Path)
	if err != nil {
		return err
	}
	if pp.Attr.Schema != "" && !strings.EqualFold(pp.Attr.Schema, GroupSchemaURN) {
		return errorf(ErrInvalidPath, "unknown schema %q", pp.Attr.Schema)
	}
	attrName := strings.ToLower(pp.Attr.Attribute)

	if attrName == "members" && (pp.Filter != nil || pp.Attr.SubAttribute != "") {
		if op.Op != OpRemove || pp.SubAttribute != "" || pp.Attr.SubAttribute != "" {
			return errorf(ErrInvalidPath, "only whole members can be selected by a filter, "+
				"and only to remove them")
		}
		ids, ok := memberIDsOf(pp.Filter)
		if !ok {
			return errorf(ErrInvalidFilter, `members can be selected only by value eq "id"`)
		}
		for _, id := range ids {
			if err := checkIdentifier("members.value", id); err != nil {
				return err
			}
			pl.removeMember(id)
		}
		return nil
	}
	if pp.Filter != nil || pp.Attr.SubAttribute != "" {
		return errorf(ErrInvalidPath, "%q is not a multi-valued attribute", pp.Attr.Attribute)
	}
	if op.Op == OpRemove {
		return pl.removeKey(attrName, op.Value)
	}
	return pl.applyKey(op.Op, pp.Attr.Attribute, op.Value)
}

// applyKey handles add or replace of one attribute. Okta's rename carries
// the group's id next to displayName; an id that names this group is fine.
func (pl *groupPlanner) applyKey(opName, key string, value any) error {
	switch strings.ToLower(key) {
	case "schemas", "meta":
		return nil
	case "id":
		if id, _ := value.(string); id != "" && id != pl.groupID {
			return errorf(ErrMutability, "id is read-only")
		}
		pl.notes.Note(RuleGroupRenameWithID)
		return nil
	case "displayname":
		name, ok := value.(string)
		if !ok || strings.TrimSpace(name) == "" {
			return errorf(ErrInvalidValue, "displayName must be a non-empty string")
		}
		if err := checkText("displayName", name); err != nil {
			return err
		}
		pl.change.DisplayName = &name
		return nil
	case "externalid":
		id, ok := value.(string)
		if !ok && value != nil {
			return errorf(ErrInvalidValue, "externalId must be a string")
		}
		if err := checkIdentifier("externalId", id); err != nil {
			return err
		}
		pl.change.ExternalID = &id
		return nil
	case "members":
		ids, err := memberIDs(value)
		if err != nil {
			return err
		}
		if opName == OpReplace {
			pl.change.RemoveAllMembers = true
			clear(pl.add)
			clear(pl.del)
		}
		for _, id := range ids {
			pl.addMember(id)
		}
		return nil
	}
	return errorf(ErrInvalidPath, "unknown attribute %q", key)
}

func (pl *groupPlanner) removeKey(attrName string, value any) error {
	switch attrName {
	case "displayname":
		return errorf(ErrMutability, "displayName is required and cannot be removed")
	case "externalid":
		empty := ""
		pl.change.ExternalID = &empty
		return nil
	case "members":
		if value == nil {
			pl.change.RemoveAllMembers = true
			clear(pl.add)
			clear(pl.del)
			return nil
		}
		// Entra ID without the aadOptscim062020 flag lists the members to
		// remove in value.
		pl.notes.Note(RuleRemoveWithValue)
		ids, err := memberIDs(value)
		if err != nil {
			return err
		}
		for _, id := range ids {
			pl.removeMember(id)
		}
		return nil
	case "id", "meta":
		return errorf(ErrMutability, "%s is read-only", attrName)
	}
	return errorf(ErrInvalidPath, "unknown attribute %q", attrName)
}

func (pl *groupPlanner) addMember(id string) {
	delete(pl.del, id)
	pl.add[id] = true
}

func (pl *groupPlanner) removeMember(id string) {
	delete(pl.add, id)
	if !pl.change.RemoveAllMembers {
		pl.del[id] = true
	}
}

// memberIDs reads member ids from a list of {"value": id} objects; a lone
// object or bare id strings are accepted too.
func memberIDs(value any) ([]string, error) {
	var ids []string
	for _, item := range asList(value) {
		var id string
		switch v := item.(type) {
		case string:
			id = v
		case map[string]any:
			id, _ = getFold(v, "value").(string)
		}
		if strings.TrimSpace(id) == "" {
			return nil, errorf(ErrInvalidValue, "every member needs a value with the user id")
		}
		if err := checkIdentifier("members.value", id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// memberIDsOf reads the ids of a filter such as value eq "a" or value eq "b".
func memberIDsOf(f Filter) ([]string, bool) {
	switch f := f.(type) {
	case *Comparison:
		if !strings.EqualFold(f.Path.Attribute, "value") || f.Path.SubAttribute != "" ||
			f.Operator != OpEqual || f.Value.Kind != ValueString {
			return nil, false
		}
		return []string{f.Value.String}, true
	case *Logical:
		if f.Operator != Or {
			return nil, false
		}
		left, ok := memberIDsOf(f.Left)
		if !ok {
			return nil, false
		}
		right, ok := memberIDsOf(f.Right)
		return append(left, right...), ok
	}
	return nil, false
}

func sortedSet(set map[string]bool) []string {
	if len(set) == 0 {
		return nil
	}
	m := make(map[string]any, len(set))
	for k := range set {
		m[k] = nil
	}
	return sortedKeys(m)
}
