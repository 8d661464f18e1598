// Command defaultsgen writes the defaults the Kubernetes API server sets on
// built-in kinds, for kubedrift's offline mode, which cannot ask the server
// and must not import k8s.io/kubernetes (go install ...@latest forbids the
// replace directives it needs).
//
// It runs the API server's own defaulting functions, the defaulters
// registered in its scheme for the versions it serves, on probe objects of
// each kind: one with every list of objects given one item, every map of
// objects one entry and every optional struct allocated, so that every
// defaulter below the object runs. What the defaulters set there is a
// default. Then each scalar field of the probe is set, in turn, to the
// values it can take (its OpenAPI enum, a port number, image references),
// and each list and optional struct emptied, and the defaulting run again:
// a default that changes with a field is written as a rule on that field (a
// copy of it, a value per case, by an image's tag, by whether it is there).
// A default that depends on more than one field, or on one the rule forms
// cannot express, is listed as skipped, with why. Last, the probe is
// converted to the internal version and back, as the server stores it: what
// the conversion adds is a default too.
//
// Run it with make generate. Its test (make test runs it) fails when the
// committed drift/defaults.json is not what it writes for the Kubernetes
// version tools/go.mod pins.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"reflect"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/kube-openapi/pkg/common"
	"k8s.io/kube-openapi/pkg/validation/spec"
	"k8s.io/kubernetes/pkg/api/legacyscheme"
	"k8s.io/kubernetes/pkg/controlplane"
	generatedopenapi "k8s.io/kubernetes/pkg/generated/openapi"
)

func main() {
	out := flag.String("o", "../drift/defaults.json", "where to write the defaults")
	flag.Parse()
	data, err := generate()
	if err != nil {
		fmt.Fprintln(os.Stderr, "defaultsgen:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, data, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "defaultsgen:", err)
		os.Exit(1)
	}
}

// File is what defaultsgen writes; drift reads the same shape.
type File struct {
	// Kubernetes is the version whose defaulting code ran.
	Kubernetes string `json:"kubernetes"`
	// Kinds holds each kind's defaults, by "group/version/Kind" ("v1/Kind"
	// for the core group).
	Kinds map[string][]Rule `json:"kinds"`
	// Skipped are the defaults seen that no rule expresses.
	Skipped map[string][]string `json:"skipped,omitempty"`
}

// Rule is one default: the field at Path (object keys, "*" for every item
// of a list or value of a map) is set, when absent, to Value; or, when From
// names the field it depends on, as By says. From is relative to the
// field's parent; ".." goes up one level.
type Rule struct {
	Path  []string                   `json:"path"`
	Value json.RawMessage            `json:"value,omitempty"`
	From  []string                   `json:"from,omitempty"`
	By    string                     `json:"by,omitempty"`
	Cases map[string]json.RawMessage `json:"cases,omitempty"`
	// Create: the defaulter creates the field's missing parents too.
	Create bool `json:"create,omitempty"`
}

// The ways a default depends on the field From names.
const (
	// ByCopy: the default is From's value.
	ByCopy = "copy"
	// ByCases: the default is Cases[From's value as JSON], or Value (none
	// when absent) for any other value.
	ByCases = "cases"
	// ByImageTag: From is an image reference; the default is
	// Cases["latest"] when it has the tag latest or none, else
	// Cases["other"].
	ByImageTag = "image-tag"
	// ByPresence: From is a list or an object; the default is Value where
	// it is there and not empty, else Cases["absent"] (null: none).
	ByPresence = "presence"
)

// absent, as a slot's value, empties the list or optional struct the slot
// is: a default may depend on whether it is there.
type absentValue struct{}

var absent = absentValue{}

// mapKey is the key of the one entry the probe gives every map.
const mapKey = "kubedrift-probe-key"

func generate() ([]byte, error) {
	f := File{Kubernetes: kubernetesVersion(), Kinds: map[string][]Rule{}, Skipped: map[string][]string{}}
	defs := generatedopenapi.GetOpenAPIDefinitions(func(path string) spec.Ref { return spec.MustCreateRef(path) })
	enabled := servedVersions()
	for gvk, t := range legacyscheme.Scheme.AllKnownTypes() {
		if !enabled[gvk.GroupVersion()] || !isObject(t) || strings.HasSuffix(gvk.Kind, "List") {
			continue
		}
		rules, skipped, err := kindDefaults(gvk, t, defs)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", gvk, err)
		}
		name := gvk.GroupVersion().String() + "/" + gvk.Kind
		if len(rules) > 0 {
			f.Kinds[name] = rules
		}
		if len(skipped) > 0 {
			f.Skipped[name] = skipped
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(f); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// kubernetesVersion is the version of k8s.io/kubernetes this was built with.
func kubernetesVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, m := range info.Deps {
			if m.Path == "k8s.io/kubernetes" {
				return m.Version
			}
		}
	}
	return "unknown"
}

// servedVersions returns the group versions the API server serves unless
// told otherwise: their kinds are the ones a cluster has.
func servedVersions() map[schema.GroupVersion]bool {
	config := controlplane.DefaultAPIResourceConfigSource()
	served := map[schema.GroupVersion]bool{}
	for gv, on := range config.GroupVersionConfigs {
		served[gv] = served[gv] || on
	}
	for gvr, on := range config.ResourceConfigs {
		served[gvr.GroupVersion()] = served[gvr.GroupVersion()] || on
	}
	return served
}

// isObject reports whether t is the external type of an object kind: one
// with metadata.
func isObject(t reflect.Type) bool {
	meta, ok := t.FieldByName("ObjectMeta")
	return ok && meta.Type == reflect.TypeOf(metav1.ObjectMeta{}) && strings.HasPrefix(t.PkgPath(), "k8s.io/api/")
}

// slot is a scalar field of the probe that a default may depend on.
type slot struct {
	path   []string // its JSON path, "*" for a list's item
	steps  []int    // how to reach it: field indexes, -1 for a list's first item
	values []any    // what to set it to, in turn
	image  bool     // an image reference, whose values are images
}

// kindDefaults probes kind gvk of Go type t.
func kindDefaults(gvk schema.GroupVersionKind, t reflect.Type, defs map[string]common.OpenAPIDefinition) ([]Rule, []string, error) {
	p := prober{defs: defs}
	full := reflect.New(t)
	p.fill(full.Elem(), nil, nil, true)
	sparse := reflect.New(t)
	p.fill(sparse.Elem(), nil, nil, false)

	base, err := defaulted(full.Interface().(runtime.Object), schema.GroupVersion{}, nil, nil)
	if err != nil {
		return nil, nil, err
	}
	baseSparse, err := defaulted(sparse.Interface().(runtime.Object), schema.GroupVersion{}, nil, nil)
	if err != nil {
		return nil, nil, err
	}
	// What the conversion adds, to the probe and the sparse probe. (What
	// it changes is of objects the server would refuse: the probe sets
	// every field at once.)
	converted, err := defaulted(full.Interface().(runtime.Object), gvk.GroupVersion(), nil, nil)
	if err != nil {
		return nil, nil, err
	}
	convertedSparse, err := defaulted(sparse.Interface().(runtime.Object), gvk.GroupVersion(), nil, nil)
	if err != nil {
		return nil, nil, err
	}
	probe, err := leaves(full.Interface().(runtime.Object))
	if err != nil {
		return nil, nil, err
	}

	// outcomes[default][slot index][value index]: the default's value (nil:
	// absent) with the slot set so.
	type variant struct {
		slot  int
		value int
		got   map[string]json.RawMessage
	}
	var variants []variant
	for i, s := range p.slots {
		for j, v := range s.values {
			got, err := defaulted(full.Interface().(runtime.Object), schema.GroupVersion{}, s.steps, v)
			if err != nil {
				return nil, nil, err
			}
			variants = append(variants, variant{i, j, got})
		}
	}

	// Every field a default sets in the base probe or in a variant.
	candidates := map[string]bool{}
	for k, v := range base {
		if !bytes.Equal(probe[k], v) {
			candidates[k] = true
		}
	}
	for _, v := range variants {
		for k, x := range v.got {
			if !bytes.Equal(probe[k], x) && k != pathKey(p.slots[v.slot].path) {
				candidates[k] = true
			}
		}
	}

	var rules []Rule
	var skipped []string
	for _, key := range slices.Sorted(maps.Keys(candidates)) {
		path := splitKey(key)
		if path[0] == "status" || path[0] == "metadata" {
			// The server keeps the stored status on an update, and sets no
			// metadata by defaulting.
			continue
		}
		if isTime(base[key]) {
			skipped = append(skipped, strings.Join(path, "/")+": set to the time of the write")
			continue
		}
		// Which slots change this default?
		deps := map[int]bool{}
		for _, v := range variants {
			if sp := p.slots[v.slot].path; len(sp) <= len(path) && slices.Equal(sp, path[:len(sp)]) {
				// The field itself, or what holds it.
				continue
			}
			if !bytes.Equal(v.got[key], base[key]) {
				deps[v.slot] = true
			}
		}
		r := Rule{Path: path, Value: base[key], Create: baseSparse[key] != nil}
		if bytes.Equal(base[key], probe[key]) {
			// The probe's own value: no default, unless a case sets one.
			r.Value = nil
		}
		switch len(deps) {
		case 0:
			if r.Value == nil {
				continue // set only where the probe is emptied above it
			}
		case 1:
			var s int
			for s = range deps {
			}
			outcome := map[int]json.RawMessage{}
			for _, v := range variants {
				if v.slot == s {
					outcome[v.value] = v.got[key]
				}
			}
			var why string
			r, why = dependentRule(r, path, p.slots[s], outcome)
			if why != "" {
				skipped = append(skipped, strings.Join(path, "/")+": "+why)
				continue
			}
			// Does the server create the field's parents where the case
			// sets it? The sparse probe, with the slot set so, says.
			if r.By == ByCases || r.By == ByPresence {
				for j, v := range p.slots[s].values {
					if outcome[j] == nil || r.Create {
						continue
					}
					got, err := defaulted(sparse.Interface().(runtime.Object), schema.GroupVersion{}, p.slots[s].steps, v)
					if err != nil {
						return nil, nil, err
					}
					r.Create = got[key] != nil
				}
			}
		default:
			var names []string
			for s := range deps {
				names = append(names, strings.Join(p.slots[s].path, "/"))
			}
			slices.Sort(names)
			skipped = append(skipped, strings.Join(path, "/")+": depends on "+strings.Join(names, ", "))
			continue
		}
		rules = append(rules, r)
	}
	for _, key := range slices.Sorted(maps.Keys(converted)) {
		path := splitKey(key)
		if _, seen := base[key]; seen || len(path) == 1 || path[0] == "status" || path[0] == "metadata" {
			// Set by the defaulters, or the object's own apiVersion and
			// kind, or kept from the stored object.
			continue
		}
		rules = append(rules, Rule{Path: path, Value: converted[key], Create: convertedSparse[key] != nil})
	}
	slices.SortFunc(rules, func(a, b Rule) int { return slices.Compare(a.Path, b.Path) })
	return rules, skipped, nil
}

// dependentRule writes the default at path, which changes with slot s as
// outcome says (by the index of the value set), as a rule; or says why it
// cannot.
func dependentRule(r Rule, path []string, s slot, outcome map[int]json.RawMessage) (Rule, string) {
	from, ok := relative(path, s.path)
	if !ok {
		return r, "depends on " + strings.Join(s.path, "/") + ", in another item of a list"
	}
	r.From = from
	if len(s.values) == 1 && s.values[0] == absent {
		r.By, r.Cases = ByPresence, map[string]json.RawMessage{"absent": outcome[0]}
		if outcome[0] == nil {
			r.Cases["absent"] = json.RawMessage("null")
		}
		return r, ""
	}
	values := make([]json.RawMessage, len(s.values))
	for i, v := range s.values {
		values[i], _ = json.Marshal(v)
	}
	copies := true
	for i := range s.values {
		copies = copies && bytes.Equal(outcome[i], values[i])
	}
	if copies {
		r.By, r.Value = ByCopy, nil
		return r, ""
	}
	if s.image {
		latest, other, ok := byTag(s, outcome)
		if ok {
			r.By, r.Value = ByImageTag, nil
			r.Cases = map[string]json.RawMessage{"latest": latest, "other": other}
			r.Create = false
			return r, ""
		}
	}
	r.By, r.Cases = ByCases, map[string]json.RawMessage{}
	for i := range s.values {
		if !bytes.Equal(outcome[i], r.Value) {
			if outcome[i] == nil {
				r.Cases[string(values[i])] = json.RawMessage("null")
			} else {
				r.Cases[string(values[i])] = outcome[i]
			}
		}
	}
	return r, ""
}

// byTag reports whether the outcome of setting image slot s is explained
// by the image's tag alone: one value for latest or no tag, another for the
// rest.
func byTag(s slot, outcome map[int]json.RawMessage) (latest, other json.RawMessage, ok bool) {
	for i, v := range s.values {
		if imageTagLatest(v.(string)) {
			if latest == nil {
				latest = outcome[i]
			} else if !bytes.Equal(outcome[i], latest) {
				return nil, nil, false
			}
		} else if other == nil {
			other = outcome[i]
		} else if !bytes.Equal(outcome[i], other) {
			return nil, nil, false
		}
	}
	return latest, other, latest != nil && other != nil
}

// imageTagLatest reports whether an image reference has the tag latest or
// none (which pulls latest). drift's reading of a tag must agree.
func imageTagLatest(image string) bool {
	if strings.Contains(image, "@") {
		return false
	}
	name := image[strings.LastIndex(image, "/")+1:]
	i := strings.LastIndex(name, ":")
	return i < 0 || name[i+1:] == "latest"
}

// relative writes the path of the field a default at path depends on as a
// path from the default's parent, or says no when it runs through a list
// the default is not in.
func relative(path, dep []string) ([]string, bool) {
	common := 0
	for common < len(path)-1 && common < len(dep) && path[common] == dep[common] {
		common++
	}
	if slices.Contains(dep[common:], "*") {
		return nil, false
	}
	var from []string
	for range len(path) - 1 - common {
		from = append(from, "..")
	}
	return append(from, dep[common:]...), true
}

// defaulted runs the registered defaulters on a copy of obj, with the slot
// at steps set to value when steps is not nil, and returns the scalar
// leaves of the outcome by path. Given the object's group version gv, it
// then converts the object to the internal version the API server stores
// and back, as the server does: the conversion sets fields of its own (a
// StatefulSet's claim templates' apiVersion and kind).
func defaulted(obj runtime.Object, gv schema.GroupVersion, steps []int, value any) (map[string]json.RawMessage, error) {
	obj = obj.DeepCopyObject()
	if steps != nil {
		set(reflect.ValueOf(obj).Elem(), steps, value)
	}
	legacyscheme.Scheme.Default(obj)
	if gv.Empty() {
		return leaves(obj)
	}
	internal, err := legacyscheme.Scheme.ConvertToVersion(obj, schema.GroupVersion{Group: gv.Group, Version: runtime.APIVersionInternal})
	if err != nil {
		return nil, fmt.Errorf("convert to the internal version: %w", err)
	}
	if obj, err = legacyscheme.Scheme.ConvertToVersion(internal, gv); err != nil {
		return nil, fmt.Errorf("convert back to %s: %w", gv, err)
	}
	return leaves(obj)
}

// leaves returns obj's scalar fields, and its lists of scalars, by path.
func leaves(obj runtime.Object) (map[string]json.RawMessage, error) {
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, err
	}
	out := map[string]json.RawMessage{}
	var walk func(path []string, v any)
	walk = func(path []string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				if k == mapKey {
					k = "*"
				}
				walk(append(slices.Clip(path), k), e)
			}
			// An empty object is no default: the server drops empty
			// fields, and drift takes an empty field for an absent one.
			return
		case []any:
			if len(v) == 0 {
				return
			}
			if slices.ContainsFunc(v, isCollection) {
				for _, e := range v {
					walk(append(slices.Clip(path), "*"), e)
				}
				return
			}
			// A list of scalars is one value, set whole.
		}
		data, _ := json.Marshal(v)
		out[pathKey(path)] = data
	}
	walk(nil, u)
	return out, nil
}

func isCollection(v any) bool {
	switch v.(type) {
	case map[string]any, []any:
		return true
	}
	return false
}

// isTime reports whether a default is a time, which the server sets to the
// time it writes the object.
func isTime(v json.RawMessage) bool {
	var s string
	if json.Unmarshal(v, &s) != nil {
		return false
	}
	_, err := time.Parse(time.RFC3339, s)
	return err == nil
}

func pathKey(path []string) string { return strings.Join(path, "\x00") }
func splitKey(key string) []string { return strings.Split(key, "\x00") }
