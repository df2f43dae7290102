package scim

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// MaxPatchOperations bounds the operations of one PATCH request. Entra ID
// batches group membership changes, but never anywhere near this many.
const MaxPatchOperations = 1000

// The PATCH operations of RFC 7644 §3.5.2, in lower case.
const (
	OpAdd     = "add"
	OpReplace = "replace"
	OpRemove  = "remove"
)

// PatchOperation is one operation of a PATCH request. Op is lower case
// whatever case the client sent (Entra ID sends "Replace"); Value is the
// client's JSON value, decoded with exact numbers.
type PatchOperation struct {
	Op    string
	Path  string
	Value any
}

// DecodePatch reads a PATCH request body. Member names are
// case-insensitive and the schemas attribute is not enforced, because
// clients differ in both. The rules applied are recorded in notes, which may
// be nil.
func DecodePatch(body []byte, notes *Notes) ([]PatchOperation, error) {
	raw, err := parseJSON(body)
	if err != nil {
		return nil, err
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		return nil, errorf(ErrInvalidSyntax, "request body must be a JSON object")
	}

	list, ok := getFold(obj, "Operations").([]any)
	if !ok || len(list) == 0 {
		return nil, errorf(ErrInvalidSyntax, "Operations must be a list of one or more operations")
	}
	if len(list) > MaxPatchOperations {
		return nil, errorf(ErrTooMany, "a PATCH request may hold at most %d operations",
			MaxPatchOperations)
	}

	ops := make([]PatchOperation, 0, len(list))
	for i, item := range list {
		opObj, ok := item.(map[string]any)
		if !ok {
			return nil, errorf(ErrInvalidSyntax, "operation %d must be an object", i+1)
		}
		sent, _ := getFold(opObj, "op").(string)
		name := strings.ToLower(strings.TrimSpace(sent))
		if name != sent && (name == OpAdd || name == OpReplace || name == OpRemove) {
			notes.Note(RuleCapitalisedOp)
		}
		if name != OpAdd && name != OpReplace && name != OpRemove {
			return nil, errorf(ErrInvalidSyntax,
				"operation %d: op must be add, replace or remove", i+1)
		}
		path, isString := getFold(opObj, "path").(string)
		if !isString && getFold(opObj, "path") != nil {
			return nil, errorf(ErrInvalidPath, "operation %d: path must be a string", i+1)
		}
		ops = append(ops, PatchOperation{
			Op:    name,
			Path:  strings.TrimSpace(path),
			Value: getFold(opObj, "value"),
		})
	}
	return ops, nil
}

// ApplyUserPatch applies PATCH operations to a user in memory and returns the
// changed user. The operations are atomic: on error the caller keeps the
// original. id, meta and groups are read-only and come from u. The rules
// applied are recorded in notes, which may be nil.
func ApplyUserPatch(u User, ops []PatchOperation, notes *Notes) (User, error) {
	source := u
	source.Schemas, source.Meta, source.Groups = nil, nil, nil
	doc, err := toDocument(source)
	if err != nil {
		return User{}, fmt.Errorf("apply patch: %w", err)
	}

	p := &patcher{rs: UserResource, doc: doc, notes: notes}
	for i, op := range ops {
		if err := p.apply(op); err != nil {
			return User{}, inOperation(i, err)
		}
	}

	// The document holds stored and already normalised values, so no rule
	// is noted for it.
	normalized, err := normalizeResource(p.doc, UserResource, false, nil)
	if err != nil {
		return User{}, err
	}
	out, err := userFromDocument(normalized)
	if err != nil {
		return User{}, err
	}
	if out.UserName == "" {
		return User{}, errorf(ErrMutability, "userName is required and cannot be removed")
	}
	if err := checkUserText(out); err != nil {
		return User{}, err
	}
	if out.Active == nil {
		// A removed active attribute is unassigned, and an unassigned
		// active flag does not mean the user is active.
		f := false
		out.Active = &f
	}
	out.ID, out.Meta, out.Groups = u.ID, u.Meta, u.Groups
	return out, nil
}

func inOperation(i int, err error) error {
	var scimErr *Error
	if errors.As(err, &scimErr) {
		return &Error{
			ScimType: scimErr.ScimType,
			Detail:   fmt.Sprintf("operation %d: %s", i+1, scimErr.Detail),
		}
	}
	return err
}

// patcher applies operations to a resource document.
type patcher struct {
	rs    ResourceSchema
	doc   document
	notes *Notes
}

func (p *patcher) apply(op PatchOperation) error {
	if op.Op == OpRemove {
		if op.Path == "" {
			return errorf(ErrNoTarget, "remove needs a path")
		}
		return p.remove(op.Path, op.Value)
	}

	if op.Path == "" {
		return p.applyObject(op.Op, op.Value)
	}
	if ext := p.rs.extension(op.Path); ext != nil {
		// A path naming the extension itself carries an object of
		// extension attributes.
		return p.applyExtensionObject(op.Op, ext, op.Value)
	}
	if op.Value == nil {
		return errorf(ErrInvalidValue, "%s of %q needs a value", op.Op, op.Path)
	}
	return p.set(op.Op, op.Path, op.Value)
}

// applyObject applies a path-less add or replace, whose value object holds
// attributes by plain name ("active", as Okta sends), dotted name
// ("name.givenName") or URN-qualified name, as Entra ID sends.
func (p *patcher) applyObject(opName string, value any) error {
	obj, ok := value.(map[string]any)
	if !ok {
		return errorf(ErrInvalidValue, "%s without a path needs an object value", opName)
	}

	for _, key := range sortedKeys(obj) {
		v := obj[key]
		if ext := p.rs.extension(key); ext != nil {
			if err := p.applyExtensionObject(opName, ext, v); err != nil {
				return err
			}
			continue
		}
		switch strings.ToLower(key) {
		case "schemas", "id", "meta":
			// Clients echo these back; they are read-only and ignored, as
			// RFC 7643 §2.2 allows.
			continue
		case "active":
			p.notes.Note(RulePathlessActive)
		}
		if strings.Contains(key, ".") || strings.Contains(key, ":") {
			p.notes.Note(RulePathlessDottedKeys)
		}
		if v == nil {
			continue
		}
		if err := p.set(opName, key, v); err != nil {
			return err
		}
	}
	return nil
}

func (p *patcher) applyExtensionObject(opName string, ext *Schema, value any) error {
	obj, ok := value.(map[string]any)
	if !ok {
		return errorf(ErrInvalidValue, "%s needs an object value", ext.ID)
	}
	for _, key := range sortedKeys(obj) {
		if obj[key] == nil {
			continue
		}
		if err := p.set(opName, ext.ID+":"+key, obj[key]); err != nil {
			return err
		}
	}
	return nil
}

// target is where a path points: the object holding the attribute, the
// attribute and, when the path names one, its sub-attribute.
type target struct {
	container document
	def       *Attribute
	sub       *Attribute
	filter    Filter
}

func (p *patcher) resolve(text string, create bool) (target, error) {
	pp, err := ParsePatchPath(text)
	if err != nil {
		return target{}, err
	}

	t := target{container: p.doc, filter: pp.Filter}
	name := pp.Attr.Attribute
	switch {
	case pp.Attr.Schema == "":
		t.def = p.rs.coreAttribute(name)
		if t.def == nil {
			// An unqualified extension attribute, as Entra ID sends
			// "manager"; core attributes win when names clash.
			for _, ext := range p.rs.Extensions {
				if def := ext.Attribute(name); def != nil {
					p.notes.Note(RuleUnqualifiedExtension)
					t.def, t.container = def, p.extensionContainer(ext, create)
					break
				}
			}
		}
	case strings.EqualFold(pp.Attr.Schema, p.rs.Core.ID):
		t.def = p.rs.coreAttribute(name)
	default:
		ext := p.rs.extension(pp.Attr.Schema)
		if ext == nil {
			return target{}, errorf(ErrInvalidPath, "unknown schema %q", pp.Attr.Schema)
		}
		t.def, t.container = ext.Attribute(name), p.extensionContainer(ext, create)
	}
	if t.def == nil {
		return target{}, errorf(ErrInvalidPath, "unknown attribute %q", pp.Attr.String())
	}

	subName := pp.Attr.SubAttribute
	if subName == "" {
		subName = pp.SubAttribute
	}
	if subName != "" {
		t.sub = t.def.Sub(subName)
		if t.sub == nil {
			return target{}, errorf(ErrInvalidPath, "%s has no sub-attribute %q",
				t.def.Name, subName)
		}
	}
	if t.filter != nil && !(t.def.MultiValued && t.def.Type == TypeComplex) {
		return target{}, errorf(ErrInvalidPath, "%s is not a multi-valued attribute",
			t.def.Name)
	}
	if t.def.Mutability == ReadOnly || (t.sub != nil && t.sub.Mutability == ReadOnly) {
		return target{}, errorf(ErrMutability, "%s is read-only", text)
	}
	return t, nil
}

func (p *patcher) extensionContainer(ext *Schema, create bool) document {
	if obj, ok := p.doc[ext.ID].(map[string]any); ok {
		return obj
	}
	obj := document{}
	if create {
		p.doc[ext.ID] = obj
	}
	return obj
}

// set applies add or replace of value at path.
func (p *patcher) set(opName, path string, value any) error {
	t, err := p.resolve(path, true)
	if err != nil {
		return err
	}
	def, name := t.def, t.def.Name

	switch {
	case t.filter != nil:
		return p.setFiltered(opName, t, value)

	case t.sub != nil:
		v, err := normalizeValue(t.sub, value, true, p.notes)
		if err != nil {
			return err
		}
		if !def.MultiValued {
			obj, _ := t.container[name].(map[string]any)
			if obj == nil {
				obj = document{}
			}
			setOrDelete(obj, t.sub.Name, v)
			setOrDelete(t.container, name, nonEmpty(obj))
			return nil
		}
		list := asList(t.container[name])
		if len(list) == 0 {
			if v != nil {
				t.container[name] = []any{document{t.sub.Name: v}}
			}
			return nil
		}
		for _, item := range list {
			if obj, ok := item.(map[string]any); ok {
				setOrDelete(obj, t.sub.Name, v)
			}
		}
		return nil

	case def.MultiValued:
		v, err := normalizeValue(def, value, true, p.notes)
		if err != nil {
			return err
		}
		incoming := asList(v)
		if opName == OpReplace {
			setOrDelete(t.container, name, v)
			return p.enforcePrimary(t, incoming)
		}
		merged := asList(t.container[name])
		stored := make([]any, 0, len(incoming))
		for _, item := range incoming {
			var kept any
			merged, kept = mergeValue(merged, item)
			stored = append(stored, kept)
		}
		setOrDelete(t.container, name, nonEmptyList(merged))
		return p.enforcePrimary(t, stored)

	case def.Type == TypeComplex:
		v, err := normalizeValue(def, value, true, p.notes)
		if err != nil {
			return err
		}
		incoming, _ := v.(map[string]any)
		obj, _ := t.container[name].(map[string]any)
		if obj == nil {
			obj = document{}
		}
		// RFC 7644 §3.5.2.1 and §3.5.2.3: sub-attributes given replace
		// their values, the others are left as they are.
		for k, sv := range incoming {
			obj[k] = sv
		}
		setOrDelete(t.container, name, nonEmpty(obj))
		return nil

	default:
		v, err := normalizeValue(def, value, true, p.notes)
		if err != nil {
			return err
		}
		setOrDelete(t.container, name, v)
		return nil
	}
}

// setFiltered applies add or replace to the values a filter selects, as in
// emails[type eq "work"].value. When nothing matches and the filter only
// pins sub-attributes with "eq", a new value carrying them is added: Entra ID
// sets a user's first work email this way.
func (p *patcher) setFiltered(opName string, t target, value any) error {
	name := t.def.Name
	list := asList(t.container[name])

	var matched []any
	for _, item := range list {
		if obj, ok := item.(map[string]any); ok && Matches(t.filter, obj) {
			matched = append(matched, obj)
		}
	}

	if len(matched) == 0 {
		seed, ok := equalities(t.filter)
		if !ok {
			return errorf(ErrNoTarget, "no value of %s matches %s", name, t.filter)
		}
		p.notes.Note(RuleEmailsValueFilter)
		obj := document{}
		for k, v := range seed {
			sub := t.def.Sub(k)
			if sub == nil {
				return errorf(ErrInvalidPath, "%s has no sub-attribute %q", name, k)
			}
			nv, err := normalizeValue(sub, v, true, p.notes)
			if err != nil {
				return err
			}
			setOrDelete(obj, sub.Name, nv)
		}
		list = append(list, obj)
		matched = []any{obj}
	}

	for _, item := range matched {
		obj := item.(map[string]any)
		if t.sub != nil {
			v, err := normalizeValue(t.sub, value, true, p.notes)
			if err != nil {
				return err
			}
			setOrDelete(obj, t.sub.Name, v)
			continue
		}
		v, err := normalizeSingle(t.def, value, true, p.notes)
		if err != nil {
			return err
		}
		incoming, ok := v.(map[string]any)
		if !ok {
			return errorf(ErrInvalidValue, "%s needs an object value", name)
		}
		for k, sv := range incoming {
			obj[k] = sv
		}
	}

	setOrDelete(t.container, name, nonEmptyList(list))
	return p.enforcePrimary(t, matched)
}

// equalities returns the sub-attribute values a filter of "eq" comparisons
// joined by "and" pins down.
func equalities(f Filter) (map[string]any, bool) {
	switch f := f.(type) {
	case *Comparison:
		if f.Operator != OpEqual || f.Path.SubAttribute != "" || f.Path.Schema != "" {
			return nil, false
		}
		switch f.Value.Kind {
		case ValueString:
			return map[string]any{f.Path.Attribute: f.Value.String}, true
		case ValueBool:
			return map[string]any{f.Path.Attribute: f.Value.Bool}, true
		}
	case *Logical:
		if f.Operator != And {
			return nil, false
		}
		left, ok := equalities(f.Left)
		if !ok {
			return nil, false
		}
		right, ok := equalities(f.Right)
		if !ok {
			return nil, false
		}
		for k, v := range right {
			left[k] = v
		}
		return left, true
	}
	return nil, false
}

// remove applies a remove operation. Entra ID without the
// aadOptscim062020 flag removes values of a multi-valued attribute by
// listing them in value instead of using a filter.
func (p *patcher) remove(path string, value any) error {
	t, err := p.resolve(path, false)
	if err != nil {
		return err
	}
	def, name := t.def, t.def.Name
	if def.Required && t.sub == nil && t.filter == nil {
		return errorf(ErrMutability, "%s is required and cannot be removed", name)
	}

	switch {
	case t.filter != nil:
		var kept []any
		for _, item := range asList(t.container[name]) {
			obj, ok := item.(map[string]any)
			if !ok || !Matches(t.filter, obj) {
				kept = append(kept, item)
				continue
			}
			if t.sub != nil {
				delete(obj, t.sub.Name)
				if len(obj) > 0 {
					kept = append(kept, obj)
				}
			}
		}
		setOrDelete(t.container, name, nonEmptyList(kept))

	case t.sub != nil:
		if !def.MultiValued {
			if obj, ok := t.container[name].(map[string]any); ok {
				delete(obj, t.sub.Name)
				setOrDelete(t.container, name, nonEmpty(obj))
			}
			return nil
		}
		var kept []any
		for _, item := range asList(t.container[name]) {
			if obj, ok := item.(map[string]any); ok {
				delete(obj, t.sub.Name)
				if len(obj) > 0 {
					kept = append(kept, obj)
				}
			}
		}
		setOrDelete(t.container, name, nonEmptyList(kept))

	case def.MultiValued && value != nil:
		p.notes.Note(RuleRemoveWithValue)
		v, err := normalizeValue(def, value, true, p.notes)
		if err != nil {
			return err
		}
		var kept []any
		for _, item := range asList(t.container[name]) {
			if !containsValue(asList(v), item) {
				kept = append(kept, item)
			}
		}
		setOrDelete(t.container, name, nonEmptyList(kept))

	default:
		delete(t.container, name)
	}
	return nil
}

// enforcePrimary keeps at most one value of a multi-valued attribute
// primary (RFC 7643 §2.4): a value just set primary wins over the others.
func (p *patcher) enforcePrimary(t target, changed []any) error {
	if t.def.Sub("primary") == nil {
		return nil
	}
	var winner map[string]any
	for _, item := range changed {
		if obj, ok := item.(map[string]any); ok && obj["primary"] == true {
			winner = obj
			break
		}
	}

	list := asList(t.container[t.def.Name])
	if winner == nil {
		for _, item := range list {
			if obj, ok := item.(map[string]any); ok && obj["primary"] == true {
				winner = obj
				break
			}
		}
	}
	for _, item := range list {
		obj, ok := item.(map[string]any)
		if !ok {
			continue
		}
		if obj["primary"] == true && !sameObject(obj, winner) {
			delete(obj, "primary")
		}
	}
	return nil
}

// sameObject reports whether a and b are the same map, not equal maps.
func sameObject(a, b map[string]any) bool {
	if a == nil || b == nil {
		return false
	}
	return reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}

// mergeValue adds item to list; a value equal in "value" and "type" to an
// existing one updates it instead of duplicating it. It also returns the
// value as stored.
func mergeValue(list []any, item any) ([]any, any) {
	obj, ok := item.(map[string]any)
	if !ok {
		return append(list, item), item
	}
	for _, existing := range list {
		e, ok := existing.(map[string]any)
		if ok && sameValue(e, obj) {
			for k, v := range obj {
				e[k] = v
			}
			return list, e
		}
	}
	return append(list, obj), obj
}

func sameValue(a, b map[string]any) bool {
	av, aok := a["value"].(string)
	bv, bok := b["value"].(string)
	if !aok || !bok || !strings.EqualFold(av, bv) {
		return false
	}
	at, _ := a["type"].(string)
	bt, _ := b["type"].(string)
	return strings.EqualFold(at, bt)
}

func containsValue(values []any, item any) bool {
	obj, ok := item.(map[string]any)
	if !ok {
		return false
	}
	iv, _ := obj["value"].(string)
	for _, v := range values {
		if o, ok := v.(map[string]any); ok {
			if ov, _ := o["value"].(string); ov != "" && strings.EqualFold(ov, iv) {
				return true
			}
		}
	}
	return false
}

func setOrDelete(obj map[string]any, key string, v any) {
	if v == nil {
		delete(obj, key)
		return
	}
	obj[key] = v
}

func nonEmpty(obj map[string]any) any {
	if len(obj) == 0 {
		return nil
	}
	return obj
}

func nonEmptyList(list []any) any {
	if len(list) == 0 {
		return nil
	}
	return list
}
