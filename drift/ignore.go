package drift

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"unicode"

	"go.yaml.in/yaml/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
	smdvalue "sigs.k8s.io/structured-merge-diff/v6/value"
)

// ignoreConfigName is the name of the rule file FindConfig looks for.
const ignoreConfigName = ".kubedrift.yaml"

// IgnoreRules are the fields left out of every comparison, as a
// .kubedrift.yaml file declares them:
//
//	ignore:
//	  - group: apps                 # selectors, all optional
//	    kind: Deployment
//	    namespace: "shop-*"
//	    name: web
//	    paths:                      # JSON pointers
//	      - /spec/replicas
//	      - /spec/template/spec/containers/*/image
//	      - /metadata/annotations/example.com~1note
//	  - kind: "*"
//	    managers: [kube-controller-manager, "hpa-*"]
//
// The file has one key, ignore, holding a list of rules; an empty file has no
// rules. Each rule has up to four selectors, each a glob as path.Match reads
// it, matched case-sensitively against the object: group (the empty string
// is the core group), kind, namespace (the empty string is a cluster-scoped
// object) and name. An omitted selector matches anything, and a rule applies
// to an object when all of its selectors match. A rule needs paths, managers
// or both:
//
//   - paths are JSON pointers (RFC 6901) into the object: "~1" stands for "/"
//     and "~0" for "~" in a key, a number indexes a list, and a "*" step
//     matches every element of a list or every key of a map. A pointer that
//     matches nothing is not an error, since a field may come and go.
//   - managers are field manager names, globs too. Every field that a
//     matching manager owns in the live object's managedFields, through an
//     Update or an Apply, is ignored, through the status subresource too
//     (a controller's metadata writes go there; status is never compared).
//
// An ignored field is removed from both the live and the desired object, so
// it changes neither the verdict nor the diff. A map or list that removal
// leaves empty goes too, or an empty one on one side and none on the other
// would read as drift.
//
// A nil *IgnoreRules ignores nothing. Rules never change once parsed, so one
// value may serve many goroutines.
type IgnoreRules struct {
	rules []ignoreRule
}

// ignoreRule is one entry of the ignore list.
type ignoreRule struct {
	group, kind, namespace, name ignoreGlob
	// paths are parsed JSON pointers: unescaped reference tokens, where "*"
	// matches any key or index.
	paths    [][]string
	managers []string
	// preset names a built-in rule (presets.yaml), and description says
	// what it is for; both are empty for a user's rule.
	preset, description string
}

// ignoreGlob is an optional selector: a nil one matches anything.
type ignoreGlob *string

func ignoreGlobMatches(g ignoreGlob, s string) bool {
	if g == nil {
		return true
	}
	ok, _ := path.Match(*g, s) // checked when parsed
	return ok
}

func (r *ignoreRule) matches(ref Ref) bool {
	return ignoreGlobMatches(r.group, ref.Group) &&
		ignoreGlobMatches(r.kind, ref.Kind) &&
		ignoreGlobMatches(r.namespace, ref.Namespace) &&
		ignoreGlobMatches(r.name, ref.Name)
}

// LoadIgnoreRules reads a .kubedrift.yaml file.
func LoadIgnoreRules(path string) (*IgnoreRules, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read ignore rules: %w", err)
	}
	return ParseIgnoreRules(path, data)
}

// FindConfig looks for .kubedrift.yaml in dir and its parents, returning ""
// when there is none. dir may also be a manifest file, whose directory is
// searched first.
func FindConfig(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		candidate := filepath.Join(dir, ignoreConfigName)
		info, err := os.Stat(candidate)
		switch {
		case err == nil && info.IsDir():
			// Better to say so than to skip it and pick up a file further
			// up that the user did not mean.
			return "", fmt.Errorf("%s is a directory, not a rule file", candidate)
		case err == nil:
			return candidate, nil
		case !errors.Is(err, os.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR):
			return "", err
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", nil
		}
		dir = parent
	}
}

// ParseIgnoreRules parses the content of a rule file; name is used in errors.
// Every mistake in the file is reported, each as "name:line: message".
func ParseIgnoreRules(name string, data []byte) (*IgnoreRules, error) {
	p := ignoreParser{file: name}
	return p.parse(data)
}

func (p *ignoreParser) parse(data []byte) (*IgnoreRules, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		return &IgnoreRules{}, nil
	} else if err != nil {
		return nil, p.syntaxError(err)
	}
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		return nil, p.errorAt(&next, "a rule file holds one YAML document; remove the second")
	} else if !errors.Is(err, io.EOF) {
		return nil, p.syntaxError(err)
	}
	rules := p.document(&doc)
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	return &IgnoreRules{rules: rules}, nil
}

// ignoreParser walks a rule file's YAML nodes, which carry the line numbers
// that decoding into structs would lose.
type ignoreParser struct {
	file string
	errs []error
	// presets reads presets.yaml, whose rules have a name and a
	// description too.
	presets bool
}

func (p *ignoreParser) errorAt(n *yaml.Node, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s", p.file, n.Line, fmt.Sprintf(format, args...))
}

func (p *ignoreParser) fail(n *yaml.Node, format string, args ...any) {
	p.errs = append(p.errs, p.errorAt(n, format, args...))
}

// syntaxError rewrites the YAML parser's "yaml: line 3: msg" as "file:3: msg".
func (p *ignoreParser) syntaxError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, text, ok := strings.Cut(rest, ": "); ok {
			if line, convErr := strconv.Atoi(num); convErr == nil {
				return fmt.Errorf("%s:%d: %s", p.file, line, text)
			}
		}
	}
	return fmt.Errorf("%s: %s", p.file, msg)
}

func (p *ignoreParser) document(doc *yaml.Node) []ignoreRule {
	if len(doc.Content) == 0 {
		return nil
	}
	root := ignoreResolve(doc.Content[0])
	if ignoreIsNull(root) {
		return nil
	}
	var rules []ignoreRule
	for _, kv := range p.mapping(root, "top level", "ignore") {
		list := ignoreResolve(kv[1])
		if ignoreIsNull(list) {
			continue
		}
		if list.Kind != yaml.SequenceNode {
			p.fail(list, "ignore: want a list of rules, got %s", ignoreDescribe(list))
			continue
		}
		for _, item := range list.Content {
			if rule, ok := p.rule(ignoreResolve(item)); ok {
				rules = append(rules, rule)
			}
		}
	}
	return rules
}

// mapping returns the key and value nodes of the mapping n, reporting
// duplicate keys and keys other than known. what names n in errors.
func (p *ignoreParser) mapping(n *yaml.Node, what string, known ...string) [][2]*yaml.Node {
	if n.Kind != yaml.MappingNode {
		p.fail(n, "%s: want a mapping, got %s", what, ignoreDescribe(n))
		return nil
	}
	var out [][2]*yaml.Node
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := ignoreResolve(n.Content[i]), n.Content[i+1]
		switch {
		case k.Kind != yaml.ScalarNode:
			p.fail(k, "%s: want a key, got %s", what, ignoreDescribe(k))
		case !slices.Contains(known, k.Value):
			p.fail(k, "unknown key %q (want %s)", k.Value, ignoreOrList(known))
		case seen[k.Value] != 0:
			p.fail(k, "%s given twice (first at line %d)", k.Value, seen[k.Value])
		default:
			seen[k.Value] = k.Line
			out = append(out, [2]*yaml.Node{k, v})
		}
	}
	return out
}

func (p *ignoreParser) rule(n *yaml.Node) (ignoreRule, bool) {
	errs := len(p.errs)
	var r ignoreRule
	keys := []string{"group", "kind", "namespace", "name", "paths", "managers"}
	if p.presets {
		keys = append(keys, "preset", "description")
	}
	for _, kv := range p.mapping(n, "rule", keys...) {
		key, v := kv[0].Value, ignoreResolve(kv[1])
		switch key {
		case "preset":
			r.preset = v.Value
		case "description":
			r.description = v.Value
		case "group", "namespace":
			// The empty string means something here: the core group, a
			// cluster-scoped object.
			r.setGlob(key, p.glob(key, v, true))
		case "kind", "name":
			r.setGlob(key, p.glob(key, v, false))
		case "paths":
			for _, item := range p.stringList(key, v) {
				tokens, err := parseIgnorePointer(item.Value)
				if err != nil {
					p.fail(item, "path %q: %v", item.Value, err)
					continue
				}
				r.paths = append(r.paths, tokens)
			}
		case "managers":
			for _, item := range p.stringList(key, v) {
				if g := p.glob("managers", item, false); g != nil {
					r.managers = append(r.managers, *g)
				}
			}
		}
	}
	if len(p.errs) > errs {
		return r, false
	}
	if len(r.paths) == 0 && len(r.managers) == 0 {
		p.fail(n, "rule has neither paths nor managers, so it would ignore nothing")
		return r, false
	}
	return r, true
}

func (r *ignoreRule) setGlob(key string, g ignoreGlob) {
	switch key {
	case "group":
		r.group = g
	case "kind":
		r.kind = g
	case "namespace":
		r.namespace = g
	case "name":
		r.name = g
	}
}

// glob returns the pattern in the string node n, or nil after reporting
// what is wrong with it.
func (p *ignoreParser) glob(key string, n *yaml.Node, emptyOK bool) ignoreGlob {
	if !ignoreIsString(n) {
		p.fail(n, "%s: want a string, got %s", key, ignoreDescribe(n))
		return nil
	}
	if n.Value == "" && !emptyOK {
		p.fail(n, "%s: empty; leave the key out to match any", key)
		return nil
	}
	if _, err := path.Match(n.Value, ""); err != nil {
		p.fail(n, "%s: bad glob %q: %v", key, n.Value, err)
		return nil
	}
	s := n.Value
	return &s
}

// stringList returns the string items of the list node n, reporting the others.
func (p *ignoreParser) stringList(key string, n *yaml.Node) []*yaml.Node {
	if n.Kind != yaml.SequenceNode {
		p.fail(n, "%s: want a list, got %s", key, ignoreDescribe(n))
		return nil
	}
	var out []*yaml.Node
	for _, item := range n.Content {
		item = ignoreResolve(item)
		if !ignoreIsString(item) {
			p.fail(item, "%s: want a string, got %s", key, ignoreDescribe(item))
			continue
		}
		out = append(out, item)
	}
	return out
}

func ignoreResolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func ignoreIsNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func ignoreIsString(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str"
}

// ignoreDescribe names the type of a node for an error message.
func ignoreDescribe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str":
			return "a string"
		case "!!null":
			return "nothing"
		case "!!int", "!!float":
			return fmt.Sprintf("the number %s (quote it to make it a string)", ignoreShow(n.Value))
		case "!!bool":
			return fmt.Sprintf("the boolean %s (quote it to make it a string)", ignoreShow(n.Value))
		}
		return fmt.Sprintf("%s %s", ignoreShow(n.ShortTag()), ignoreShow(n.Value))
	}
	return "an alias"
}

// ignoreShow writes a scalar for an error message as it is, or quoted when
// it spans lines or holds what a terminal would not show (a block scalar
// tagged !!int), so that every line of the error still names the file.
func ignoreShow(v string) string {
	if strings.IndexFunc(v, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return strconv.Quote(v)
	}
	return v
}

// ignoreOrList joins words as "a, b or c".
func ignoreOrList(words []string) string {
	if len(words) == 1 {
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// parseIgnorePointer splits a JSON pointer into its unescaped reference
// tokens.
func parseIgnorePointer(s string) ([]string, error) {
	if !strings.HasPrefix(s, "/") {
		return nil, errors.New(`a JSON pointer starts with "/"`)
	}
	tokens := strings.Split(s[1:], "/")
	for i, t := range tokens {
		for j := 0; j < len(t); j++ {
			if t[j] == '~' && (j+1 == len(t) || (t[j+1] != '0' && t[j+1] != '1')) {
				return nil, errors.New(`"~" must be followed by 0 or 1 ("~0" is "~", "~1" is "/")`)
			}
		}
		// RFC 6901 order: "~01" is "~1", not "/".
		tokens[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
	}
	return tokens, nil
}

// escapeIgnoreToken escapes a key for a JSON pointer.
func escapeIgnoreToken(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// Apply removes, from live and want (copies owned by the caller, either may
// be nil), every field that a rule matching ref ignores, and returns the JSON
// pointers it removed (for reports: "ignored: /spec/replicas"). managedFields
// are the live object's, taken before it was stripped; a rule that ignores a
// field manager removes the fields that manager owns in live, from both live
// and want.
//
// The pointers are sorted, name list elements by their index before
// removal, and leave out a field whose parent is itself listed. An index may
// differ between live and want, and then both are listed.
func (r *IgnoreRules) Apply(ref Ref, live, want *unstructured.Unstructured, managedFields []metav1.ManagedFieldsEntry) []string {
	if r == nil {
		return nil
	}
	var paths [][]string
	var managers []string
	for i := range r.rules {
		if r.rules[i].matches(ref) {
			paths = append(paths, r.rules[i].paths...)
			managers = append(managers, r.rules[i].managers...)
		}
	}
	if len(paths) == 0 && len(managers) == 0 {
		return nil
	}
	owned := ignoreOwnedFields(managedFields, managers)
	removed := map[string]bool{}
	for _, obj := range []*unstructured.Unstructured{live, want} {
		if obj == nil || obj.Object == nil {
			continue
		}
		// Fields are first marked and only then deleted, so that a list
		// element removed by one rule does not shift the indexes the next
		// rule sees.
		for _, tokens := range paths {
			ignoreMarkPointer(obj.Object, tokens, "", removed)
		}
		if owned != nil {
			ignoreMarkOwned(obj.Object, owned, "", nil, removed)
		}
		ignoreSweep(obj.Object)
	}
	return ignoreReport(removed)
}

// ignoreOwnedFields returns the union of the fields that the managers matching one
// of the globs own through an Update or an Apply, or nil for none.
func ignoreOwnedFields(entries []metav1.ManagedFieldsEntry, managers []string) *fieldpath.Set {
	if len(managers) == 0 {
		return nil
	}
	owned := &fieldpath.Set{}
	for _, e := range entries {
		// Status entries count too: a controller writes metadata through
		// them (the deployment controller's revision annotation is owned
		// by its status entry), and a rule for that controller means
		// those fields. What they own of status is never compared anyway.
		if e.FieldsV1 == nil ||
			(e.Operation != metav1.ManagedFieldsOperationApply && e.Operation != metav1.ManagedFieldsOperationUpdate) ||
			(e.FieldsType != "" && e.FieldsType != "FieldsV1") ||
			!slices.ContainsFunc(managers, func(g string) bool { return ignoreGlobMatches(&g, e.Manager) }) {
			continue
		}
		var set fieldpath.Set
		if err := set.FromJSON(bytes.NewReader(e.FieldsV1.GetRawBytes())); err != nil {
			// The API server wrote it, so this does not happen; an entry
			// that cannot be read owns nothing we can name.
			continue
		}
		owned = owned.Union(&set)
	}
	if owned.Empty() {
		return nil
	}
	return owned
}

// ignoredMark takes the place of a value to be removed until ignoreSweep
// deletes it.
type ignoredMark struct{}

func ignoreIsMarked(v any) bool {
	_, ok := v.(ignoredMark)
	return ok
}

// ignoreSlot is a place in a map or a list that holds a value.
type ignoreSlot struct {
	m   map[string]any
	key string
	l   []any
	i   int
	at  string // JSON pointer
}

func (s ignoreSlot) get() any {
	if s.m != nil {
		return s.m[s.key]
	}
	return s.l[s.i]
}

func (s ignoreSlot) mark(removed map[string]bool) {
	if s.m != nil {
		s.m[s.key] = ignoredMark{}
	} else {
		s.l[s.i] = ignoredMark{}
	}
	removed[s.at] = true
}

// ignoreChildren returns the slots of container v that the reference token tok
// names, with "*" naming them all. at is v's pointer.
func ignoreChildren(v any, tok, at string) []ignoreSlot {
	var out []ignoreSlot
	switch c := v.(type) {
	case map[string]any:
		if tok != "*" {
			if child, ok := c[tok]; ok && !ignoreIsMarked(child) {
				out = append(out, ignoreSlot{m: c, key: tok, at: at + "/" + escapeIgnoreToken(tok)})
			}
			return out
		}
		for k, child := range c {
			if !ignoreIsMarked(child) {
				out = append(out, ignoreSlot{m: c, key: k, at: at + "/" + escapeIgnoreToken(k)})
			}
		}
	case []any:
		for i, child := range c {
			if ignoreIsMarked(child) || (tok != "*" && tok != strconv.Itoa(i)) {
				continue
			}
			out = append(out, ignoreSlot{l: c, i: i, at: at + "/" + strconv.Itoa(i)})
		}
	}
	return out
}

// ignoreMarkPointer marks what the pointer tokens name under the container v.
func ignoreMarkPointer(v any, tokens []string, at string, removed map[string]bool) {
	for _, s := range ignoreChildren(v, tokens[0], at) {
		if len(tokens) == 1 {
			s.mark(removed)
		} else {
			ignoreMarkPointer(s.get(), tokens[1:], s.at, removed)
		}
	}
}

// ignoreMarkOwned marks the fields of set under the container v. keys are the
// merge keys of the list element v is: they stay as long as any field of the
// element does, because an element without its key would be a different
// element, and one that another manager still has fields in.
func ignoreMarkOwned(v any, set *fieldpath.Set, at string, keys []string, removed map[string]bool) {
	set.Members.Iterate(func(pe fieldpath.PathElement) {
		if _, ok := set.Children.Get(pe); ok {
			return // below, after its children
		}
		if pe.FieldName != nil && slices.Contains(keys, *pe.FieldName) {
			return
		}
		for _, s := range ignoreLocate(v, pe, at) {
			s.mark(removed)
		}
	})
	set.Children.Iterate(func(pe fieldpath.PathElement) {
		child, _ := set.Children.Get(pe)
		owner := set.Members.Has(pe) // the manager owns the field itself ("."), not only its children
		var childKeys []string
		if pe.Key != nil {
			for _, f := range *pe.Key {
				childKeys = append(childKeys, f.Name)
			}
		}
		for _, s := range ignoreLocate(v, pe, at) {
			switch s.get().(type) {
			case map[string]any, []any:
				ignoreMarkOwned(s.get(), child, s.at, childKeys, removed)
				if owner && pe.Key != nil && ignoreOnlyKeysLeft(s.get(), childKeys) {
					s.mark(removed)
				}
			default:
				if owner {
					s.mark(removed)
				}
			}
		}
	})
}

// ignoreLocate returns the slots of container v that the fieldsV1 path element pe
// names: a map key (f:), the list elements whose merge keys (k:) or value
// (v:) match, or a list index (i:).
func ignoreLocate(v any, pe fieldpath.PathElement, at string) []ignoreSlot {
	switch {
	case pe.FieldName != nil:
		if _, ok := v.(map[string]any); ok {
			return ignoreChildren(v, *pe.FieldName, at)
		}
	case pe.Index != nil:
		if _, ok := v.([]any); ok {
			return ignoreChildren(v, strconv.Itoa(*pe.Index), at)
		}
	case pe.Key != nil, pe.Value != nil:
		if _, ok := v.([]any); !ok {
			return nil
		}
		var out []ignoreSlot
		for _, s := range ignoreChildren(v, "*", at) {
			if (pe.Key != nil && ignoreKeyMatches(s.get(), *pe.Key)) || (pe.Value != nil && ignoreValueEquals(s.get(), *pe.Value)) {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// ignoreKeyMatches reports whether the list element elem has the merge key key.
func ignoreKeyMatches(elem any, key smdvalue.FieldList) bool {
	m, ok := elem.(map[string]any)
	if !ok {
		return false
	}
	for _, f := range key {
		v, ok := m[f.Name]
		if !ok || !ignoreValueEquals(v, f.Value) {
			return false
		}
	}
	return true
}

// ignoreValueEquals compares a scalar of an unstructured object with one
// from fieldsV1, which is all that merge keys and set elements hold. It takes
// 80 and 80.0 as equal, since a manifest read from YAML may hold either.
func ignoreValueEquals(v any, want smdvalue.Value) bool {
	switch v.(type) {
	case nil, bool, string, int, int32, int64, float32, float64:
		return smdvalue.Equals(smdvalue.NewValueInterface(v), want)
	}
	// A map or list, whose values could hold marks the value package
	// cannot read, or a mark itself.
	return false
}

// ignoreOnlyKeysLeft reports whether the map elem holds nothing but its merge keys,
// once marked fields are gone.
func ignoreOnlyKeysLeft(elem any, keys []string) bool {
	m, ok := elem.(map[string]any)
	if !ok {
		return false
	}
	for k, v := range m {
		if !ignoreIsMarked(v) && !slices.Contains(keys, k) {
			return false
		}
	}
	return true
}

// ignoreSweep deletes the marked values under v, and the maps and lists
// that deleting them left empty. It returns v's new value, and whether v
// itself was left empty and should go.
func ignoreSweep(v any) (any, bool) {
	lost := false
	switch c := v.(type) {
	case map[string]any:
		for k, child := range c {
			if ignoreIsMarked(child) {
				delete(c, k)
				lost = true
				continue
			}
			child, emptied := ignoreSweep(child)
			if emptied {
				delete(c, k)
				lost = true
				continue
			}
			c[k] = child
		}
		return c, lost && len(c) == 0
	case []any:
		kept := c[:0]
		for _, child := range c {
			if ignoreIsMarked(child) {
				lost = true
				continue
			}
			child, emptied := ignoreSweep(child)
			if emptied {
				lost = true
				continue
			}
			kept = append(kept, child)
		}
		clear(c[len(kept):])
		return kept, lost && len(kept) == 0
	}
	return v, false
}

// ignoreReport returns the removed pointers sorted, without those whose
// parent was removed too.
func ignoreReport(removed map[string]bool) []string {
	var out []string
	for p := range removed {
		covered := false
		for i := 1; i < len(p) && !covered; i++ {
			covered = p[i] == '/' && removed[p[:i]]
		}
		if !covered {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}
