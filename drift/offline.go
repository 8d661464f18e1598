package drift

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
	smdmerge "sigs.k8s.io/structured-merge-diff/v6/merge"
	"sigs.k8s.io/structured-merge-diff/v6/typed"
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
// manager, as the server would store it: live itself when the apply changes
// nothing of it, else an object that shares nothing with live.
//
// It returns too the fields it set from the defaults of built-in kinds.
func (e *Engine) offlineWant(obj, live *unstructured.Unstructured, manager string) (*unstructured.Unstructured, []string, error) {
	applied := obj
	if hasStringData(obj) || hasWholeFloat(obj.Object) {
		applied = obj.DeepCopy()
		foldStringData(applied)
		applied.Object = integral(applied.Object).(map[string]any)
	}
	want, asIs, err := e.merge(applied, live, manager)
	if err != nil {
		return nil, nil, err
	}
	if asIs {
		// As the server stored it: nothing to convert or settle.
		return live, nil, nil
	}
	// Defaults first, as the server sets them on what it decoded: canonical
	// writes the zero values of fields that are never left out, which a
	// default would not then replace.
	defaulted := setDefaults(want.GroupVersionKind(), want.Object, live.Object)
	if err := canonical(want); err != nil {
		return nil, nil, err
	}
	settle(want.Object, live.Object)
	return want, defaulted, nil
}

// merge applies obj to live as manager, forced, with the API server's own
// apply and the structure the cluster publishes for the kind. It returns
// live itself and true when the apply changes nothing of live but its
// managedFields, and otherwise the outcome, which shares nothing with live.
func (e *Engine) merge(obj, live *unstructured.Unstructured, manager string) (*unstructured.Unstructured, bool, error) {
	k, err := e.kindApplier(obj.GroupVersionKind())
	if err != nil {
		return nil, false, err
	}
	if unchangedByApply(obj, live, manager) {
		return live, true, nil
	}
	if merged, asIs, ok := directMerge(k.types, obj, live, manager); ok {
		return merged, asIs, nil
	}
	// Through every layer of the API server's apply, which are many and
	// taken rarely (see directMerge): on a copy, so as not to have to know
	// which of them change the object they are given.
	out, err := k.apply.Apply(live.DeepCopy(), obj, manager, true)
	if err != nil {
		return nil, false, fmt.Errorf("merge the manifest into the live object: %w", err)
	}
	merged, ok := out.(*unstructured.Unstructured)
	if !ok {
		return nil, false, fmt.Errorf("merge the manifest into the live object: got a %T", out)
	}
	if sameContent(merged.Object, live.Object) {
		return live, true, nil
	}
	return merged, false, nil
}

// appliesAsIs reports whether applying obj to live as manager, forced,
// would leave live as it is but for its managedFields: the server's answer
// to that apply's dry run is then live itself. It says so only when sure.
// It runs the API server's own apply, as offline mode does, and compares
// its outcome with live as it is, with none of the normalising offline mode
// does: a manifest that writes 0.5 where live has 500m is left to the dry
// run. It says no where it cannot follow the server: when a manager of live
// wrote through another version of the kind (offline mode converts no
// objects), and when a Secret has stringData, which the server folds into
// data.
func (e *Engine) appliesAsIs(obj, live *unstructured.Unstructured, manager string) bool {
	if hasStringData(obj) {
		return false
	}
	// Read raw: decoding managedFields costs as much as a tenth of a check.
	raw, _, _ := unstructured.NestedFieldNoCopy(live.Object, "metadata", "managedFields")
	entries, _ := raw.([]any)
	version := obj.GetAPIVersion()
	for _, e := range entries {
		if m, ok := e.(map[string]any); !ok || m["apiVersion"] != version {
			return false
		}
	}
	_, asIs, err := e.merge(obj, live, manager)
	return err == nil && asIs
}

// hasStringData reports whether obj is a Secret with stringData.
func hasStringData(obj *unstructured.Unstructured) bool {
	_, ok := obj.Object["stringData"]
	return ok && isSecret(obj)
}

// hasWholeFloat reports whether v holds a float64 that integral would turn
// into an int64.
func hasWholeFloat(v any) bool {
	switch v := v.(type) {
	case map[string]any:
		for _, e := range v {
			if hasWholeFloat(e) {
				return true
			}
		}
	case []any:
		for _, e := range v {
			if hasWholeFloat(e) {
				return true
			}
		}
	case float64:
		return v == math.Trunc(v) && math.Abs(v) < 1<<53
	}
	return false
}

// kindApplier is the API server's apply of one kind, with the structure it
// was built from.
type kindApplier struct {
	types managedfields.TypeConverter
	apply *managedfields.FieldManager
}

// kindApplier returns the API server's apply for objects of kind gvk, with
// the structure the cluster publishes for it. It is built once per kind
// and structure: building it for every object cost as much as a tenth of a
// check. Like the API server's own, it serves many applies at once.
func (e *Engine) kindApplier(gvk schema.GroupVersionKind) (*kindApplier, error) {
	tc, err := e.live.TypeConverter(gvk.GroupVersion())
	if err != nil {
		return nil, err
	}
	if cached, ok := e.appliers.Load(gvk); ok && sameConverter(cached.(*kindApplier).types, tc) {
		return cached.(*kindApplier), nil
	}
	fm, err := managedfields.NewDefaultFieldManager(tc, sameVersion{}, noDefaults{}, creater{}, gvk, gvk.GroupVersion(), "", nil)
	if err != nil {
		return nil, err
	}
	k := &kindApplier{types: tc, apply: fm}
	e.appliers.Store(gvk, k)
	return k, nil
}

// directMerge is merge by the structured merge at the heart of the API
// server's apply (sigs.k8s.io/structured-merge-diff), without the layers
// around it that keep managedFields, which a comparison throws away: they
// encode the new managedFields, and copy live where nothing changes, and
// cost a fifth of an apply. It takes only the objects for which those
// layers change nothing but managedFields, and says so with ok; for the
// others merge goes through every layer:
//   - every managedFields entry is of obj's version, as the merge then
//     converts nothing (offline mode converts no objects anyway);
//   - live has managedFields, or the apply would first record its fields as
//     a manager's of their own (skipNonAppliedManager);
//   - the apply is not kubectl's on an object with its client-side apply
//     annotation, which the apply would rewrite (lastAppliedUpdater).
func directMerge(tc managedfields.TypeConverter, obj, live *unstructured.Unstructured, manager string) (merged *unstructured.Unstructured, asIs, ok bool) {
	raw, _, _ := unstructured.NestedFieldNoCopy(live.Object, "metadata", "managedFields")
	entries, _ := raw.([]any)
	if len(entries) == 0 {
		return nil, false, false
	}
	if _, ok := live.GetAnnotations()[lastAppliedAnnotation]; ok && manager == "kubectl" {
		return nil, false, false
	}
	version := obj.GetAPIVersion()
	managers := make(fieldpath.ManagedFields, len(entries))
	for _, e := range entries {
		m, _ := e.(map[string]any)
		entry := metav1.ManagedFieldsEntry{Operation: metav1.ManagedFieldsOperationType(stringOf(m["operation"]))}
		entry.Manager, entry.Subresource = stringOf(m["manager"]), stringOf(m["subresource"])
		if stringOf(m["apiVersion"]) != version || stringOf(m["fieldsType"]) != "FieldsV1" ||
			(entry.Operation != metav1.ManagedFieldsOperationApply && entry.Operation != metav1.ManagedFieldsOperationUpdate) {
			return nil, false, false
		}
		if entry.Operation == metav1.ManagedFieldsOperationUpdate {
			entry.APIVersion = version
		}
		// As the API server names a manager in its merge: the entry without
		// its fields, its time, and for an applier its version.
		id, err := json.Marshal(&entry)
		if err != nil {
			return nil, false, false
		}
		fields, err := json.Marshal(m["fieldsV1"])
		if m["fieldsV1"] == nil {
			fields = []byte("{}")
		}
		if err != nil {
			return nil, false, false
		}
		var set fieldpath.Set
		if err := set.FromJSON(bytes.NewReader(fields)); err != nil {
			return nil, false, false
		}
		managers[string(id)] = fieldpath.NewVersionedSet(&set, fieldpath.APIVersion(version), entry.Operation == metav1.ManagedFieldsOperationApply)
	}
	applier, err := json.Marshal(&metav1.ManagedFieldsEntry{Manager: manager, Operation: metav1.ManagedFieldsOperationApply})
	if err != nil {
		return nil, false, false
	}
	liveTyped, err := tc.ObjectToTyped(live, typed.AllowDuplicates)
	if err != nil {
		return nil, false, false
	}
	objTyped, err := tc.ObjectToTyped(obj)
	if err != nil {
		return nil, false, false
	}
	updater := (&smdmerge.UpdaterBuilder{Converter: oneVersion(version)}).BuildUpdater()
	out, _, err := updater.Apply(liveTyped, objTyped, fieldpath.APIVersion(version), managers, string(applier), true)
	if err != nil {
		return nil, false, false
	}
	if out == nil {
		// The merge changes nothing.
		return live, true, true
	}
	o, err := tc.TypedToObject(out)
	if err != nil {
		return nil, false, false
	}
	u, isUnstructured := o.(*unstructured.Unstructured)
	if !isUnstructured {
		return nil, false, false
	}
	if sameContent(u.Object, live.Object) {
		return live, true, true
	}
	// The outcome may share the lists and maps the schema keeps whole with
	// live.
	return u.DeepCopy(), false, true
}

func stringOf(v any) string {
	s, _ := v.(string)
	return s
}

// oneVersion is the structured merge's conversion where every manager wrote
// the same version: none.
type oneVersion string

func (v oneVersion) Convert(object *typed.TypedValue, version fieldpath.APIVersion) (*typed.TypedValue, error) {
	if string(version) == string(v) {
		return object, nil
	}
	return nil, missingVersion(version)
}

func (oneVersion) IsMissingVersionError(err error) bool {
	var missing missingVersion
	return errors.As(err, &missing)
}

// missingVersion is the conversion oneVersion does not do.
type missingVersion string

func (v missingVersion) Error() string {
	return fmt.Sprintf("offline mode converts no objects to %s", string(v))
}

// sameConverter reports whether a and b are the same type converter; a
// converter of a type that cannot be compared is never the same.
func sameConverter(a, b managedfields.TypeConverter) bool {
	ta, tb := reflect.TypeOf(a), reflect.TypeOf(b)
	return ta == tb && ta != nil && ta.Comparable() && a == b
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

// settle takes from want the differences from live that mean nothing, at
// every depth, and returns want:
//   - an empty value (null, {}, []) on one side where the other has none:
//     the server drops empty fields of built-in kinds, and a manifest may
//     write them.
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
			if _, inWant := w[k]; !inWant && isEmpty(lv) {
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
