package drift

import (
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubedrift/kubedrift/drift/ignore"
)

// Spared is a field left out of the comparison of one object because it
// could never be a person's drift, and what left it out. A spared field
// changes neither the verdict nor the diff; reports list it so that nothing
// is left out silently.
type Spared struct {
	// Pointer is the field, a JSON pointer into the object (RFC 6901).
	Pointer string
	// By says what spared it, in words: SparedGenerated, SparedInstallOnly,
	// SparedRevision, "preset webhook-ca-bundle".
	By string
}

// Describe says in one line which field was spared and by what:
// "spared /spec/replicas: preset autoscaled-replicas (HorizontalPodAutoscaler
// shop/web)".
func (s Spared) Describe() string {
	return "spared " + s.Pointer + ": " + s.By
}

// Spared.By for the fields of a chart's render that the render cannot
// know (Desired.Spare).
const (
	SparedGenerated   = "generated at random by the chart"
	SparedInstallOnly = "rendered by the chart only at install"
	SparedRevision    = "rendered from the release's revision, which every upgrade changes"
)

// spare takes out of r's Live and Want, and lists in r.Spared where they
// differ, the fields that could never be a person's drift: those the source
// could not know (d.Spare), and with Options.Presets those of the presets
// and the replicas an autoscaler sets.
func (e *Engine) spare(r *Result, d *Desired, plan plan) {
	for _, s := range d.Spare {
		if tokens, err := ignore.ParsePointer(s.Pointer); err == nil {
			r.Spared = append(r.Spared, spare(r.Live, r.Want, [][]string{tokens}, s.By)...)
		}
	}
	if e.presets != nil {
		r.Spared = append(r.Spared, sparePresets(e.presets, r.Ref, r.Live, r.Want)...)
		if by, ok := plan.autoscaled[workload{r.Ref.Group, r.Ref.Kind, r.Ref.Namespace, r.Ref.Name}]; ok {
			r.Spared = append(r.Spared, spare(r.Live, r.Want, [][]string{{"spec", "replicas"}}, "preset "+autoscaledReplicas+" ("+by+")")...)
		}
	}
	slices.SortStableFunc(r.Spared, func(a, b Spared) int { return strings.Compare(a.Pointer, b.Pointer) })
}

// spare takes the fields at paths (as ignore.Rule.Paths gives them) out of
// live and want, which are the caller's own, and returns a Spared, by by,
// for each field that the two held differently: the drift it would
// otherwise have been.
func spare(live, want *unstructured.Unstructured, paths [][]string, by string) []Spared {
	var out []Spared
	for _, pointer := range ignore.Take(live, want, paths) {
		out = append(out, Spared{Pointer: pointer, By: by})
	}
	return out
}
