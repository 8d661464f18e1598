package drift

import (
	"bytes"
	"cmp"
	_ "embed"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilversion "k8s.io/apimachinery/pkg/util/version"
	"k8s.io/apimachinery/pkg/version"
)

// The defaults the API server sets on built-in kinds, for offline mode.
//
// defaults.json is generated (make generate) by tools/defaultsgen, which runs
// the API server's own defaulting functions, from the k8s.io/kubernetes
// version tools/go.mod pins, on probe objects of every kind the server
// serves. This package reads it; it cannot import k8s.io/kubernetes.
//
//go:embed defaults.json
var defaultsJSON []byte

// defaultRule is one default of a kind: the field at path ("*" for each
// item of a list or value of a map), when absent, gets value; or, when from
// names a field it depends on, what by says.
type defaultRule struct {
	path []string
	// value is the default; has says whether there is one (it may be
	// false or "").
	value any
	has   bool
	// from is the path from the field's parent to the field the default
	// depends on, ".." going up a level.
	from  []string
	by    string
	cases map[string]any
	// create: the server creates the field's missing parents too.
	create bool
}

// The ways a default depends on its from field (tools/defaultsgen).
const (
	defaultByCopy     = "copy"      // from's value
	defaultByCases    = "cases"     // cases[from's value as JSON], else value; a null case means none
	defaultByImageTag = "image-tag" // cases["latest"] for the tag latest or none, else cases["other"]
	defaultByPresence = "presence"  // value where from is there and not empty, else cases["absent"]
)

// builtinDefaults are the generated defaults, by kind, and the Kubernetes
// version they come from.
type builtinDefaults struct {
	kubernetes string
	kinds      map[schema.GroupVersionKind][]defaultRule
}

var loadDefaults = sync.OnceValue(func() *builtinDefaults {
	d, err := parseDefaults(defaultsJSON)
	if err != nil {
		// The file is generated and tested; a broken one is a build bug.
		panic(fmt.Sprintf("drift/defaults.json: %v", err))
	}
	return d
})

// DefaultsVersion is the Kubernetes version whose defaults offline mode
// knows for built-in kinds (v1.37.2).
func DefaultsVersion() string { return loadDefaults().kubernetes }

func parseDefaults(data []byte) (*builtinDefaults, error) {
	var file struct {
		Kubernetes string `json:"kubernetes"`
		Kinds      map[string][]struct {
			Path   []string                   `json:"path"`
			Value  json.RawMessage            `json:"value"`
			From   []string                   `json:"from"`
			By     string                     `json:"by"`
			Cases  map[string]json.RawMessage `json:"cases"`
			Create bool                       `json:"create"`
		} `json:"kinds"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		return nil, err
	}
	d := &builtinDefaults{kubernetes: file.Kubernetes, kinds: map[schema.GroupVersionKind][]defaultRule{}}
	for name, rules := range file.Kinds {
		i := strings.LastIndex(name, "/")
		if i < 0 {
			return nil, fmt.Errorf("kind %q: want group/version/Kind", name)
		}
		gv, err := schema.ParseGroupVersion(name[:i])
		if err != nil {
			return nil, fmt.Errorf("kind %q: %w", name, err)
		}
		gvk := gv.WithKind(name[i+1:])
		for _, r := range rules {
			rule := defaultRule{path: r.Path, from: r.From, by: r.By, create: r.Create, has: len(r.Value) > 0}
			if len(r.Path) == 0 {
				return nil, fmt.Errorf("kind %q: a rule without a path", name)
			}
			if rule.has {
				if rule.value, err = jsonValue(r.Value); err != nil {
					return nil, fmt.Errorf("kind %q, %s: %w", name, strings.Join(r.Path, "/"), err)
				}
			}
			if len(r.Cases) > 0 {
				rule.cases = map[string]any{}
				for k, v := range r.Cases {
					if rule.cases[k], err = jsonValue(v); err != nil {
						return nil, fmt.Errorf("kind %q, %s: %w", name, strings.Join(r.Path, "/"), err)
					}
				}
			}
			d.kinds[gvk] = append(d.kinds[gvk], rule)
		}
		// The defaults that depend on another field come after those that
		// do not, as that field may be one of them (a Deployment's
		// rollingUpdate by its strategy's type, itself defaulted).
		slices.SortStableFunc(d.kinds[gvk], func(a, b defaultRule) int {
			return cmp.Compare(min(len(a.from), 1), min(len(b.from), 1))
		})
	}
	return d, nil
}

// jsonValue decodes a default as unstructured objects hold it: whole
// numbers as int64.
func jsonValue(data json.RawMessage) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return numbers(v), nil
}

// numbers turns the json.Numbers in v into int64 or float64.
func numbers(v any) any {
	switch v := v.(type) {
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return i
		}
		f, _ := v.Float64()
		return f
	case map[string]any:
		for k, e := range v {
			v[k] = numbers(e)
		}
	case []any:
		for i, e := range v {
			v[i] = numbers(e)
		}
	}
	return v
}

// setDefaults sets in want, a built-in object of kind gvk after the apply's
// merge, what the API server's defaulting would set, and returns the
// fields it set (JSON pointers). It sets nothing inside a map that is as
// live has it: the server has defaulted live already, so a default live
// lacks there is one the server does not set (another version's, or one
// whose condition does not hold), and the merge left that map alone.
func setDefaults(gvk schema.GroupVersionKind, want, live map[string]any) []string {
	rules := loadDefaults().kinds[gvk]
	if len(rules) == 0 {
		return nil
	}
	d := defaulter{live: live}
	for i := range rules {
		d.rule = &rules[i]
		d.walk(want, live, 0, nil, "")
	}
	return d.set
}

// defaulter applies one rule at a time.
type defaulter struct {
	rule *defaultRule
	live map[string]any
	set  []string
	// creating: the walk is in parents it created. A default that depends
	// on a field is then set only where that field is there: the server
	// creates parents for the field's sake (a Service's session affinity
	// config for ClientIP), not for its absence.
	creating bool
}

// walk applies the rule below node, the value at the rule's path[:depth]
// (pointer: its JSON pointer), whose counterpart in live is at; nodes are
// the values on the way down.
func (d *defaulter) walk(node, at any, depth int, nodes []any, pointer string) {
	nodes = append(nodes, node)
	seg := d.rule.path[depth]
	last := depth == len(d.rule.path)-1
	if seg == "*" && !last {
		switch n := node.(type) {
		case []any:
			l, _ := at.([]any)
			for i, e := range n {
				var le any
				if len(l) == len(n) {
					le = l[i]
				}
				d.walk(e, le, depth+1, nodes, fmt.Sprintf("%s/%d", pointer, i))
			}
		case map[string]any:
			l, _ := at.(map[string]any)
			for k, e := range n {
				d.walk(e, l[k], depth+1, nodes, pointer+"/"+escapeIgnoreToken(k))
			}
		}
		return
	}
	m, ok := node.(map[string]any)
	if !ok {
		return
	}
	if last {
		if _, set := m[seg]; set || reflect.DeepEqual(node, at) {
			return
		}
		if v, ok := d.value(nodes); ok {
			m[seg] = v
			d.set = append(d.set, pointer+"/"+escapeIgnoreToken(seg))
		}
		return
	}
	l, _ := at.(map[string]any)
	child, ok := m[seg]
	if ok && child != nil {
		d.walk(child, l[seg], depth+1, nodes, pointer+"/"+escapeIgnoreToken(seg))
		return
	}
	if !d.rule.create || d.rule.path[depth+1] == "*" {
		return
	}
	// The server creates the parent to hold the default; if no default
	// is set in it after all, it is not created.
	created := map[string]any{}
	m[seg] = created
	creating := d.creating
	d.creating = true
	d.walk(created, nil, depth+1, nodes, pointer+"/"+escapeIgnoreToken(seg))
	d.creating = creating
	if len(created) == 0 {
		delete(m, seg)
	}
}

// value is the rule's default for the field whose parent is the last of
// nodes.
func (d *defaulter) value(nodes []any) (any, bool) {
	r := d.rule
	if r.from == nil {
		return runtime.DeepCopyJSONValue(r.value), r.has
	}
	src, found := d.lookup(nodes)
	if d.creating && !found {
		return nil, false
	}
	switch r.by {
	case defaultByCopy:
		return runtime.DeepCopyJSONValue(src), found
	case defaultByImageTag:
		image, _ := src.(string)
		if imageTagLatest(image) {
			v, ok := r.cases["latest"]
			return v, ok
		}
		v, ok := r.cases["other"]
		return v, ok
	case defaultByPresence:
		if found && !isEmpty(src) {
			return runtime.DeepCopyJSONValue(r.value), r.has
		}
		v := r.cases["absent"]
		return runtime.DeepCopyJSONValue(v), v != nil
	case defaultByCases:
		if found {
			key, err := json.Marshal(src)
			if err == nil {
				if v, ok := r.cases[string(key)]; ok {
					return runtime.DeepCopyJSONValue(v), v != nil
				}
			}
		}
		return runtime.DeepCopyJSONValue(r.value), r.has
	}
	return nil, false
}

// lookup follows the rule's from path from the last of nodes.
func (d *defaulter) lookup(nodes []any) (any, bool) {
	i := len(nodes) - 1
	cur := nodes[i]
	for _, seg := range d.rule.from {
		if seg == ".." {
			if i--; i < 0 {
				return nil, false
			}
			cur = nodes[i]
			continue
		}
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[seg]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// imageTagLatest reports whether an image reference pulls the tag latest:
// it names latest, or no tag and no digest. It reads a reference as the
// API server's defaulting does (tools/defaultsgen checks they agree).
func imageTagLatest(image string) bool {
	if strings.Contains(image, "@") {
		return false
	}
	name := image[strings.LastIndex(image, "/")+1:]
	i := strings.LastIndex(name, ":")
	return i < 0 || name[i+1:] == "latest"
}

// Versioned is what a LiveReader may also implement to tell the cluster's
// version, as its /version answers: offline mode then says so on an object
// whose drift lies in fields it filled in from the defaults of another
// minor version of Kubernetes than the cluster's.
type Versioned interface {
	ServerVersion() (*version.Info, error)
}

// clusterVersion reads the cluster's version once per check.
type clusterVersion struct {
	once    sync.Once
	version *utilversion.Version // nil when unknown
}

func (c *clusterVersion) get(live LiveReader) *utilversion.Version {
	c.once.Do(func() {
		v, ok := live.(Versioned)
		if !ok {
			return
		}
		info, err := v.ServerVersion()
		if err != nil {
			return
		}
		c.version, _ = utilversion.ParseGeneric(info.GitVersion)
	})
	return c.version
}

// defaultsSkewNote returns the note for a drifted object some of whose
// changes are fields offline mode set from the generated defaults (r's
// defaulted), when the cluster runs another minor version than the one
// they come from; "" otherwise.
func defaultsSkewNote(r *Result, cluster *utilversion.Version) string {
	if len(r.defaulted) == 0 || cluster == nil {
		return ""
	}
	ours, err := utilversion.ParseGeneric(DefaultsVersion())
	if err != nil || (ours.Major() == cluster.Major() && ours.Minor() == cluster.Minor()) {
		return ""
	}
	var fields []string
	for _, c := range r.Changes {
		if slices.Contains(r.defaulted, c.Pointer) {
			fields = append(fields, c.Path)
		}
	}
	if len(fields) == 0 {
		return ""
	}
	return fmt.Sprintf("offline mode took %s from the defaults of Kubernetes %d.%d; the cluster runs %d.%d, whose defaults may differ (--mode server asks the cluster)",
		strings.Join(fields, ", "), ours.Major(), ours.Minor(), cluster.Major(), cluster.Minor())
}
