package drift

import (
	"strconv"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/duration"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/kubedrift/kubedrift/drift/ignore"
)

// ForeignField is a field of a live object that its manifest does not
// mention and that a manager other than the manifest's applier set: a label
// added with kubectl label, a CronJob suspended with kubectl patch, an
// annotation a script wrote. Fields the cluster's own controllers write
// (kube-controller-manager, kube-scheduler, kubelet, ...) are not foreign.
type ForeignField struct {
	// Path and Pointer name the field as in Change. A field inside a map or
	// list element the manifest lacks altogether is named by the outermost
	// value it lacks: a whole added container, not each of its fields.
	Path, Pointer string
	// Value is the live value, masked for a Secret.
	Value any
	// Manager, Operation and Time tell who set the field and when it last
	// wrote, as in Change.
	Manager, Operation string
	Time               time.Time
}

// Describe formats the finding for a one-line report, with the age of the
// manager's last write measured from now:
//
//	spec.suspend: true (set by kubectl-patch, 3m ago; not in the manifest)
func (f ForeignField) Describe(now time.Time) string {
	who := "set by " + f.Manager
	if !f.Time.IsZero() {
		who += ", " + duration.HumanDuration(max(now.Sub(f.Time), 0)) + " ago"
	}
	return f.Path + ": " + describeValue(f.Value) + " (" + who + "; not in the manifest)"
}

// foreignFields returns the foreign fields of a live object whose manifest
// is desired, whose managedFields are managedFields and which applier
// applies (see applier). shown is live as the result shows it, stripped, masked and without ignored fields: a field
// missing from it is not reported, and values are read from it.
//
// The manifest's own history is never foreign: neither applier's fields,
// nor kubedrift's, nor those of the manager that owns most of what the
// manifest sets, nor those of kubectl's and Helm's appliers
// (manifestAppliers), which record every field of an object they create,
// defaults included, as theirs. Neither is the bookkeeping
// appliers add: kubectl's last-applied annotation and Helm's release marks.
func foreignFields(desired *unstructured.Unstructured, managedFields []metav1.ManagedFieldsEntry, shown *unstructured.Unstructured, applier string) []ForeignField {
	if isSecret(desired) {
		// What the manifest writes as stringData is stored as data.
		desired = desired.DeepCopy()
		foldStringData(desired)
	}
	owners := readOwners(managedFields)
	creator, most := "", 0
	for _, o := range owners {
		n := 0
		o.fields.Leaves().Iterate(func(p fieldpath.Path) {
			if _, uncovered := uncoveredPrefix(p, desired.Object); !uncovered {
				n++
			}
		})
		if n > most {
			creator, most = o.manager, n
		}
	}

	var found []ForeignField
	seen := map[string]int{}
	for i := range owners {
		o := &owners[i]
		if o.manager == applier || o.manager == FieldManager || o.manager == creator || manifestAppliers[o.manager] || isClusterController(o.manager) {
			continue
		}
		o.fields.Leaves().Iterate(func(p fieldpath.Path) {
			segs, uncovered := uncoveredPrefix(p, desired.Object)
			if !uncovered || isBookkeeping(segs) {
				return
			}
			value, tokens, ok := valueAt(shown.Object, segs)
			if !ok {
				return
			}
			f := ForeignField{
				Path: formatPath(segs), Pointer: ignore.FormatPointer(tokens), Value: copyValue(value),
				Manager: o.manager, Operation: o.operation, Time: o.time,
			}
			if j, dup := seen[f.Path]; dup {
				if o.time.After(found[j].Time) {
					found[j] = f
				}
				return
			}
			seen[f.Path] = len(found)
			found = append(found, f)
		})
	}
	return found
}

// manifestAppliers are the field managers that only ever write a manifest
// whole: what they own beyond the manifest are the defaults of the moment
// they created the object (they record every field they wrote), never a
// foreign choice. They stay so after a reconcile by kubedrift makes
// kubedrift the manager that owns most of the manifest.
var manifestAppliers = map[string]bool{
	"kubectl-client-side-apply": true,
	"kubectl-create":            true,
	"kubectl":                   true,
	"helm":                      true,
}

// isClusterController reports whether manager is one of the cluster's own
// components, whose writes (defaults, revisions, aggregated rules) are
// never foreign.
func isClusterController(manager string) bool {
	switch manager {
	case "kube-controller-manager", "kube-scheduler", "kubelet", "kube-apiserver", "clusterrole-aggregation-controller":
		return true
	}
	return false
}

// isBookkeeping reports whether segs names an annotation or label that an
// applier adds beside the manifest: kubectl's last-applied-configuration,
// Helm's managed-by label and release annotations (see withBookkeeping).
func isBookkeeping(segs []pathSeg) bool {
	if len(segs) != 3 || segs[0].field != "metadata" || segs[2].kind != segField {
		return false
	}
	switch segs[1].field + "/" + segs[2].field {
	case "annotations/" + lastAppliedAnnotation, "labels/app.kubernetes.io/managed-by",
		"annotations/meta.helm.sh/release-name", "annotations/meta.helm.sh/release-namespace":
		return true
	}
	return false
}

// uncoveredPrefix follows the managedFields path p through desired, and
// returns false when desired sets p or a value kept whole around it.
// Otherwise it returns true and the path of the finding: p itself, or, when
// desired lacks a list element on the way, the path to that element, which
// the finding shows whole.
func uncoveredPrefix(p fieldpath.Path, desired map[string]any) ([]pathSeg, bool) {
	var cur any = desired
	uncovered := false
	segs := make([]pathSeg, 0, len(p))
	for _, pe := range p {
		switch {
		case pe.FieldName != nil:
			segs = append(segs, pathSeg{kind: segField, field: *pe.FieldName})
			if uncovered {
				continue
			}
			m, ok := cur.(map[string]any)
			if !ok {
				return nil, false
			}
			// A field the manifest sets to null is one it does not set:
			// server-side apply leaves it to whoever does.
			cur, ok = m[*pe.FieldName]
			uncovered = !ok || cur == nil
		case pe.Key != nil:
			seg := pathSeg{kind: segKey}
			for _, f := range *pe.Key {
				seg.keys = append(seg.keys, keyValue{name: f.Name, text: keyText(f.Value.Unstructured())})
			}
			segs = append(segs, seg)
			if uncovered {
				return segs, true
			}
			list, ok := cur.([]any)
			if !ok {
				return nil, false
			}
			i := indexWithKeys(list, seg.keys)
			if i < 0 {
				return segs, true
			}
			cur = list[i]
		case pe.Index != nil:
			segs = append(segs, pathSeg{kind: segIndex, index: *pe.Index})
			if uncovered {
				return segs, true
			}
			list, ok := cur.([]any)
			if !ok {
				return nil, false
			}
			if *pe.Index >= len(list) {
				return segs, true
			}
			cur = list[*pe.Index]
		default:
			// An element of a set of scalars (finalizers): the finding
			// names the whole list, as no path segment names a scalar
			// element.
			if uncovered {
				return segs, true
			}
			list, ok := cur.([]any)
			if !ok || pe.Value == nil {
				return nil, false
			}
			want := keyText((*pe.Value).Unstructured())
			for _, e := range list {
				if keyText(e) == want {
					return nil, false
				}
			}
			return segs, true
		}
	}
	return segs, uncovered
}

// indexWithKeys returns the index of the map element of list whose fields
// have the values of keys, or -1. A key field the element leaves out has
// its default, if it has a known one (a port's protocol is TCP).
func indexWithKeys(list []any, keys []keyValue) int {
	for i, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			continue
		}
		match := true
		for _, kv := range keys {
			v, ok := m[kv.name]
			if !ok {
				v, ok = keyDefaults[kv.name]
			}
			if !ok || keyText(v) != kv.text {
				match = false
				break
			}
		}
		if match {
			return i
		}
	}
	return -1
}

// keyDefaults are the defaults of fields that key list items: a port's
// protocol, TCP wherever a port is keyed by it (TestKeyDefaults checks
// this against the generated defaults).
var keyDefaults = map[string]any{"protocol": "TCP"}

// valueAt returns the value at segs in obj, with the JSON pointer tokens
// that reach it.
func valueAt(obj map[string]any, segs []pathSeg) (any, []string, bool) {
	var cur any = obj
	tokens := make([]string, 0, len(segs))
	for _, seg := range segs {
		switch seg.kind {
		case segField:
			m, ok := cur.(map[string]any)
			if !ok {
				return nil, nil, false
			}
			if cur, ok = m[seg.field]; !ok {
				return nil, nil, false
			}
			tokens = append(tokens, seg.field)
		case segKey, segIndex:
			list, ok := cur.([]any)
			if !ok {
				return nil, nil, false
			}
			i := seg.index
			if seg.kind == segKey {
				i = indexWithKeys(list, seg.keys)
			}
			if i < 0 || i >= len(list) {
				return nil, nil, false
			}
			cur = list[i]
			tokens = append(tokens, strconv.Itoa(i))
		}
	}
	return cur, tokens, true
}
