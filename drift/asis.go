package drift

import (
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// unchangedByApply reports, without the structured merge, whether applying
// obj to live as manager, forced, changes nothing of live but its
// managedFields, where that is plain to see:
//
//   - every field obj sets, live holds with the same value; where live holds
//     more, it is in a map that the apply merges key by key and keeps what
//     it does not name of: the object itself, its metadata, labels and
//     annotations, and a ConfigMap's or Secret's data. Anywhere else, what
//     obj sets must be what live holds, whole.
//   - manager's earlier apply owns no field that obj leaves out, which the
//     apply would remove.
//
// It says no whenever it is unsure, and merge then asks the structured
// merge, which knows the schema. Objects whose live state is what their
// manifest says, such as ConfigMaps, Secrets and ServiceAccounts in sync,
// skip the merge (TestUnchangedByApply).
func unchangedByApply(obj, live *unstructured.Unstructured, manager string) bool {
	version := obj.GetAPIVersion()
	if live.GetAPIVersion() != version || obj.GetKind() != live.GetKind() {
		return false
	}
	if _, ok := live.GetAnnotations()[lastAppliedAnnotation]; ok && manager == "kubectl" {
		return false // kubectl's client-side apply: its own three-way merge
	}
	raw, _, _ := unstructured.NestedFieldNoCopy(live.Object, "metadata", "managedFields")
	entries, _ := raw.([]any)
	if len(entries) == 0 {
		return false
	}
	for _, e := range entries {
		m, _ := e.(map[string]any)
		if m == nil || m["apiVersion"] != version || m["fieldsType"] != "FieldsV1" {
			return false
		}
		if m["manager"] == manager && m["operation"] == "Apply" && stringOf(m["subresource"]) == "" {
			owned, _ := m["fieldsV1"].(map[string]any)
			if !setsAll(obj.Object, owned) {
				return false
			}
		}
	}
	granular := isSecret(obj) || (obj.GroupVersionKind().Group == "" && obj.GetKind() == "ConfigMap")
	for k, v := range obj.Object {
		lv, ok := live.Object[k]
		switch {
		case !ok || isNull(v):
			return false
		case k == "metadata":
			if !metadataWithin(v, lv) {
				return false
			}
		case granular && (k == "data" || k == "binaryData"):
			if !within(v, lv) {
				return false
			}
		case !sameJSON(v, lv):
			return false
		}
	}
	return true
}

// metadataWithin reports whether live's metadata holds what obj's sets:
// labels and annotations key by key, the rest whole.
func metadataWithin(obj, live any) bool {
	o, ok := obj.(map[string]any)
	l, isMap := live.(map[string]any)
	if !ok || !isMap {
		return false
	}
	for k, v := range o {
		lv, ok := l[k]
		switch {
		case !ok || isNull(v):
			return false
		case k == "labels" || k == "annotations":
			if !within(v, lv) {
				return false
			}
		case k == "managedFields":
			return false // a manifest does not set them; resolve strips them
		case !sameJSON(v, lv):
			return false
		}
	}
	return true
}

// within reports whether the map live holds every key of the map obj with
// the same value.
func within(obj, live any) bool {
	o, ok := obj.(map[string]any)
	l, isMap := live.(map[string]any)
	if !ok || !isMap {
		return false
	}
	for k, v := range o {
		if lv, ok := l[k]; !ok || isNull(v) || !sameJSON(v, lv) {
			return false
		}
	}
	return true
}

// setsAll reports whether obj sets every field of the managed field set
// owned (a managedFields entry's fieldsV1: "f:name" a field, "k:", "v:" and
// "i:" an element of a list, "." the node itself). An element of a list
// counts as set where obj sets the list: unchangedByApply holds such a list
// to be live's, whole, which holds the element.
func setsAll(obj any, owned map[string]any) bool {
	for key, sub := range owned {
		if key == "." {
			continue
		}
		name, isField := strings.CutPrefix(key, "f:")
		if !isField {
			if _, isList := obj.([]any); isList {
				continue
			}
			return false
		}
		m, ok := obj.(map[string]any)
		if !ok {
			return false
		}
		v, ok := m[name]
		if !ok {
			return false
		}
		if children, _ := sub.(map[string]any); len(children) > 0 && !setsAll(v, children) {
			return false
		}
	}
	return true
}
