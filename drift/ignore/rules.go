// Package ignore holds the rules that leave fields out of kubedrift's
// comparisons: the .kubedrift.yaml file a person writes (Parse, Load, Find,
// Add) and the built-in presets, and taking the fields they name out of an
// object (Rules.Apply, Take). It is the one part of drift that reads and
// writes files.
package ignore

import (
	"fmt"
	"path"
	"strings"
)

// Object is what a rule's selectors match: an object's group (the empty
// string for the core group), kind, namespace (empty for a cluster-scoped
// object) and name.
type Object struct {
	Group, Kind, Namespace, Name string
}

// FileName is the name of the rule file Find looks for.
const FileName = ".kubedrift.yaml"

// Rules are the fields left out of every comparison, as a
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
// A nil *Rules ignores nothing. Rules never change once parsed, so one
// value may serve many goroutines.
type Rules struct {
	rules []Rule
}

// Rule is one entry of the ignore list.
type Rule struct {
	group, kind, namespace, name glob
	// paths are parsed JSON pointers: unescaped reference tokens, where "*"
	// matches any key or index.
	paths    [][]string
	managers []string
	// preset names a built-in rule (presets.yaml), and description says
	// what it is for; both are empty for a user's rule.
	preset, description string
}

// glob is an optional selector: a nil one matches anything.
type glob *string

func globMatches(g glob, s string) bool {
	if g == nil {
		return true
	}
	ok, _ := path.Match(*g, s) // checked when parsed
	return ok
}

func (r *Rule) matches(obj Object) bool {
	return globMatches(r.group, obj.Group) &&
		globMatches(r.kind, obj.Kind) &&
		globMatches(r.namespace, obj.Namespace) &&
		globMatches(r.name, obj.Name)
}

// Matching returns the rules whose selectors match obj, in the file's order.
func (r *Rules) Matching(obj Object) []*Rule {
	if r == nil {
		return nil
	}
	var out []*Rule
	for i := range r.rules {
		if r.rules[i].matches(obj) {
			out = append(out, &r.rules[i])
		}
	}
	return out
}

// All returns every rule, in the file's order.
func (r *Rules) All() []*Rule {
	if r == nil {
		return nil
	}
	out := make([]*Rule, len(r.rules))
	for i := range r.rules {
		out[i] = &r.rules[i]
	}
	return out
}

// Paths returns the rule's fields, each as the reference tokens of its JSON
// pointer, unescaped; a "*" token matches every key or element.
func (r *Rule) Paths() [][]string { return r.paths }

// Preset names a built-in rule ("webhook-ca-bundle"); it is empty for a
// person's rule.
func (r *Rule) Preset() string { return r.preset }

// Description says what a built-in rule's fields are for.
func (r *Rule) Description() string { return r.description }

// String writes the rule's selectors and fields in one line, as its YAML
// says them.
func (r *Rule) String() string {
	var parts []string
	for _, sel := range []struct {
		key string
		g   glob
	}{{"group", r.group}, {"kind", r.kind}, {"namespace", r.namespace}, {"name", r.name}} {
		if sel.g != nil {
			parts = append(parts, fmt.Sprintf("%s: %q", sel.key, *sel.g))
		}
	}
	if len(r.paths) > 0 {
		pointers := make([]string, len(r.paths))
		for i, tokens := range r.paths {
			pointers[i] = FormatPointer(tokens)
		}
		parts = append(parts, "paths: ["+strings.Join(pointers, ", ")+"]")
	}
	if len(r.managers) > 0 {
		parts = append(parts, "managers: ["+strings.Join(r.managers, ", ")+"]")
	}
	return strings.Join(parts, ", ")
}
