package drift

import (
	"encoding/json"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// What the next apply of a manifest removes depends on who applied it
// before: an apply takes away only the fields that its own field manager set
// last time and no longer sets. A dry run by kubedrift's own manager would
// keep a label that the manifest dropped but kubectl or Helm once applied,
// and call the object in sync where that applier's next apply would change
// it. So the dry run stands for the manifest's applier, and for kubectl's
// client-side apply, which keeps its record in an annotation instead, the
// same deletions are made from the answer.

// applier returns the field manager to dry-run as: the one manager that
// applied the live object server-side and owns some of what desired sets,
// unless kubedrift did; kubedrift otherwise. Owning some of desired's fields
// tells the manifest's applier from a controller that applies fields of its
// own (the ClusterRole aggregation controller applies rules).
//
// entries are the live object's managedFields; none when there is no live
// object.
func applier(entries []metav1.ManagedFieldsEntry, desired *unstructured.Unstructured) string {
	found := ""
	for _, e := range entries {
		if e.Operation != "Apply" || e.Subresource != "" || e.FieldsV1 == nil || !ownsSomeOf(e.FieldsV1.GetRawBytes(), desired.Object) {
			continue
		}
		if e.Manager == FieldManager || (found != "" && found != e.Manager) {
			return FieldManager
		}
		found = e.Manager
	}
	if found == "" {
		return FieldManager
	}
	return found
}

// ownsSomeOf reports whether a managedFields entry's fields (FieldsV1 JSON)
// include a top-level field of desired, or one of its labels or
// annotations; the name and namespace every entry shares do not count.
func ownsSomeOf(fieldsV1 []byte, desired map[string]any) bool {
	var owned map[string]any
	if err := json.Unmarshal(fieldsV1, &owned); err != nil {
		return false
	}
	for k := range desired {
		if k != "apiVersion" && k != "kind" && k != "metadata" && owned["f:"+k] != nil {
			return true
		}
	}
	meta, _ := owned["f:metadata"].(map[string]any)
	desiredMeta, _ := desired["metadata"].(map[string]any)
	for _, field := range []string{"labels", "annotations"} {
		ownedKeys, _ := meta["f:"+field].(map[string]any)
		desiredKeys, _ := desiredMeta[field].(map[string]any)
		for k := range desiredKeys {
			if ownedKeys["f:"+k] != nil {
				return true
			}
		}
	}
	return false
}

// withBookkeeping returns obj with the bookkeeping Helm puts on every object
// it installs, beside what its chart renders (the managed-by label and the
// release annotations), where live carries it and obj does not: a dry run as
// Helm's manager must not take it away for not being in the chart.
func withBookkeeping(obj, live *unstructured.Unstructured) *unstructured.Unstructured {
	if live == nil {
		return obj
	}
	out := obj
	for _, f := range []struct {
		keys []string
		get  func(*unstructured.Unstructured) map[string]string
		set  func(*unstructured.Unstructured, map[string]string)
	}{
		{[]string{"app.kubernetes.io/managed-by"}, (*unstructured.Unstructured).GetLabels, (*unstructured.Unstructured).SetLabels},
		{[]string{"meta.helm.sh/release-name", "meta.helm.sh/release-namespace"}, (*unstructured.Unstructured).GetAnnotations, (*unstructured.Unstructured).SetAnnotations},
	} {
		for _, k := range f.keys {
			v, inLive := f.get(live)[k]
			if _, inObj := f.get(out)[k]; !inLive || inObj {
				continue
			}
			if out == obj {
				out = obj.DeepCopy()
			}
			m := f.get(out)
			if m == nil {
				m = map[string]string{}
			}
			m[k] = v
			f.set(out, m)
		}
	}
	return out
}

// dropClientSideDeletions removes from want the fields that kubectl's
// client-side apply recorded in live's last-applied annotation and that the
// manifest desired no longer sets: kubectl's next apply deletes them.
func dropClientSideDeletions(want, desired, live *unstructured.Unstructured) {
	if want != nil {
		dropDeleted(want.Object, clientSideDeletions(desired, live))
	}
}

// clientSideDeletions returns, as a JSON merge patch (null for each field
// to delete), what the next client-side apply deletes: the map fields that
// kubectl's client-side apply recorded in live's last-applied annotation and
// that desired no longer sets, and, for kubectl's and Helm 3's, the fields
// desired sets to null; nil when there are none. Maps are followed down to
// their keys, so that a map kubectl recorded empty (it records
// "annotations": {} beside its own annotation) deletes nothing. Lists are
// left to the apply.
func clientSideDeletions(desired, live *unstructured.Unstructured) map[string]any {
	note, ok := live.GetAnnotations()[lastAppliedAnnotation]
	if !ok {
		// Helm 3 keeps its record in the release, not on the object, but
		// its three-way merge deletes what the manifest sets to null as
		// kubectl's does.
		if nulls := explicitNulls(desired.Object); nulls != nil && updatedByHelm3(live) {
			return nulls
		}
		return nil
	}
	var applied map[string]any
	if err := json.Unmarshal([]byte(note), &applied); err != nil {
		return nil
	}
	patch := mergeDeletions(deletions(applied, desired.Object), explicitNulls(desired.Object))
	if hasStringData(desired) {
		// The server folds stringData into data: a key the manifest now
		// writes there is not deleted from data.
		data, _ := patch["data"].(map[string]any)
		plain, _ := desired.Object["stringData"].(map[string]any)
		for k := range plain {
			if v, ok := data[k]; ok && v == nil {
				delete(data, k)
			}
		}
		if data != nil && len(data) == 0 {
			delete(patch, "data")
		}
		if len(patch) == 0 {
			return nil
		}
	}
	return patch
}

// updatedByHelm3 reports whether Helm 3 wrote live: Helm 3 creates and
// patches as manager helm, Helm 4 applies as helm server-side.
func updatedByHelm3(live *unstructured.Unstructured) bool {
	updates := false
	for _, e := range live.GetManagedFields() {
		if e.Manager != "helm" {
			continue
		}
		if e.Operation == metav1.ManagedFieldsOperationApply {
			return false
		}
		updates = true
	}
	return updates
}

// explicitNulls returns, as a JSON merge patch, the map fields that desired
// sets to null: kubectl's client-side apply deletes them ("data: null"
// deletes every key of a ConfigMap, also those added by hand since), where
// a server-side apply leaves them to whoever set them. Maps are followed
// down; lists are left to the apply.
func explicitNulls(desired map[string]any) map[string]any {
	var patch map[string]any
	for k, d := range desired {
		var v any
		switch d := d.(type) {
		case nil:
		case map[string]any:
			sub := explicitNulls(d)
			if sub == nil {
				continue
			}
			v = sub
		default:
			continue
		}
		patch = withField(patch, k, v)
	}
	return patch
}

// withField sets patch[k] to v, in a new map when patch is nil, and returns
// it.
func withField(patch map[string]any, k string, v any) map[string]any {
	if patch == nil {
		patch = map[string]any{}
	}
	patch[k] = v
	return patch
}

// mergeDeletions returns the merge patch that deletes what a or b deletes;
// it may change a.
func mergeDeletions(a, b map[string]any) map[string]any {
	if a == nil {
		return b
	}
	for k, bv := range b {
		av, inA := a[k]
		switch {
		case !inA, bv == nil:
			a[k] = bv
		case av == nil:
			// a deletes the whole field already.
		default:
			am, aMap := av.(map[string]any)
			bm, bMap := bv.(map[string]any)
			if aMap && bMap {
				a[k] = mergeDeletions(am, bm)
			}
		}
	}
	return a
}

func deletions(applied, desired map[string]any) map[string]any {
	var patch map[string]any
	for k, a := range applied {
		d, inDesired := desired[k]
		am, appliedMap := a.(map[string]any)
		var v any
		switch {
		case !inDesired && !appliedMap:
			v = nil
		case appliedMap:
			dm, _ := d.(map[string]any)
			sub := deletions(am, dm)
			if sub == nil {
				continue
			}
			v = sub
		default:
			continue
		}
		patch = withField(patch, k, v)
	}
	return patch
}

// dropDeleted removes from want what the merge patch deletes.
func dropDeleted(want, patch map[string]any) {
	for k, p := range patch {
		if p == nil {
			delete(want, k)
			continue
		}
		if wm, ok := want[k].(map[string]any); ok {
			dropDeleted(wm, p.(map[string]any))
		}
	}
}

// managedFields returns the managedFields of live, none when live is nil.
func managedFields(live *unstructured.Unstructured) []metav1.ManagedFieldsEntry {
	if live == nil {
		return nil
	}
	return live.GetManagedFields()
}
