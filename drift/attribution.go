package drift

import (
	"bytes"
	"cmp"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
)

// FieldManager is the field manager kubedrift applies and dry-runs with,
// unless it applies as the manifest's own applier (see ApplyPlan.Manager).
const FieldManager = "kubedrift"

// Attribute fills in the Manager, Operation, Time and Conflict of each
// change from managedFields, the live object's own (taken before it was
// stripped), for a reconcile that applies as the field manager applier
// (kubedrift, or the manifest's own applier such as helm). It first clears
// what an earlier call filled in.
//
// The owner of a change is the manager whose fields contain its path; or
// that owns a list or map the server treats as one value (args, a selector)
// that contains it; or, for a field absent from live (someone removed it, or
// it was never there), the manager that owns the nearest enclosing field
// (see owns for how an atomic list is told from an empty struct).
// An element of a keyed list is found by the key fields managedFields
// records for it (k:{"containerPort":80,"protocol":"TCP"}), which the path
// names; an element matched by index is found only through the owner of
// its whole list. Entries are read as they are, whatever their apiVersion:
// the fields of a kind rarely move between versions.
//
// Entries for the status subresource count for metadata only: the rest of
// what they own is status, which is never compared, while the API server
// does let a status write change annotations (kube-controller-manager
// records deployment.kubernetes.io/revision in its status entry). Entries
// whose fields cannot be read are skipped.
//
// When several managers own a field, which happens when they wrote the same
// value, the owner is, in this order of preference: not kubedrift (since
// kubedrift owning a drifted field means someone else changed it after),
// an Update rather than an Apply (an apply that shares a field agreed with
// its value; an update took it by changing it), the latest write, then the
// first name.
//
// Conflict is set when the desired state sets the field and its owner is a
// manager other than applier; not for an enclosing field's owner, since a
// server-side apply only conflicts over fields another manager holds.
func Attribute(changes []Change, managedFields []metav1.ManagedFieldsEntry, applier string) {
	owners := readOwners(managedFields)
	for i := range changes {
		c := &changes[i]
		c.Manager, c.Operation, c.Time, c.Conflict = "", "", time.Time{}, false
		segs := c.segs
		if segs == nil {
			var err error
			if segs, err = parsePath(c.Path); err != nil {
				continue
			}
		}
		if len(segs) == 0 {
			continue
		}
		o, direct := ownerOf(owners, segs, c.Live == nil)
		if o == nil {
			continue
		}
		c.Manager, c.Operation, c.Time = o.manager, o.operation, o.time
		c.Conflict = direct && c.Want != nil && o.manager != applier
	}
}

// owner is one managedFields entry, its fields read.
type owner struct {
	manager, operation string
	time               time.Time
	fields             *fieldpath.Set
}

// readOwners reads the fields of every entry that may own a field of a
// manifest.
func readOwners(entries []metav1.ManagedFieldsEntry) []owner {
	var owners []owner
	for _, e := range entries {
		if e.FieldsV1 == nil || (e.FieldsType != "" && e.FieldsType != "FieldsV1") {
			continue
		}
		set := &fieldpath.Set{}
		if err := set.FromJSON(bytes.NewReader(e.FieldsV1.GetRawBytes())); err != nil {
			continue
		}
		if e.Subresource == "status" {
			set = set.FilterIncludeMatches(fieldpath.MakePrefixMatcherOrDie("metadata"))
		}
		o := owner{manager: e.Manager, operation: string(e.Operation), fields: set}
		if e.Time != nil {
			o.time = e.Time.Time
		}
		owners = append(owners, o)
	}
	return owners
}

// ownerOf returns the preferred owner of the field at segs, and whether it
// owns the field itself (or a value containing it). enclosing says the
// field is not in live: when no manager owns it, ownerOf returns the
// preferred owner of the deepest enclosing field anyone owns, with direct
// false.
func ownerOf(owners []owner, segs []pathSeg, enclosing bool) (*owner, bool) {
	var best *owner
	direct, bestDepth := false, 0
	for i := range owners {
		own, depth := owns(owners[i].fields, segs, enclosing)
		switch {
		case own:
			if !direct || preferred(&owners[i], best) {
				best, direct = &owners[i], true
			}
		case direct || !enclosing || depth == 0 || depth < bestDepth:
			// Not a candidate, or a worse one than best.
		case depth > bestDepth || preferred(&owners[i], best):
			best, bestDepth = &owners[i], depth
		}
	}
	return best, direct
}

// preferred reports whether a is to be named the owner rather than b, of
// two managers that own the same field.
func preferred(a, b *owner) bool {
	if b == nil {
		return true
	}
	return cmp.Or(
		-boolCompare(a.manager != FieldManager, b.manager != FieldManager),
		-boolCompare(a.operation == string(metav1.ManagedFieldsOperationUpdate), b.operation == string(metav1.ManagedFieldsOperationUpdate)),
		-a.time.Compare(b.time),
		cmp.Compare(a.manager, b.manager),
	) < 0
}

// boolCompare orders false before true.
func boolCompare(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// owns reports whether set holds the field at segs: the field itself, a
// field inside it, or a value the server keeps whole that contains it.
// depth is the number of segments of the deepest enclosing field set holds
// as a member, such as a labels map (".": {}), or 0. absent says the field
// is not in live.
//
// managedFields records a value kept whole (an atomic list such as args or
// tolerations, an atomic map such as a selector) as a member with nothing
// under it, f:args: {}; but it records an empty struct the same way,
// f:resources: {}, and adding resources.limits to that takes nothing from
// its owner. The two are told apart by what is known: a field present in
// live under such a member is inside a value kept whole (an owned struct
// would list it), and so is an element of a list (the API server drops
// empty lists of built-in kinds); a field absent from live under a field
// name is taken to be inside an empty struct, so its owner encloses it.
func owns(set *fieldpath.Set, segs []pathSeg, absent bool) (own bool, depth int) {
	node := set
	for i, seg := range segs {
		pe, ok := elementFor(node, seg)
		if !ok {
			return false, depth
		}
		child, hasChild := node.Children.Get(pe)
		hasChild = hasChild && !child.Empty()
		member := node.Members.Has(pe)
		if i == len(segs)-1 {
			return member || hasChild, depth
		}
		if member {
			depth = i + 1
			if !hasChild {
				return !absent || segs[i+1].kind != segField, depth
			}
		}
		if !hasChild {
			return false, depth
		}
		node = child
	}
	return false, depth
}

// elementFor returns the path element of set's top level that seg selects.
// A keyed element is found by comparing the key fields managedFields
// records with those in seg, so that a path matches whatever key the
// server's schema uses, as long as seg has its fields.
func elementFor(set *fieldpath.Set, seg pathSeg) (fieldpath.PathElement, bool) {
	var pe fieldpath.PathElement
	switch seg.kind {
	case segField:
		pe = fieldpath.FieldNameElement(seg.field)
	case segIndex:
		pe = fieldpath.IndexElement(seg.index)
	case segKey:
		found := false
		match := func(e fieldpath.PathElement) {
			if !found && keyMatches(e, seg.keys) {
				pe, found = e, true
			}
		}
		set.Members.Iterate(match)
		set.Children.Iterate(match)
		return pe, found
	}
	if _, ok := set.Children.Get(pe); ok || set.Members.Has(pe) {
		return pe, true
	}
	return pe, false
}

// keyMatches reports whether e is a keyed element whose every key field is
// among keys with the same value.
func keyMatches(e fieldpath.PathElement, keys []keyValue) bool {
	if e.Key == nil || len(*e.Key) == 0 {
		return false
	}
	for _, f := range *e.Key {
		found := false
		for _, kv := range keys {
			if kv.name == f.Name && kv.text == keyText(f.Value.Unstructured()) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
