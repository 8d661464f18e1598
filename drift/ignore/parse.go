package ignore

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"
)

// Parse parses the content of a rule file; name is used in errors.
// Every mistake in the file is reported, each as "name:line: message".
func Parse(name string, data []byte) (*Rules, error) {
	p := parser{file: name}
	return p.parse(data)
}

// ParsePresets parses built-in rules, which Parse would refuse: each has a
// preset (its name) and a description too.
func ParsePresets(name string, data []byte) (*Rules, error) {
	p := parser{file: name, presets: true}
	return p.parse(data)
}

func (p *parser) parse(data []byte) (*Rules, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		return &Rules{}, nil
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
	return &Rules{rules: rules}, nil
}

// parser walks a rule file's YAML nodes, which carry the line numbers
// that decoding into structs would lose.
type parser struct {
	file string
	errs []error
	// presets reads presets.yaml, whose rules have a name and a
	// description too.
	presets bool
}

func (p *parser) errorAt(n *yaml.Node, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s", p.file, n.Line, fmt.Sprintf(format, args...))
}

func (p *parser) fail(n *yaml.Node, format string, args ...any) {
	p.errs = append(p.errs, p.errorAt(n, format, args...))
}

// syntaxError rewrites the YAML parser's "yaml: line 3: msg" as "file:3: msg".
func (p *parser) syntaxError(err error) error {
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

func (p *parser) document(doc *yaml.Node) []Rule {
	if len(doc.Content) == 0 {
		return nil
	}
	root := resolve(doc.Content[0])
	if isNull(root) {
		return nil
	}
	var rules []Rule
	for _, kv := range p.mapping(root, "top level", "ignore") {
		list := resolve(kv[1])
		if isNull(list) {
			continue
		}
		if list.Kind != yaml.SequenceNode {
			p.fail(list, "ignore: want a list of rules, got %s", describe(list))
			continue
		}
		for _, item := range list.Content {
			if rule, ok := p.rule(resolve(item)); ok {
				rules = append(rules, rule)
			}
		}
	}
	return rules
}

// mapping returns the key and value nodes of the mapping n, reporting
// duplicate keys and keys other than known. what names n in errors.
func (p *parser) mapping(n *yaml.Node, what string, known ...string) [][2]*yaml.Node {
	if n.Kind != yaml.MappingNode {
		p.fail(n, "%s: want a mapping, got %s", what, describe(n))
		return nil
	}
	var out [][2]*yaml.Node
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), n.Content[i+1]
		switch {
		case k.Kind != yaml.ScalarNode:
			p.fail(k, "%s: want a key, got %s", what, describe(k))
		case !slices.Contains(known, k.Value):
			p.fail(k, "unknown key %q (want %s)", k.Value, orList(known))
		case seen[k.Value] != 0:
			p.fail(k, "%s given twice (first at line %d)", k.Value, seen[k.Value])
		default:
			seen[k.Value] = k.Line
			out = append(out, [2]*yaml.Node{k, v})
		}
	}
	return out
}

func (p *parser) rule(n *yaml.Node) (Rule, bool) {
	errs := len(p.errs)
	var r Rule
	keys := []string{"group", "kind", "namespace", "name", "paths", "managers"}
	if p.presets {
		keys = append(keys, "preset", "description")
	}
	for _, kv := range p.mapping(n, "rule", keys...) {
		key, v := kv[0].Value, resolve(kv[1])
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
				tokens, err := ParsePointer(item.Value)
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

func (r *Rule) setGlob(key string, g glob) {
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
func (p *parser) glob(key string, n *yaml.Node, emptyOK bool) glob {
	if !isString(n) {
		p.fail(n, "%s: want a string, got %s", key, describe(n))
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
func (p *parser) stringList(key string, n *yaml.Node) []*yaml.Node {
	if n.Kind != yaml.SequenceNode {
		p.fail(n, "%s: want a list, got %s", key, describe(n))
		return nil
	}
	var out []*yaml.Node
	for _, item := range n.Content {
		item = resolve(item)
		if !isString(item) {
			p.fail(item, "%s: want a string, got %s", key, describe(item))
			continue
		}
		out = append(out, item)
	}
	return out
}

func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func isString(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str"
}

// describe names the type of a node for an error message.
func describe(n *yaml.Node) string {
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
			return fmt.Sprintf("the number %s (quote it to make it a string)", show(n.Value))
		case "!!bool":
			return fmt.Sprintf("the boolean %s (quote it to make it a string)", show(n.Value))
		}
		return fmt.Sprintf("%s %s", show(n.ShortTag()), show(n.Value))
	}
	return "an alias"
}

// show writes a scalar for an error message as it is, or quoted when
// it spans lines or holds what a terminal would not show (a block scalar
// tagged !!int), so that every line of the error still names the file.
func show(v string) string {
	if strings.IndexFunc(v, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return strconv.Quote(v)
	}
	return v
}

// orList joins words as "a, b or c".
func orList(words []string) string {
	if len(words) == 1 {
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// ParsePointer splits a JSON pointer into its unescaped reference
// tokens.
func ParsePointer(s string) ([]string, error) {
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

// FormatPointer writes reference tokens as a JSON pointer, escaping "~" as
// "~0" and "/" as "~1".
func FormatPointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(pointerEscaper.Replace(t))
	}
	return b.String()
}

var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")
