package drift

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// serverFields returns the paths of the fields the API server sets on every
// object, which say nothing about drift; they are removed before objects are
// compared or shown.
func serverFields() [][]string {
	return [][]string{
		{"status"},
		{"metadata", "managedFields"},
		{"metadata", "resourceVersion"},
		{"metadata", "uid"},
		{"metadata", "generation"},
		{"metadata", "creationTimestamp"},
		{"metadata", "selfLink"},
	}
}

// stripped returns a copy of obj without serverFields, or nil for nil.
func stripped(obj *unstructured.Unstructured) *unstructured.Unstructured {
	if obj == nil {
		return nil
	}
	return strip(obj.DeepCopy())
}

// strip removes serverFields from obj itself and returns it.
func strip(obj *unstructured.Unstructured) *unstructured.Unstructured {
	for _, path := range serverFields() {
		unstructured.RemoveNestedField(obj.Object, path...)
	}
	return obj
}

// strippedShallow returns a copy of obj without serverFields whose top level
// and metadata are its own, and whose other fields are obj's: a change to
// the copy's metadata or top-level fields leaves obj as it is, a change
// deeper down does not.
func strippedShallow(obj *unstructured.Unstructured) *unstructured.Unstructured {
	out := make(map[string]any, len(obj.Object))
	for k, v := range obj.Object {
		out[k] = v
	}
	if m, ok := out["metadata"].(map[string]any); ok {
		meta := make(map[string]any, len(m))
		for k, v := range m {
			meta[k] = v
		}
		out["metadata"] = meta
	}
	return strip(&unstructured.Unstructured{Object: out})
}

// lastAppliedAnnotation holds kubectl's client-side apply record: for a Secret
// it carries every value in clear text.
const lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

// maskSame replaces a Secret value. A value that differs between live and
// desired shows its length instead, "*** (12 bytes, before)" and "*** (9
// bytes, after)", so the diff still shows that it changed, and roughly how,
// without a character of it.
const maskSame = "***"

// maskSecrets hides the values of a Secret in live and want, which are copies
// that it changes in place. Either may be nil. Objects other than core
// Secrets are left alone.
func maskSecrets(live, want *unstructured.Unstructured) {
	if !isSecret(live) && !isSecret(want) {
		return
	}
	for _, field := range []string{"data", "stringData"} {
		liveValues := stringMap(live, field)
		wantValues := stringMap(want, field)
		keys := make(map[string]bool, len(liveValues)+len(wantValues))
		for k := range liveValues {
			keys[k] = true
		}
		for k := range wantValues {
			keys[k] = true
		}
		for k := range keys {
			lv, inLive := liveValues[k]
			wv, inWant := wantValues[k]
			switch {
			case inLive && inWant:
				liveValues[k], wantValues[k] = masks(lv, wv, field == "data")
			case inLive:
				liveValues[k] = maskSame
			default:
				wantValues[k] = maskSame
			}
		}
		setStringMap(live, field, liveValues)
		setStringMap(want, field, wantValues)
	}
	liveNote, liveOK := annotation(live, lastAppliedAnnotation)
	wantNote, wantOK := annotation(want, lastAppliedAnnotation)
	switch {
	case liveOK && wantOK:
		liveNote, wantNote = masks(liveNote, wantNote, false)
	case liveOK:
		liveNote = maskSame
	case wantOK:
		wantNote = maskSame
	}
	if liveOK {
		setAnnotation(live, lastAppliedAnnotation, liveNote)
	}
	if wantOK {
		setAnnotation(want, lastAppliedAnnotation, wantNote)
	}
}

// masks returns the placeholders for a value seen on both sides. Values of
// a Secret's data are base64; their length is that of what they encode.
func masks(live, want string, base64Encoded bool) (string, string) {
	if live == want {
		return maskSame, maskSame
	}
	size := func(v string) int {
		if base64Encoded {
			if b, err := base64.StdEncoding.DecodeString(v); err == nil {
				return len(b)
			}
		}
		return len(v)
	}
	return fmt.Sprintf("*** (%d bytes, before)", size(live)), fmt.Sprintf("*** (%d bytes, after)", size(want))
}

// isSecret reports whether obj is a core Secret, of any version.
func isSecret(obj *unstructured.Unstructured) bool {
	if obj == nil {
		return false
	}
	gvk := obj.GroupVersionKind()
	return gvk.Group == "" && gvk.Kind == "Secret"
}

// stringMap returns obj's field as a map of strings. Values that are not
// strings (a manifest may say `data: {port: 80}`) are kept as their JSON text,
// which is enough to tell equal from different.
func stringMap(obj *unstructured.Unstructured, field string) map[string]string {
	if obj == nil {
		return nil
	}
	raw, ok := obj.Object[field].(map[string]any)
	if !ok {
		return nil
	}
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		if s, ok := v.(string); ok {
			out[k] = s
			continue
		}
		b, _ := yaml.Marshal(v)
		out[k] = string(b)
	}
	return out
}

func setStringMap(obj *unstructured.Unstructured, field string, values map[string]string) {
	if obj == nil || values == nil {
		return
	}
	m := make(map[string]any, len(values))
	for k, v := range values {
		m[k] = v
	}
	obj.Object[field] = m
}

func annotation(obj *unstructured.Unstructured, key string) (string, bool) {
	if obj == nil {
		return "", false
	}
	v, ok := obj.GetAnnotations()[key]
	return v, ok
}

func setAnnotation(obj *unstructured.Unstructured, key, value string) {
	a := obj.GetAnnotations()
	a[key] = value
	obj.SetAnnotations(a)
}

// toYAML renders obj for a diff; nil renders as nothing.
func toYAML(obj *unstructured.Unstructured) string {
	if obj == nil {
		return ""
	}
	b, err := yaml.Marshal(obj.Object)
	if err != nil {
		// Objects come from JSON, so they always marshal; say so if not.
		return "# cannot render object: " + err.Error() + "\n"
	}
	return string(b)
}

// sameJSON reports whether a and b, values decoded from JSON, would be
// written as the same JSON, and so as the same YAML: it is how two objects
// are compared, without writing either. Maps must have the same keys and
// lists the same elements in the same order; numbers of different Go types
// are the same when they are written the same (an int64 3 and a float64 3
// are both "3"); null, a nil map and a nil list are all null.
func sameJSON(a, b any) bool {
	if isNull(a) || isNull(b) {
		return isNull(a) && isNull(b)
	}
	if same, nested := sameElements(a, b, sameJSON); nested {
		return same
	}
	switch a := a.(type) {
	case string:
		b, ok := b.(string)
		return ok && a == b
	case bool:
		b, ok := b.(bool)
		return ok && a == b
	case int64:
		if b, ok := b.(int64); ok {
			return a == b
		}
	case float64:
		if b, ok := b.(float64); ok {
			// -0 is written "-0".
			return a == b && math.Signbit(a) == math.Signbit(b)
		}
	}
	// Numbers of different types, or values no decoder makes: as written.
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(ja, jb)
}

// isNull reports whether v is written as JSON null.
func isNull(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case map[string]any:
		return v == nil
	case []any:
		return v == nil
	}
	return false
}

// sameContent reports whether two objects are the same but for their
// managedFields, which every apply rewrites.
func sameContent(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	for k, av := range a {
		bv, ok := b[k]
		if !ok {
			return false
		}
		if k != "metadata" {
			if !sameJSON(av, bv) {
				return false
			}
			continue
		}
		am, aok := av.(map[string]any)
		bm, bok := bv.(map[string]any)
		if !aok || !bok {
			return false
		}
		for mk := range am {
			if _, ok := bm[mk]; !ok && mk != "managedFields" {
				return false
			}
		}
		for mk, bmv := range bm {
			if mk == "managedFields" {
				continue
			}
			if amv, ok := am[mk]; !ok || !sameJSON(amv, bmv) {
				return false
			}
		}
	}
	return true
}
