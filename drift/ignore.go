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
