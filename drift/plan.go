package drift

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubedrift/kubedrift/drift/ignore"
)

// ApplyPlan is how to make a live object what Check showed as its desired
// state: the same apply the comparison made, for real.
type ApplyPlan struct {
	// Object is the manifest as it is to be applied: resolved as Check
	// resolves it (namespace, server fields dropped), with the bookkeeping
	// of the live object's applier kept. It holds Secret values in clear.
	Object *unstructured.Unstructured
	// Manager is the field manager to apply as: the manifest's own
	// server-side applier (kubectl, helm, ...) when there is one, else
	// kubedrift. Applying as the applier removes what it set before and
	// the manifest no longer sets, as the comparison assumed.
	Manager string
	// Deletions is a JSON merge patch of the fields kubectl's client-side
	// apply recorded and the manifest no longer sets, which the apply alone
	// would keep; nil when there are none.
	Deletions map[string]any
}

// Plan returns how to apply the desired object obj so that its live object,
// live (nil when there is none), becomes what Check compares it with.
func (e *Engine) Plan(obj, live *unstructured.Unstructured) (ApplyPlan, error) {
	resolved, err := e.Resolve(obj)
	if err != nil {
		return ApplyPlan{}, err
	}
	p := ApplyPlan{Object: withBookkeeping(resolved, live), Manager: applier(managedFields(live), resolved)}
	if live != nil {
		p.Deletions = clientSideDeletions(resolved, live)
	}
	return p, nil
}

// Resolve returns a copy of obj as Check sends it to the cluster: in the
// namespace Place gives it, and without the fields only a server may set,
// so that an exported object can serve as a manifest.
func (e *Engine) Resolve(obj *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	ref, err := e.Place(obj)
	if err != nil {
		return obj, err
	}
	out := stripped(obj)
	out.SetNamespace(ref.Namespace)
	return out, nil
}

// Place returns where Check looks for obj in the cluster, without copying
// it: its Ref, in the namespace scoped gives it by its kind's scope.
func (e *Engine) Place(obj *unstructured.Unstructured) (Ref, error) {
	ref := RefOf(obj)
	namespaced, err := e.live.Namespaced(ref.GroupVersionKind())
	if meta.IsNoMatchError(err) {
		return ref, fmt.Errorf("%w: the cluster does not serve this kind (a typo in apiVersion or kind, or a CRD not installed yet?)", err)
	}
	if err != nil {
		return ref, err
	}
	ref.Namespace = e.scoped(ref.Namespace, namespaced)
	return ref, nil
}

// scoped returns the namespace of an object that names namespace: the
// default one for a namespaced object that names none, as kubectl gives it,
// and none for a cluster-scoped one.
func (e *Engine) scoped(namespace string, namespaced bool) string {
	switch {
	case namespaced && namespace == "":
		return e.opts.DefaultNamespace
	case !namespaced:
		return ""
	}
	return namespace
}

// Judge judges one desired object again, as the cluster has it now, and
// returns its verdict: after a reconcile, or when its live object changed.
// Unmanaged objects the reading comes upon are left out. Its dry run is
// never spared: the questions that could spare it (the cluster's admission
// configurations, a permission) are more requests than the dry run itself.
func (e *Engine) Judge(ctx context.Context, d Desired) Result {
	for _, r := range e.check(ctx, []Desired{d}, false, CheckOptions{}).Results {
		if r.Status != Unmanaged {
			return r
		}
	}
	panic("drift: Check gave no verdict on a desired object") // it gives one to each
}

// LeftOut returns the fields the check left out of r's comparison, as JSON
// pointers: those ignore rules removed and those it spared (presets, what a
// chart's render cannot know).
func LeftOut(r Result) []string {
	out := slices.Clone(r.Ignored)
	for _, s := range r.Spared {
		out = append(out, s.Pointer)
	}
	return out
}

// KeepLive sets, in the plan's object, each field at pointers (LeftOut) to
// live's value, and removes the ones live does not hold: the apply then
// leaves what the check left out as it is, rather than take a field from
// the autoscaler that owns it or overwrite a password the chart generated
// (Argo CD's RespectIgnoreDifferences). Applying live's own value takes
// nothing from anyone: it conflicts with no owner and deletes nothing. A
// pointer into a part of the object the manifest does not set is skipped;
// it returns the pointers it kept. The plan's object is its own (Plan
// resolves a copy), and changed in place.
func (p *ApplyPlan) KeepLive(live *unstructured.Unstructured, pointers []string) []string {
	var kept []string
	for _, ptr := range pointers {
		tokens, err := ignore.ParsePointer(ptr)
		if err != nil || live == nil {
			continue
		}
		lv, inLive := pointerGet(live.Object, tokens)
		parent, ok := pointerGet(p.Object.Object, tokens[:len(tokens)-1])
		if !ok {
			continue
		}
		last := tokens[len(tokens)-1]
		switch parent := parent.(type) {
		case map[string]any:
			if _, set := parent[last]; !set && !inLive {
				continue
			}
			if inLive {
				parent[last] = runtime.DeepCopyJSONValue(lv)
			} else {
				delete(parent, last)
			}
		case []any:
			i, err := strconv.Atoi(last)
			if err != nil || i >= len(parent) || !inLive {
				continue // an item is not taken out of a list by position
			}
			parent[i] = runtime.DeepCopyJSONValue(lv)
		default:
			continue
		}
		kept = append(kept, ptr)
	}
	return kept
}

// pointerGet returns the value under v that the reference tokens name.
func pointerGet(v any, tokens []string) (any, bool) {
	for _, t := range tokens {
		switch node := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = node[t]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(t)
			if err != nil || i < 0 || i >= len(node) {
				return nil, false
			}
			v = node[i]
		default:
			return nil, false
		}
	}
	return v, true
}
