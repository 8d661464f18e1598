package sources

import (
	"reflect"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// markGenerated adds to the Generated fields of each manifest of into the
// fields whose values differ between its object in a and in b, two renders
// of the same chart with the same input: values the chart makes up at
// random (randAlphaNum, uuidv4, a "rollme" annotation) and everything
// computed from them. No live value could be expected to match such a
// field, so it is no drift. An object that is not in both is left as it is.
func markGenerated(into, a, b []Manifest) {
	inA := make(map[string]*unstructured.Unstructured, len(a))
	for _, m := range a {
		inA[identity(m.Object)] = m.Object
	}
	inB := make(map[string]*unstructured.Unstructured, len(b))
	for _, m := range b {
		inB[identity(m.Object)] = m.Object
	}
	for i := range into {
		id := identity(into[i].Object)
		x, okA := inA[id]
		y, okB := inB[id]
		if !okA || !okB {
			continue
		}
		differ := into[i].Generated
		differingFields(x.Object, y.Object, "", &differ)
		slices.Sort(differ)
		into[i].Generated = slices.Compact(differ)
	}
}

// identity names an object for matching it between renders.
func identity(obj *unstructured.Unstructured) string {
	return obj.GetAPIVersion() + "/" + obj.GetKind() + "/" + obj.GetNamespace() + "/" + obj.GetName()
}

// differingFields appends to out the JSON pointers under at where a and b
// differ: the scalars, and a list or map as a whole when its shape differs.
func differingFields(a, b any, at string, out *[]string) {
	switch a := a.(type) {
	case map[string]any:
		if b, ok := b.(map[string]any); ok && sameKeys(a, b) {
			for k, v := range a {
				differingFields(v, b[k], at+"/"+escapePointerToken(k), out)
			}
			return
		}
	case []any:
		if b, ok := b.([]any); ok && len(a) == len(b) {
			for i := range a {
				differingFields(a[i], b[i], at+"/"+strconv.Itoa(i), out)
			}
			return
		}
	}
	if !reflect.DeepEqual(a, b) {
		*out = append(*out, at)
	}
}

func sameKeys(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			return false
		}
	}
	return true
}

// escapePointerToken escapes a key for a JSON pointer (RFC 6901).
func escapePointerToken(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}
