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
// field, so it is no drift.
func markGenerated(into, a, b []Manifest) {
	markDiffering(into, a, b, func(m *Manifest) *[]string { return &m.Generated })
}

// markInstallOnly adds to the InstallOnly fields of each manifest of into,
// rendered as an upgrade, the fields that its render as an install, install,
// has otherwise, and that are not Generated: what a chart renders only when
// .Release.IsInstall (a webhook's failurePolicy: Ignore until its controller
// serves), which the upgrade would not send and the install did.
func markInstallOnly(into, install []Manifest) {
	markDiffering(into, into, install, func(m *Manifest) *[]string { return &m.InstallOnly })
	for i := range into {
		m := &into[i]
		m.InstallOnly = slices.DeleteFunc(m.InstallOnly, func(p string) bool { return slices.Contains(m.Generated, p) })
	}
}

// markDiffering adds to field(m), for each manifest m of into, the JSON
// pointers where its object in a and in b differ. An object that is not in
// both is left as it is.
func markDiffering(into, a, b []Manifest, field func(*Manifest) *[]string) {
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
		fields := field(&into[i])
		differingFields(x.Object, y.Object, "", fields)
		slices.Sort(*fields)
		*fields = slices.Compact(*fields)
	}
}

// identity names an object for matching it between renders.
func identity(obj *unstructured.Unstructured) string {
	return obj.GetAPIVersion() + "/" + obj.GetKind() + "/" + obj.GetNamespace() + "/" + obj.GetName()
}

// differingFields appends to out the JSON pointers under at where a and b
// differ: the scalars, a key that one map has and the other not, and a list
// as a whole when its length differs.
func differingFields(a, b any, at string, out *[]string) {
	switch a := a.(type) {
	case map[string]any:
		if b, ok := b.(map[string]any); ok {
			for k, v := range a {
				bv, inB := b[k]
				if !inB {
					*out = append(*out, at+"/"+escapePointerToken(k))
					continue
				}
				differingFields(v, bv, at+"/"+escapePointerToken(k), out)
			}
			for k := range b {
				if _, inA := a[k]; !inA {
					*out = append(*out, at+"/"+escapePointerToken(k))
				}
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

// escapePointerToken escapes a key for a JSON pointer (RFC 6901).
func escapePointerToken(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}
