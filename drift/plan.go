package drift

import (
	"context"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
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
	resolved, err := e.resolve(obj)
	if err != nil {
		return ApplyPlan{}, err
	}
	p := ApplyPlan{Object: withBookkeeping(resolved, live), Manager: applier(managedFields(live), resolved)}
	if live != nil {
		p.Deletions = clientSideDeletions(resolved, live)
	}
	return p, nil
}

// Resolve returns a copy of obj as Check sends it to the cluster: with the
// default namespace when it names none, and without the fields only a
// server may set.
func (e *Engine) Resolve(obj *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	return e.resolve(obj)
}

// Judge judges one desired object again, as the cluster has it now, and
// returns its verdict: after a reconcile, or when its live object changed.
// Unmanaged objects the reading comes upon are left out. Its dry run is
// never spared: the questions that could spare it (the cluster's admission
// configurations, a permission) are more requests than the dry run itself.
func (e *Engine) Judge(ctx context.Context, d Desired) Result {
	for _, r := range e.check(ctx, []Desired{d}, false).Results {
		if r.Status != Unmanaged {
			return r
		}
	}
	panic("drift: Check gave no verdict on a desired object") // it gives one to each
}
