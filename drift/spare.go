package drift

import (
	"reflect"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Spared is a field left out of the comparison of one object because it
// could never be a person's drift, and what left it out. A spared field
// changes neither the verdict nor the diff; reports list it so that nothing
// is left out silently.
type Spared struct {
	// Pointer is the field, a JSON pointer into the object (RFC 6901).
	Pointer string
	// By says what spared it, in words: SparedGenerated, SparedInstallOnly.
	By string
}

// Spared.By for the fields of Desired.Generated and Desired.InstallOnly.
const (
	SparedGenerated   = "generated at random by the chart"
	SparedInstallOnly = "rendered by the chart only at install"
)

// spare takes the fields at pointers (JSON pointers; an absent one is
// skipped) out of live and want, which are the caller's own, and returns a
// Spared, by by, for each that the two held differently: the drift it would
// otherwise have been.
func spare(live, want *unstructured.Unstructured, pointers []string, by string) []Spared {
	var out []Spared
	for _, p := range pointers {
		tokens, err := parseIgnorePointer(p)
		if err != nil {
			continue
		}
		lv, lok := pointerValue(live.Object, tokens)
		wv, wok := pointerValue(want.Object, tokens)
		if !lok && !wok {
			continue
		}
		if lok != wok || !reflect.DeepEqual(lv, wv) {
			out = append(out, Spared{Pointer: p, By: by})
		}
		for _, obj := range []*unstructured.Unstructured{live, want} {
			removed := map[string]bool{}
			ignoreMarkPointer(obj.Object, tokens, "", removed)
			ignoreSweep(obj.Object)
		}
	}
	slices.SortFunc(out, func(a, b Spared) int { return strings.Compare(a.Pointer, b.Pointer) })
	return out
}

// pointerValue returns the value under the reference tokens in v.
func pointerValue(v any, tokens []string) (any, bool) {
	for _, tok := range tokens {
		slots := ignoreChildren(v, tok, "")
		if len(slots) != 1 {
			return nil, false
		}
		v = slots[0].get()
	}
	return v, true
}
