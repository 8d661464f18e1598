package drift

import (
	"encoding/base64"
	"fmt"
	"math"
	"reflect"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"k8s.io/client-go/kubernetes/scheme"
)

// Offline mode answers the question the server-side apply dry run answers,
// without asking the server: what would the live object be after the
// manifest is applied? It runs the API server's own apply code
// (k8s.io/apimachinery's managedfields.FieldManager) on the live object and
// the manifest, with the structure the cluster publishes for the kind. So the
// manifest is merged exactly as the server merges it: keyed lists by their
// keys, atomic lists and maps whole, and the fields the applier set before
// and no longer sets taken away unless another manager holds them too.
//
// What the server would then add, this does not know: defaults, mutating
// webhooks, and the conversion of what the manifest wrote into what the
// server stores. normalise makes up for the last two kinds where they are
// known (see canonical and settle); a webhook's changes are the documented
// blind spot of offline mode.

// offlineWant returns live after the manifest obj is applied to it by
// manager, as the server would store it.
func (e *Engine) offlineWant(obj, live *unstructured.Unstructured, manager string) (*unstructured.Unstructured, error) {
	gvk := obj.GroupVersionKind()
	tc, err := e.live.TypeConverter(gvk.GroupVersion())
	if err != nil {
		return nil, err
	}
	fm, err := managedfields.NewDefaultFieldManager(tc, sameVersion{}, noDefaults{}, creater{}, gvk, gvk.GroupVersion(), "", nil)
	if err != nil {
		return nil, err
	}
	applied := obj.DeepCopy()
	foldStringData(applied)
	applied.Object = integral(applied.Object).(map[string]any)
	out, err := fm.Apply(live.DeepCopy(), applied, manager, true)
	if err != nil {
		return nil, fmt.Errorf("merge the manifest into the live object: %w", err)
	}
	want, ok := out.(*unstructured.Unstructured)
	if !ok {
		return nil, fmt.Errorf("merge the manifest into the live object: got a %T", out)
	}
	if err := canonical(want); err != nil {
		return nil, err
	}
	settle(want.Object, live.Object)
	return want, nil
}

// sameVersion is the only conversion offline mode can do: none. Managers
// that wrote the object through another version of its kind are then
// dropped from the merge, as the server drops managers of a version it no
// longer serves; they are rare (status writers, mostly).
type sameVersion struct{}

func (sameVersion) Convert(in, out, context any) error {
	return fmt.Errorf("offline mode converts no objects")
}

func (sameVersion) ConvertToVersion(in runtime.Object, target runtime.GroupVersioner) (runtime.Object, error) {
	gvk := in.GetObjectKind().GroupVersionKind()
	if to, ok := target.KindForGroupVersionKinds([]schema.GroupVersionKind{gvk}); ok && to == gvk {
		return in, nil
	}
	return nil, runtime.NewNotRegisteredErrForTarget("offline mode", reflect.TypeOf(in), target)
}

func (sameVersion) ConvertFieldLabel(gvk schema.GroupVersionKind, label, value string) (string, string, error) {
	return label, value, nil
}

type noDefaults struct{}

func (noDefaults) Default(runtime.Object) {}

type creater struct{}

func (creater) New(gvk schema.GroupVersionKind) (runtime.Object, error) {
	obj := &unstructured.Unstructured{}
	obj.SetGroupVersionKind(gvk)
	return obj, nil
}

// foldStringData moves a Secret's stringData into its data, base64-encoded,
// as the API server does before it stores the Secret.
func foldStringData(obj *unstructured.Unstructured) {
	if !isSecret(obj) {
		return
	}
	plain, ok := obj.Object["stringData"].(map[string]any)
	if !ok {
		return
	}
	data, _ := obj.Object["data"].(map[string]any)
	if data == nil {
		data = map[string]any{}
	}
	for k, v := range plain {
		if s, ok := v.(string); ok {
			data[k] = base64.StdEncoding.EncodeToString([]byte(s))
		}
	}
	obj.Object["data"] = data
	delete(obj.Object, "stringData")
}

// integral returns v with every whole float64 (3.0, written so in YAML)
// turned into the int64 the API server sends back for it.
func integral(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = integral(e)
		}
	case []any:
		for i, e := range v {
			v[i] = integral(e)
		}
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return int64(v)
		}
	}
	return v
}

// canonical writes a built-in object as the API server would store it, by
// way of its Go type: quantities in their canonical form (0.5 becomes
// 500m), numbers as their field's type, and empty values of fields that are
// left out when empty left out. Custom resources are stored as written and
// stay as they are.
func canonical(obj *unstructured.Unstructured) error {
	typed, err := scheme.Scheme.New(obj.GroupVersionKind())
	if err != nil {
		return nil // not a built-in kind
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, typed); err != nil {
		return fmt.Errorf("read the merged object as a %s: %w", obj.GetKind(), err)
	}
	content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(typed)
	if err != nil {
		return fmt.Errorf("write the merged object as a %s: %w", obj.GetKind(), err)
	}
	obj.Object = content
	return nil
}

// knownDefaults are values the API server fills in when a manifest leaves a
// field out, by the field's name, for the places the merge cannot carry the
// live value over: the elements of atomic lists (a NetworkPolicy's ports, a
// StatefulSet's volumeClaimTemplates, a RoleBinding's subjects). A field is
// only listed where its default is the same wherever the name occurs, so
// that an absent field and the live default mean the same.
var knownDefaults = map[string]any{
	"protocol":   "TCP",
	"volumeMode": "Filesystem",
	"apiVersion": "v1",
	"kind":       "PersistentVolumeClaim",
	"phase":      "Pending",
	"apiGroup":   "rbac.authorization.k8s.io",
}

// settle takes from want the differences from live that mean nothing, at
// every depth, and returns want:
//   - an empty value (null, {}, []) on one side where the other has none:
//     the server drops empty fields of built-in kinds, and a manifest may
//     write them;
//   - a field want lacks whose live value is the one the server defaults it
//     to (knownDefaults).
//
// Lists are followed element by element where both sides have as many.
func settle(want, live any) any {
	switch w := want.(type) {
	case map[string]any:
		l, _ := live.(map[string]any)
		for k, wv := range w {
			lv, inLive := l[k]
			switch {
			case !inLive && isEmpty(wv):
				delete(w, k)
			case inLive:
				w[k] = settle(wv, lv)
			}
		}
		for k, lv := range l {
			if _, inWant := w[k]; !inWant && (isEmpty(lv) || equality.Semantic.DeepEqual(knownDefaults[k], lv)) {
				w[k] = lv
			}
		}
	case []any:
		if l, ok := live.([]any); ok && len(l) == len(w) {
			for i := range w {
				w[i] = settle(w[i], l[i])
			}
		}
	}
	return want
}

// isEmpty reports whether v is null, an empty map or an empty list.
func isEmpty(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case map[string]any:
		return len(v) == 0
	case []any:
		return len(v) == 0
	}
	return false
}
