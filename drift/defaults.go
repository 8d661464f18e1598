package drift

import (
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
	utiljson "k8s.io/apimachinery/pkg/util/json"
	utilversion "k8s.io/apimachinery/pkg/util/version"
	"k8s.io/apimachinery/pkg/version"

	"github.com/kubedrift/kubedrift/drift/ignore"
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
	kinds      map[schema.GroupVersionKind]*defaultsNode
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
// knows for built-in kinds (v1.37.2). It reads that alone, for --help:
// the defaults themselves are read when offline mode first needs them.
var DefaultsVersion = sync.OnceValue(func() string {
	var file struct {
		Kubernetes string `json:"kubernetes"`
	}
	_ = json.Unmarshal(defaultsJSON, &file) // the file is tested
	return file.Kubernetes
})

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
	d := &builtinDefaults{kubernetes: file.Kubernetes, kinds: map[schema.GroupVersionKind]*defaultsNode{}}
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
		var list []*defaultRule
		for _, r := range rules {
			rule := defaultRule{path: r.Path, from: r.From, by: r.By, create: r.Create, has: len(r.Value) > 0}
			if len(r.Path) == 0 {
				return nil, fmt.Errorf("kind %q: a rule without a path", name)
			}
			switch r.By {
			case defaultByCopy, defaultByCases, defaultByImageTag, defaultByPresence:
			case "":
				if r.From != nil {
					return nil, fmt.Errorf("kind %q, %s: depends on %s, but says not how", name, strings.Join(r.Path, "/"), strings.Join(r.From, "/"))
				}
			default:
				return nil, fmt.Errorf("kind %q, %s: unknown rule %q", name, strings.Join(r.Path, "/"), r.By)
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
			list = append(list, &rule)
		}
		// The defaults that depend on another field come after those that
		// do not, as that field may be one of them (a Service's session
		// affinity, itself defaulted).
		slices.SortStableFunc(list, func(a, b *defaultRule) int {
			return cmp.Compare(min(len(a.from), 1), min(len(b.from), 1))
		})
		tree := &defaultsNode{}
		for _, r := range list {
			tree.add(r, 0)
		}
		d.kinds[gvk] = tree
	}
	return d, nil
}

// jsonValue decodes a default as unstructured objects hold it: whole
// numbers as int64 (apimachinery's JSON decoding does that).
func jsonValue(data json.RawMessage) (any, error) {
	var v any
	err := utiljson.Unmarshal(data, &v)
	return v, err
}

// defaultsNode holds a kind's defaults below one path of its objects: the
// rules for the fields of the map there (those that depend on no other
// field first), and the nodes below, by field name, "*" for each item of a
// list or value of a map. A walk of an object down the tree visits each
// map once, however many defaults it has.
type defaultsNode struct {
	rules    []*defaultRule
	children map[string]*defaultsNode
	order    []string // children's names, sorted
	// create: a rule below creates its missing parents.
	create bool
}

// add puts r, which sets the field at r.path[depth:] below n, in the tree.
func (n *defaultsNode) add(r *defaultRule, depth int) {
	n.create = n.create || r.create
	if depth == len(r.path)-1 {
		n.rules = append(n.rules, r)
		return
	}
	seg := r.path[depth]
	child, ok := n.children[seg]
	if !ok {
		if n.children == nil {
			n.children = map[string]*defaultsNode{}
		}
		child = &defaultsNode{}
		n.children[seg] = child
		n.order = append(n.order, seg)
		slices.Sort(n.order)
	}
	child.add(r, depth+1)
}

// setDefaults sets in want, a built-in object of kind gvk after the apply's
// merge, what the API server's defaulting would set, and returns the
// fields it set (JSON pointers). It sets nothing inside a map that is as
// live has it: the server has defaulted live already, so a default live
// lacks there is one the server does not set (another version's, or one
// whose condition does not hold), and the merge left that map alone.
func setDefaults(gvk schema.GroupVersionKind, want, live map[string]any) []string {
	tree := loadDefaults().kinds[gvk]
	if tree == nil {
		return nil
	}
	var d defaulter
	d.visit(tree, want, live, nil, "")
	return d.set
}

// defaulter walks an object down a kind's defaults.
type defaulter struct {
	set []string
	// creating: the walk is in parents it created, where only the rules
	// that create their parents apply. A default that depends on a field
	// is then set only where that field is there: the server creates
	// parents for the field's sake (a Service's session affinity config
	// for ClientIP), not for its absence.
	creating bool
}

// visit sets the defaults of n in v, the value at n's path (pointer: its
// JSON pointer), whose counterpart in live is at; nodes are the values on
// the way down to v.
func (d *defaulter) visit(n *defaultsNode, v, at any, nodes []any, pointer string) {
	nodes = append(nodes, v)
	switch v := v.(type) {
	case []any:
		star := n.children["*"]
		if star == nil {
			return
		}
		l, _ := at.([]any)
		for i, e := range v {
			var le any
			if len(l) == len(v) {
				le = l[i]
			}
			d.visit(star, e, le, nodes, fmt.Sprintf("%s/%d", pointer, i))
		}
	case map[string]any:
		l, _ := at.(map[string]any)
		if len(n.rules) > 0 && !reflect.DeepEqual(v, at) {
			for _, r := range n.rules {
				field := r.path[len(r.path)-1]
				if _, set := v[field]; set || (d.creating && !r.create) {
					continue
				}
				if value, ok := d.value(r, nodes); ok {
					v[field] = value
					d.set = append(d.set, pointer+ignore.FormatPointer([]string{field}))
				}
			}
		}
		for _, seg := range n.order {
			child := n.children[seg]
			if seg == "*" {
				for k, e := range v {
					d.visit(child, e, l[k], nodes, pointer+ignore.FormatPointer([]string{k}))
				}
				continue
			}
			if cv, ok := v[seg]; ok && cv != nil {
				d.visit(child, cv, l[seg], nodes, pointer+ignore.FormatPointer([]string{seg}))
				continue
			}
			if !child.create || (len(child.order) == 1 && child.order[0] == "*" && len(child.rules) == 0) {
				continue
			}
			// The server creates the parent to hold a default; if none is
			// set in it after all, it is not created.
			created := map[string]any{}
			v[seg] = created
			creating := d.creating
			d.creating = true
			d.visit(child, created, nil, nodes, pointer+ignore.FormatPointer([]string{seg}))
			d.creating = creating
			if len(created) == 0 {
				delete(v, seg)
			}
		}
	}
}

// value is r's default for the field whose parent is the last of nodes.
func (d *defaulter) value(r *defaultRule, nodes []any) (any, bool) {
	if r.from == nil {
		return runtime.DeepCopyJSONValue(r.value), r.has
	}
	src, found := lookup(nodes, r.from)
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

// lookup follows the path from, ".." going up, from the last of nodes.
func lookup(nodes []any, from []string) (any, bool) {
	i := len(nodes) - 1
	cur := nodes[i]
	for _, seg := range from {
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
