package sources

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"helm.sh/helm/v4/pkg/chart/common"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// findVolatile marks the Volatile fields of rendered, a chart's render with
// options and lookup, by rendering it again with render. What the chart
// makes up at random differs between two renders of the same input: this
// one and another like it; and, with lookup, two that find nothing by
// lookup, as the install did, where a value the chart now keeps through
// lookup was made up, and a checksum taken of it that the next upgrade would
// change. Rendered as an upgrade, what differs from a render at the deployed
// revision the chart renders from the revision (and an object named after
// it is expected under the deployed name), and what differs from a render
// as an install it renders only at install.
func findVolatile(rendered []Manifest, options common.ReleaseOptions, lookup *lookups, render func(common.ReleaseOptions, *lookups) []Manifest) {
	// The latest revision: the deployed one, unless a later upgrade failed
	// part of the way, when the cluster may hold either's.
	deployed := options
	deployed.Revision--
	type ask struct {
		options common.ReleaseOptions
		lookup  *lookups
	}
	asks := []ask{{options, lookup}}
	if lookup != nil {
		asks = append(asks, ask{options, nil}, ask{options, nil})
	}
	if options.IsUpgrade {
		asks = append(asks, ask{deployed, lookup}, ask{installOptions(options.Name, options.Namespace), lookup})
	}
	// The renders are independent, and a large chart takes a good part of
	// a second each: all at once.
	renders := make([][]Manifest, len(asks))
	var wg sync.WaitGroup
	for i, a := range asks {
		wg.Go(func() { renders[i] = render(a.options, a.lookup) })
	}
	wg.Wait()

	markVolatile(rendered, rendered, renders[0], Random)
	if lookup != nil {
		markVolatile(rendered, renders[1], renders[2], Random)
	}
	if options.IsUpgrade {
		atDeployed, atInstall := renders[len(renders)-2], renders[len(renders)-1]
		renameByRevision(rendered, atDeployed)
		markVolatile(rendered, rendered, atDeployed, Revision)
		markVolatile(rendered, rendered, atInstall, InstallOnly)
	}
}

// markVolatile adds to each manifest of into, as Volatile for why, the
// fields where its object differs between a and b, two renders of the same
// chart that differ only in what why names (nothing, for Random: the chart
// makes up values at random, and whatever it computes from them), and that
// are not Volatile already. An object that is not in both is left as it is.
func markVolatile(into, a, b []Manifest, why VolatileWhy) {
	inA := byIdentity(a)
	inB := byIdentity(b)
	for i := range into {
		m := &into[i]
		id := identity(m.Object)
		x, okA := inA[id]
		y, okB := inB[id]
		if !okA || !okB {
			continue
		}
		var differ []string
		differingFields(x.Object, y.Object, "", &differ)
		slices.Sort(differ)
		for _, p := range slices.Compact(differ) {
			if !slices.ContainsFunc(m.Volatile, func(v Volatile) bool { return v.Pointer == p }) {
				m.Volatile = append(m.Volatile, Volatile{Pointer: p, Why: why})
			}
		}
	}
}

// renameByRevision gives each object of into, rendered for the next
// revision, whose name the render at the deployed revision does not have,
// the name that render gave the object of its kind from the same template:
// a Job named after .Release.Revision is expected under the deployed
// revision's name, not the one the next upgrade would create.
func renameByRevision(into, deployed []Manifest) {
	inInto := byIdentity(into)
	inDeployed := byIdentity(deployed)
	type place struct{ file, kind string }
	unmatched := map[place][]*unstructured.Unstructured{}
	for _, m := range deployed {
		if _, ok := inInto[identity(m.Object)]; !ok {
			k := place{m.Origin.File, m.Object.GetKind()}
			unmatched[k] = append(unmatched[k], m.Object)
		}
	}
	for i := range into {
		if _, ok := inDeployed[identity(into[i].Object)]; ok {
			continue
		}
		k := place{into[i].Origin.File, into[i].Object.GetKind()}
		if len(unmatched[k]) > 0 {
			into[i].Object, unmatched[k] = unmatched[k][0], unmatched[k][1:]
		}
	}
}

// byIdentity indexes the objects of manifests by identity.
func byIdentity(manifests []Manifest) map[string]*unstructured.Unstructured {
	out := make(map[string]*unstructured.Unstructured, len(manifests))
	for _, m := range manifests {
		out[identity(m.Object)] = m.Object
	}
	return out
}

// identity names an object for matching it between renders.
func identity(obj *unstructured.Unstructured) string {
	return obj.GetAPIVersion() + "/" + obj.GetKind() + "/" + obj.GetNamespace() + "/" + obj.GetName()
}

// differingFields appends to out the JSON pointers under at where a and b
// differ: the scalars, a key that one map has and the other not, and a list
// as a whole when its length differs.
func differingFields(a, b any, at string, out *[]string) {
	switch a := a.(type) {
	case map[string]any:
		if b, ok := b.(map[string]any); ok {
			for k, v := range a {
				bv, inB := b[k]
				if !inB {
					*out = append(*out, at+"/"+escapePointerToken(k))
					continue
				}
				differingFields(v, bv, at+"/"+escapePointerToken(k), out)
			}
			for k := range b {
				if _, inA := a[k]; !inA {
					*out = append(*out, at+"/"+escapePointerToken(k))
				}
			}
			return
		}
	case []any:
		if b, ok := b.([]any); ok && len(a) == len(b) {
			for i := range a {
				differingFields(a[i], b[i], at+"/"+strconv.Itoa(i), out)
			}
			return
		}
	}
	if !reflect.DeepEqual(a, b) {
		*out = append(*out, at)
	}
}

// escapePointerToken escapes a key for a JSON pointer (RFC 6901).
func escapePointerToken(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}
