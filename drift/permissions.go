package drift

import (
	"context"
	"sync"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// permissions remembers, for one Check, whether the user may patch the
// objects of each kind and namespace, asking once for each, and which
// kinds' applies admission webhooks and policies see, asking once.
type permissions struct {
	// ask and intercepted are nil when the DryRunner cannot tell, or
	// dry runs are not to be spared.
	ask         func(ctx context.Context, gvk schema.GroupVersionKind, namespace string) (bool, error)
	intercepted func(ctx context.Context) func(schema.GroupVersionKind) bool

	mu    sync.Mutex
	known map[permissionKey]func() bool
}

type permissionKey struct {
	gvk       schema.GroupVersionKind
	namespace string
}

// permissions returns what tells, for one Check, whether a dry run may be
// spared for lack of need rather than of permission, if spare; its
// questions are requests of run.
func (e *Engine) permissions(run *checkRun, spare bool) *permissions {
	p := &permissions{known: map[permissionKey]func() bool{}}
	pp, mayTell := e.dryRun.(PatchPermission)
	admission, knowsAdmission := e.dryRun.(Admission)
	if !mayTell || !knowsAdmission || e.opts.Mode == ModeOffline || !spare {
		return p
	}
	p.ask = func(ctx context.Context, gvk schema.GroupVersionKind, namespace string) (bool, error) {
		if !run.request(ctx) {
			return false, ctx.Err()
		}
		defer run.done()
		return pp.MayPatch(ctx, gvk, namespace)
	}
	var once sync.Once
	var seen func(schema.GroupVersionKind) bool
	p.intercepted = func(ctx context.Context) func(schema.GroupVersionKind) bool {
		once.Do(func() {
			seen = func(schema.GroupVersionKind) bool { return true } // unknown: all may be
			if !run.request(ctx) {
				return
			}
			defer run.done()
			if test, err := admission.Intercepted(ctx); err == nil {
				seen = test
			}
		})
		return seen
	}
	return p
}

// unseen reports whether no admission webhook or policy may see the apply
// of an object of kind gvk, so that its dry run may be spared. Not knowing
// counts as seen.
func (p *permissions) unseen(ctx context.Context, gvk schema.GroupVersionKind) bool {
	return p.intercepted != nil && !p.intercepted(ctx)(gvk)
}

// mayPatch reports whether the user may patch the objects of kind gvk in
// namespace: in every namespace, which one question answers for all, or in
// this one. An error counts as no.
func (p *permissions) mayPatch(ctx context.Context, gvk schema.GroupVersionKind, namespace string) bool {
	if p.ask == nil {
		return false
	}
	return p.once(ctx, gvk, "") || (namespace != "" && p.once(ctx, gvk, namespace))
}

func (p *permissions) once(ctx context.Context, gvk schema.GroupVersionKind, namespace string) bool {
	key := permissionKey{gvk, namespace}
	p.mu.Lock()
	allowed, ok := p.known[key]
	if !ok {
		allowed = sync.OnceValue(func() bool {
			ok, err := p.ask(ctx, gvk, namespace)
			return err == nil && ok
		})
		p.known[key] = allowed
	}
	p.mu.Unlock()
	return allowed()
}
