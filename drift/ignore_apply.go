package drift

import (
	"bytes"
	"slices"
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
	smdvalue "sigs.k8s.io/structured-merge-diff/v6/value"
)

// Apply removes, from live and want (copies owned by the caller, either may
// be nil), every field that a rule matching ref ignores, and returns the JSON
// pointers it removed (for reports: "ignored: /spec/replicas"). managedFields
// are the live object's, taken before it was stripped; a rule that ignores a
// field manager removes the fields that manager owns in live, from both live
// and want.
//
// The pointers are sorted, name list elements by their index before
// removal, and leave out a field whose parent is itself listed. An index may
// differ between live and want, and then both are listed.
func (r *IgnoreRules) Apply(ref Ref, live, want *unstructured.Unstructured, managedFields []metav1.ManagedFieldsEntry) []string {
	if r == nil {
		return nil
	}
	var paths [][]string
	var managers []string
	for i := range r.rules {
		if r.rules[i].matches(ref) {
			paths = append(paths, r.rules[i].paths...)
			managers = append(managers, r.rules[i].managers...)
		}
	}
	if len(paths) == 0 && len(managers) == 0 {
		return nil
	}
	owned := ignoreOwnedFields(managedFields, managers)
	removed := map[string]bool{}
	for _, obj := range []*unstructured.Unstructured{live, want} {
		if obj == nil || obj.Object == nil {
			continue
		}
		// Fields are first marked and only then deleted, so that a list
		// element removed by one rule does not shift the indexes the next
		// rule sees.
		for _, tokens := range paths {
			ignoreMarkPointer(obj.Object, tokens, "", removed)
		}
		if owned != nil {
			ignoreMarkOwned(obj.Object, owned, "", nil, removed)
		}
		ignoreSweep(obj.Object)
	}
	return ignoreReport(removed)
}

// ignoreOwnedFields returns the union of the fields that the managers matching one
// of the globs own through an Update or an Apply, or nil for none.
func ignoreOwnedFields(entries []metav1.ManagedFieldsEntry, managers []string) *fieldpath.Set {
	if len(managers) == 0 {
		return nil
	}
	owned := &fieldpath.Set{}
	for _, e := range entries {
		// Status entries count too: a controller writes metadata through
		// them (the deployment controller's revision annotation is owned
		// by its status entry), and a rule for that controller means
		// those fields. What they own of status is never compared anyway.
		if e.FieldsV1 == nil ||
			(e.Operation != metav1.ManagedFieldsOperationApply && e.Operation != metav1.ManagedFieldsOperationUpdate) ||
			(e.FieldsType != "" && e.FieldsType != "FieldsV1") ||
			!slices.ContainsFunc(managers, func(g string) bool { return ignoreGlobMatches(&g, e.Manager) }) {
			continue
		}
		var set fieldpath.Set
		if err := set.FromJSON(bytes.NewReader(e.FieldsV1.GetRawBytes())); err != nil {
			// The API server wrote it, so this does not happen; an entry
			// that cannot be read owns nothing we can name.
			continue
		}
		owned = owned.Union(&set)
	}
	if owned.Empty() {
		return nil
	}
	return owned
}

// ignoredMark takes the place of a value to be removed until ignoreSweep
// deletes it.
type ignoredMark struct{}

func ignoreIsMarked(v any) bool {
	_, ok := v.(ignoredMark)
	return ok
}

// ignoreSlot is a place in a map or a list that holds a value.
type ignoreSlot struct {
	m   map[string]any
	key string
	l   []any
	i   int
	at  string // JSON pointer
}

func (s ignoreSlot) get() any {
	if s.m != nil {
		return s.m[s.key]
	}
	return s.l[s.i]
}

func (s ignoreSlot) mark(removed map[string]bool) {
	if s.m != nil {
		s.m[s.key] = ignoredMark{}
	} else {
		s.l[s.i] = ignoredMark{}
	}
	removed[s.at] = true
}

// ignoreChildren returns the slots of container v that the reference token tok
// names, with "*" naming them all. at is v's pointer.
func ignoreChildren(v any, tok, at string) []ignoreSlot {
	var out []ignoreSlot
	switch c := v.(type) {
	case map[string]any:
		if tok != "*" {
			if child, ok := c[tok]; ok && !ignoreIsMarked(child) {
				out = append(out, ignoreSlot{m: c, key: tok, at: at + "/" + escapeIgnoreToken(tok)})
			}
			return out
		}
		for k, child := range c {
			if !ignoreIsMarked(child) {
				out = append(out, ignoreSlot{m: c, key: k, at: at + "/" + escapeIgnoreToken(k)})
			}
		}
	case []any:
		for i, child := range c {
			if ignoreIsMarked(child) || (tok != "*" && tok != strconv.Itoa(i)) {
				continue
			}
			out = append(out, ignoreSlot{l: c, i: i, at: at + "/" + strconv.Itoa(i)})
		}
	}
	return out
}

// ignoreMarkPointer marks what the pointer tokens name under the container v.
func ignoreMarkPointer(v any, tokens []string, at string, removed map[string]bool) {
	for _, s := range ignoreChildren(v, tokens[0], at) {
		if len(tokens) == 1 {
			s.mark(removed)
		} else {
			ignoreMarkPointer(s.get(), tokens[1:], s.at, removed)
		}
	}
}

// ignoreMarkOwned marks the fields of set under the container v. keys are the
// merge keys of the list element v is: they stay as long as any field of the
// element does, because an element without its key would be a different
// element, and one that another manager still has fields in.
func ignoreMarkOwned(v any, set *fieldpath.Set, at string, keys []string, removed map[string]bool) {
	set.Members.Iterate(func(pe fieldpath.PathElement) {
		if _, ok := set.Children.Get(pe); ok {
			return // below, after its children
		}
		if pe.FieldName != nil && slices.Contains(keys, *pe.FieldName) {
			return
		}
		for _, s := range ignoreLocate(v, pe, at) {
			s.mark(removed)
		}
	})
	set.Children.Iterate(func(pe fieldpath.PathElement) {
		child, _ := set.Children.Get(pe)
		owner := set.Members.Has(pe) // the manager owns the field itself ("."), not only its children
		var childKeys []string
		if pe.Key != nil {
			for _, f := range *pe.Key {
				childKeys = append(childKeys, f.Name)
			}
		}
		for _, s := range ignoreLocate(v, pe, at) {
			switch s.get().(type) {
			case map[string]any, []any:
				ignoreMarkOwned(s.get(), child, s.at, childKeys, removed)
				if owner && pe.Key != nil && ignoreOnlyKeysLeft(s.get(), childKeys) {
					s.mark(removed)
				}
			default:
				if owner {
					s.mark(removed)
				}
			}
		}
	})
}

// ignoreLocate returns the slots of container v that the fieldsV1 path element pe
// names: a map key (f:), the list elements whose merge keys (k:) or value
// (v:) match, or a list index (i:).
func ignoreLocate(v any, pe fieldpath.PathElement, at string) []ignoreSlot {
	switch {
	case pe.FieldName != nil:
		if _, ok := v.(map[string]any); ok {
			return ignoreChildren(v, *pe.FieldName, at)
		}
	case pe.Index != nil:
		if _, ok := v.([]any); ok {
			return ignoreChildren(v, strconv.Itoa(*pe.Index), at)
		}
	case pe.Key != nil, pe.Value != nil:
		if _, ok := v.([]any); !ok {
			return nil
		}
		var out []ignoreSlot
		for _, s := range ignoreChildren(v, "*", at) {
			if (pe.Key != nil && ignoreKeyMatches(s.get(), *pe.Key)) || (pe.Value != nil && ignoreValueEquals(s.get(), *pe.Value)) {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// ignoreKeyMatches reports whether the list element elem has the merge key key.
func ignoreKeyMatches(elem any, key smdvalue.FieldList) bool {
	m, ok := elem.(map[string]any)
	if !ok {
		return false
	}
	for _, f := range key {
		v, ok := m[f.Name]
		if !ok || !ignoreValueEquals(v, f.Value) {
			return false
		}
	}
	return true
}

// ignoreValueEquals compares a scalar of an unstructured object with one
// from fieldsV1, which is all that merge keys and set elements hold. It takes
// 80 and 80.0 as equal, since a manifest read from YAML may hold either.
func ignoreValueEquals(v any, want smdvalue.Value) bool {
	switch v.(type) {
	case nil, bool, string, int, int32, int64, float32, float64:
		return smdvalue.Equals(smdvalue.NewValueInterface(v), want)
	}
	// A map or list, whose values could hold marks the value package
	// cannot read, or a mark itself.
	return false
}

// ignoreOnlyKeysLeft reports whether the map elem holds nothing but its merge keys,
// once marked fields are gone.
func ignoreOnlyKeysLeft(elem any, keys []string) bool {
	m, ok := elem.(map[string]any)
	if !ok {
		return false
	}
	for k, v := range m {
		if !ignoreIsMarked(v) && !slices.Contains(keys, k) {
			return false
		}
	}
	return true
}

// ignoreSweep deletes the marked values under v, and the maps and lists
// that deleting them left empty. It returns v's new value, and whether v
// itself was left empty and should go.
func ignoreSweep(v any) (any, bool) {
	lost := false
	switch c := v.(type) {
	case map[string]any:
		for k, child := range c {
			if ignoreIsMarked(child) {
				delete(c, k)
				lost = true
				continue
			}
			child, emptied := ignoreSweep(child)
			if emptied {
				delete(c, k)
				lost = true
				continue
			}
			c[k] = child
		}
		return c, lost && len(c) == 0
	case []any:
		kept := c[:0]
		for _, child := range c {
			if ignoreIsMarked(child) {
				lost = true
				continue
			}
			child, emptied := ignoreSweep(child)
			if emptied {
				lost = true
				continue
			}
			kept = append(kept, child)
		}
		clear(c[len(kept):])
		return kept, lost && len(kept) == 0
	}
	return v, false
}

// ignoreReport returns the removed pointers sorted, without those whose
// parent was removed too.
func ignoreReport(removed map[string]bool) []string {
	var out []string
	for p := range removed {
		covered := false
		for i := 1; i < len(p) && !covered; i++ {
			covered = p[i] == '/' && removed[p[:i]]
		}
		if !covered {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}
