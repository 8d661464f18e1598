package ignore

import (
	"bytes"
	"maps"
	"reflect"
	"slices"
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
	smdvalue "sigs.k8s.io/structured-merge-diff/v6/value"
)

// Apply removes, from live and want (copies owned by the caller, either may
// be nil), every field that a rule matching obj ignores, and returns the JSON
// pointers it removed (for reports: "ignored: /spec/replicas"). managedFields
// are the live object's, taken before it was stripped; a rule that ignores a
// field manager removes the fields that manager owns in live, from both live
// and want.
//
// The pointers are sorted, name list elements by their index before
// removal, and leave out a field whose parent is itself listed. An index may
// differ between live and want, and then both are listed.
func (r *Rules) Apply(obj Object, live, want *unstructured.Unstructured, managedFields []metav1.ManagedFieldsEntry) []string {
	if r == nil {
		return nil
	}
	var paths [][]string
	var managers []string
	for _, rule := range r.Matching(obj) {
		paths = append(paths, rule.paths...)
		managers = append(managers, rule.managers...)
	}
	if len(paths) == 0 && len(managers) == 0 {
		return nil
	}
	owned := ownedFields(managedFields, managers)
	removed := map[string]bool{}
	for _, obj := range []*unstructured.Unstructured{live, want} {
		if obj == nil || obj.Object == nil {
			continue
		}
		// Fields are first marked and only then deleted, so that a list
		// element removed by one rule does not shift the indexes the next
		// rule sees.
		for _, tokens := range paths {
			markPointer(obj.Object, tokens, "", removed)
		}
		if owned != nil {
			markOwned(obj.Object, owned, "", nil, removed)
		}
		sweep(obj.Object)
	}
	return report(removed)
}

// Take takes the fields at paths (reference tokens, as Rule.Paths gives
// them; one that matches nothing is skipped) out of live and want, which are
// the caller's own, and returns, sorted, the JSON pointers of the fields the
// two held differently: the drift they would otherwise have been. A map or
// list left empty goes too, as with Apply.
func Take(live, want *unstructured.Unstructured, paths [][]string) []string {
	differ := map[string]bool{}
	for _, tokens := range paths {
		if len(tokens) == 0 {
			continue
		}
		inLive, inWant := map[string]any{}, map[string]any{}
		matching(live.Object, tokens, "", inLive)
		matching(want.Object, tokens, "", inWant)
		for at, lv := range inLive {
			if wv, ok := inWant[at]; !ok || !reflect.DeepEqual(lv, wv) {
				differ[at] = true
			}
		}
		for at := range inWant {
			if _, ok := inLive[at]; !ok {
				differ[at] = true
			}
		}
		for _, obj := range []*unstructured.Unstructured{live, want} {
			markPointer(obj.Object, tokens, "", map[string]bool{})
			sweep(obj.Object)
		}
	}
	return slices.Sorted(maps.Keys(differ))
}

// matching records in found, by its JSON pointer, each value under v (whose
// pointer is at) that the reference tokens name.
func matching(v any, tokens []string, at string, found map[string]any) {
	for _, s := range children(v, tokens[0], at) {
		if len(tokens) == 1 {
			found[s.at] = s.get()
		} else {
			matching(s.get(), tokens[1:], s.at, found)
		}
	}
}

// ownedFields returns the union of the fields that the managers matching one
// of the globs own through an Update or an Apply, or nil for none.
func ownedFields(entries []metav1.ManagedFieldsEntry, managers []string) *fieldpath.Set {
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
			!slices.ContainsFunc(managers, func(g string) bool { return globMatches(&g, e.Manager) }) {
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

// removedMark takes the place of a value to be removed until sweep
// deletes it.
type removedMark struct{}

func isMarked(v any) bool {
	_, ok := v.(removedMark)
	return ok
}

// slot is a place in a map or a list that holds a value.
type slot struct {
	m   map[string]any
	key string
	l   []any
	i   int
	at  string // JSON pointer
}

func (s slot) get() any {
	if s.m != nil {
		return s.m[s.key]
	}
	return s.l[s.i]
}

func (s slot) mark(removed map[string]bool) {
	if s.m != nil {
		s.m[s.key] = removedMark{}
	} else {
		s.l[s.i] = removedMark{}
	}
	removed[s.at] = true
}

// children returns the slots of container v that the reference token tok
// names, with "*" naming them all. at is v's pointer.
func children(v any, tok, at string) []slot {
	var out []slot
	switch c := v.(type) {
	case map[string]any:
		if tok != "*" {
			if child, ok := c[tok]; ok && !isMarked(child) {
				out = append(out, slot{m: c, key: tok, at: at + "/" + pointerEscaper.Replace(tok)})
			}
			return out
		}
		for k, child := range c {
			if !isMarked(child) {
				out = append(out, slot{m: c, key: k, at: at + "/" + pointerEscaper.Replace(k)})
			}
		}
	case []any:
		for i, child := range c {
			if isMarked(child) || (tok != "*" && tok != strconv.Itoa(i)) {
				continue
			}
			out = append(out, slot{l: c, i: i, at: at + "/" + strconv.Itoa(i)})
		}
	}
	return out
}

// markPointer marks what the pointer tokens name under the container v.
func markPointer(v any, tokens []string, at string, removed map[string]bool) {
	for _, s := range children(v, tokens[0], at) {
		if len(tokens) == 1 {
			s.mark(removed)
		} else {
			markPointer(s.get(), tokens[1:], s.at, removed)
		}
	}
}

// markOwned marks the fields of set under the container v. keys are the
// merge keys of the list element v is: they stay as long as any field of the
// element does, because an element without its key would be a different
// element, and one that another manager still has fields in.
func markOwned(v any, set *fieldpath.Set, at string, keys []string, removed map[string]bool) {
	set.Members.Iterate(func(pe fieldpath.PathElement) {
		if _, ok := set.Children.Get(pe); ok {
			return // below, after its children
		}
		if pe.FieldName != nil && slices.Contains(keys, *pe.FieldName) {
			return
		}
		for _, s := range locate(v, pe, at) {
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
		for _, s := range locate(v, pe, at) {
			switch s.get().(type) {
			case map[string]any, []any:
				markOwned(s.get(), child, s.at, childKeys, removed)
				if owner && pe.Key != nil && onlyKeysLeft(s.get(), childKeys) {
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

// locate returns the slots of container v that the fieldsV1 path element pe
// names: a map key (f:), the list elements whose merge keys (k:) or value
// (v:) match, or a list index (i:).
func locate(v any, pe fieldpath.PathElement, at string) []slot {
	switch {
	case pe.FieldName != nil:
		if _, ok := v.(map[string]any); ok {
			return children(v, *pe.FieldName, at)
		}
	case pe.Index != nil:
		if _, ok := v.([]any); ok {
			return children(v, strconv.Itoa(*pe.Index), at)
		}
	case pe.Key != nil, pe.Value != nil:
		if _, ok := v.([]any); !ok {
			return nil
		}
		var out []slot
		for _, s := range children(v, "*", at) {
			if (pe.Key != nil && keyMatches(s.get(), *pe.Key)) || (pe.Value != nil && valueEquals(s.get(), *pe.Value)) {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// keyMatches reports whether the list element elem has the merge key key.
func keyMatches(elem any, key smdvalue.FieldList) bool {
	m, ok := elem.(map[string]any)
	if !ok {
		return false
	}
	for _, f := range key {
		v, ok := m[f.Name]
		if !ok || !valueEquals(v, f.Value) {
			return false
		}
	}
	return true
}

// valueEquals compares a scalar of an unstructured object with one
// from fieldsV1, which is all that merge keys and set elements hold. It takes
// 80 and 80.0 as equal, since a manifest read from YAML may hold either.
func valueEquals(v any, want smdvalue.Value) bool {
	switch v.(type) {
	case nil, bool, string, int, int32, int64, float32, float64:
		return smdvalue.Equals(smdvalue.NewValueInterface(v), want)
	}
	// A map or list, whose values could hold marks the value package
	// cannot read, or a mark itself.
	return false
}

// onlyKeysLeft reports whether the map elem holds nothing but its merge keys,
// once marked fields are gone.
func onlyKeysLeft(elem any, keys []string) bool {
	m, ok := elem.(map[string]any)
	if !ok {
		return false
	}
	for k, v := range m {
		if !isMarked(v) && !slices.Contains(keys, k) {
			return false
		}
	}
	return true
}

// sweep deletes the marked values under v, and the maps and lists
// that deleting them left empty. It returns v's new value, and whether v
// itself was left empty and should go.
func sweep(v any) (any, bool) {
	lost := false
	switch c := v.(type) {
	case map[string]any:
		for k, child := range c {
			if isMarked(child) {
				delete(c, k)
				lost = true
				continue
			}
			child, emptied := sweep(child)
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
			if isMarked(child) {
				lost = true
				continue
			}
			child, emptied := sweep(child)
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

// report returns the removed pointers sorted, without those whose
// parent was removed too.
func report(removed map[string]bool) []string {
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
