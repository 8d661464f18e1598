// Package reconcile is kubedrift's controller: it puts objects back as their
// manifests say, one at a time or a desired state in the order creation
// needs, by server-side apply through a cluster.Client, judged before and
// after by the drift engine.
package reconcile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/util/csaupgrade"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/kubedrift/kubedrift/cluster"
	"github.com/kubedrift/kubedrift/drift"
)

// Action is what a reconcile does to one object.
type Action string

const (
	// ActionCreate creates a missing object.
	ActionCreate Action = "create"
	// ActionApply applies the manifest to a drifted object.
	ActionApply Action = "apply"
	// ActionRecreate deletes an object whose manifest changes an immutable
	// field, waits until it is gone, and creates it again.
	ActionRecreate Action = "recreate"
	// ActionDelete deletes an unmanaged object.
	ActionDelete Action = "delete"
)

// ErrReadOnly is the error of every write a read-only Reconciler is asked for.
var ErrReadOnly = errors.New("kubedrift is read-only (--read-only or --check): no write is sent")

// ReconcileOptions are the consents a reconcile needs beyond the first.
type ReconcileOptions struct {
	// Force takes the fields the manifest sets from the other managers that
	// own them. Without it a conflict is reported and nothing is written,
	// unless every field in conflict is a person's and TakeFromPeople.
	Force bool
	// TakeFromPeople takes the fields that the tools people change objects
	// with by hand own (people.yaml: kubectl edit, scale, patch, ...), and
	// says so (Outcome.Taken): --apply and the UI, where a person asked
	// for the reconcile, put back what people changed.
	TakeFromPeople bool
	// TakeFrom are field managers (path.Match globs) whose fields are
	// taken as people's are: a rule that names a controller the reconcile
	// may overrule.
	TakeFrom []string
	// Recreate deletes and creates again an object whose manifest changes
	// an immutable field. Without it that is reported and nothing is
	// written.
	Recreate bool
	// DryRunFirst sends each apply as a dry run first, and for real only
	// once the server has accepted the dry run. A reconcile that nobody
	// watches (kubedrift watch --auto-reconcile) thus has every request
	// checked by the server, webhooks included, before it writes; a refused
	// dry run is reported as the refused apply would be.
	DryRunFirst bool
	// LeftOut are the fields the check left out of the object's
	// comparison (drift.LeftOut: ignore rules, presets, what a chart's
	// render cannot know), as JSON pointers. The apply sets them to the live
	// object's values: it leaves them to whoever owns them (an autoscaler's
	// replicas) and keeps what the source could not know (a generated
	// password), as the check did.
	LeftOut []string
}

// Outcome is what a reconcile of one object did.
type Outcome struct {
	Ref    drift.Ref
	Action Action
	// Manager is the field manager the write was made as.
	Manager string
	// Verdict is the object's verdict after the write, judged afresh; its
	// Status is zero (InSync) only when it was judged and found so. It is
	// not set after a delete or when nothing was written.
	Verdict *drift.Result
	// Conflicts are the fields other managers own that the manifest sets
	// otherwise, when the apply was refused for them: some manager among
	// them is not a person's tool (a controller, another applier). Force
	// takes them.
	Conflicts []Conflict
	// Taken are the fields the apply took back from the tools people change
	// objects with by hand (people.yaml), which a reconcile takes unasked:
	// putting back what a person changed is what it is for; and from the
	// managers ReconcileOptions.TakeFrom names.
	Taken []Conflict
	// KeptLive are the fields of LeftOut the apply set to the live
	// object's values.
	KeptLive []string
	// Immutable says the apply was refused for changing a field that cannot
	// change in place: the object must be recreated (Recreate).
	Immutable bool
	// Err says why the object is not reconciled; nil when the write was
	// made (the Verdict says whether it brought the object in sync).
	Err error
}

// Reconciler puts objects back as their manifests say, one at a time, by
// server-side apply. It writes only what it is asked for, and sends no
// write at all when ReadOnly.
type Reconciler struct {
	Client *cluster.Client
	// Engine judges the object again after the write, and plans the apply
	// as it planned the comparison's dry run.
	Engine *drift.Engine
	// ReadOnly refuses every write before any request is sent.
	ReadOnly bool
	// Log receives one record per write: object, action, field manager and
	// result. Never an object's content.
	Log *slog.Logger
}

// retries is how many times an apply refused because the object changed
// since it was read is tried again from a fresh read, staleBackoff after
// the first, twice as long after the next: a controller rolling out the
// object writes its status many times in a second.
const (
	retries      = 5
	staleBackoff = 50 * time.Millisecond
)

// Reconcile makes the live object of d what d says: it creates it when it is
// missing and applies d when it has drifted, as the manifest's applier (see
// drift.Engine.Plan), with the live object's resourceVersion so that an
// object changed after it was read is read again rather than overwritten
// blindly. Fields other managers own are taken only with opts.Force, and an
// object is recreated only with opts.Recreate.
func (r *Reconciler) Reconcile(ctx context.Context, d drift.Desired, opts ReconcileOptions) Outcome {
	obj, err := r.Engine.Resolve(d.Object)
	if err != nil {
		return Outcome{Ref: drift.RefOf(d.Object), Err: err}
	}
	out := Outcome{Ref: drift.RefOf(obj), Action: ActionApply}
	if r.ReadOnly {
		out.Err = ErrReadOnly
		return out
	}
	for attempt := 1; ; attempt++ {
		err = r.apply(ctx, obj, opts, &out)
		if !isStale(err) || attempt == retries {
			break
		}
		select {
		case <-ctx.Done():
			out.Err = ctx.Err()
			return out
		case <-time.After(staleBackoff << (attempt - 1)):
		}
	}
	if err != nil {
		out.Err = err
		return out
	}
	verdict := r.Engine.Judge(ctx, d)
	out.Verdict = &verdict
	return out
}

// apply makes one attempt at reconciling obj from a fresh read.
func (r *Reconciler) apply(ctx context.Context, obj *unstructured.Unstructured, opts ReconcileOptions, out *Outcome) error {
	gvk := obj.GroupVersionKind()
	live, err := r.Client.Get(ctx, gvk, obj.GetNamespace(), obj.GetName())
	switch {
	case apierrors.IsNotFound(err):
		live = nil
	case err != nil:
		return fmt.Errorf("read the live object: %w", err)
	}
	plan, err := r.Engine.Plan(obj, live)
	if err != nil {
		return err
	}
	out.Manager = plan.Manager
	out.KeptLive = plan.KeepLive(live, opts.LeftOut)
	if live == nil {
		out.Action = ActionCreate
		_, err := r.send(ctx, plan.Object, plan.Manager, false, opts)
		return r.logged(out, err)
	}

	if !opts.DryRunFirst {
		if live, err = r.upgradeClientSideApply(ctx, live, plan.Manager); err != nil {
			return r.logged(out, fmt.Errorf("hand kubectl's client-side apply fields to %s: %w", plan.Manager, err))
		}
	}
	applied := plan.Object.DeepCopy()
	applied.SetResourceVersion(live.GetResourceVersion())
	stored, err := r.send(ctx, applied, plan.Manager, opts.Force, opts)
	if taken := conflictsOf(err); !opts.Force && opts.mayTake(taken) {
		// What people changed by hand, with kubectl edit, scale, patch
		// and the like: the reconcile puts it back, and says whose it was.
		out.Taken = taken
		stored, err = r.send(ctx, applied, plan.Manager, true, opts)
	}
	switch {
	case err == nil:
	case isImmutable(err) && opts.Recreate:
		return r.recreate(ctx, plan, live, out)
	case isImmutable(err):
		out.Immutable = true
		return r.logged(out, fmt.Errorf("the manifest changes a field that cannot change in place; the object must be deleted and created again: %w", err))
	default:
		out.Conflicts = conflictsOf(err)
		return r.logged(out, err)
	}
	if plan.Deletions == nil {
		return r.logged(out, nil)
	}
	// kubectl's client-side apply would delete these; the apply kept
	// them, since another manager (kubectl's) holds them.
	patch := plan.Deletions
	patch["metadata"] = withResourceVersion(patch["metadata"], stored.GetResourceVersion())
	body, err := json.Marshal(patch)
	if err != nil {
		return err
	}
	_, err = r.Client.Patch(ctx, gvk, obj.GetNamespace(), obj.GetName(), body, plan.Manager)
	return r.logged(out, err)
}

// lastAppliedField is where kubectl's client-side apply keeps its record.
var lastAppliedField = fieldpath.NewSet(fieldpath.MakePathOrDie("metadata", "annotations", corev1.LastAppliedConfigAnnotation))

// upgradeClientSideApply hands the fields that kubectl's client-side apply
// owns in live to manager before manager's first server-side apply, as
// kubectl apply --server-side does (client-go's csaupgrade): manager then
// owns what the manifest set before, so that the apply neither conflicts
// over a value the server stored otherwise ("0.5" written, "500m" stored)
// nor leaves behind fields the manifest no longer sets. It returns live
// as it is afterwards. Not with DryRunFirst: a reconcile that nobody
// watches writes nothing before the server has seen its apply.
func (r *Reconciler) upgradeClientSideApply(ctx context.Context, live *unstructured.Unstructured, manager string) (*unstructured.Unstructured, error) {
	if _, ok := live.GetAnnotations()[corev1.LastAppliedConfigAnnotation]; !ok {
		return live, nil
	}
	appliers := sets.New[string]()
	for _, e := range csaupgrade.FindFieldsOwners(live.GetManagedFields(), metav1.ManagedFieldsOperationUpdate, lastAppliedField) {
		appliers.Insert(e.Manager)
	}
	if appliers.Len() == 0 {
		return live, nil
	}
	patch, err := csaupgrade.UpgradeManagedFieldsPatch(live, appliers, manager)
	if err != nil || patch == nil {
		return live, err
	}
	return r.Client.JSONPatch(ctx, live.GroupVersionKind(), live.GetNamespace(), live.GetName(), patch)
}

// send applies obj by manager, after a dry run of the same request when
// opts.DryRunFirst.
func (r *Reconciler) send(ctx context.Context, obj *unstructured.Unstructured, manager string, force bool, opts ReconcileOptions) (*unstructured.Unstructured, error) {
	if opts.DryRunFirst {
		if _, err := r.Client.ApplyDryRun(ctx, obj, manager, force); err != nil {
			return nil, fmt.Errorf("dry run: %w", err)
		}
	}
	return r.Client.Apply(ctx, obj, manager, force)
}

// recreate deletes live, waits until it is gone and creates plan.Object.
func (r *Reconciler) recreate(ctx context.Context, plan drift.ApplyPlan, live *unstructured.Unstructured, out *Outcome) error {
	out.Action = ActionRecreate
	gvk := live.GroupVersionKind()
	err := r.Client.Delete(ctx, gvk, live.GetNamespace(), live.GetName(), live.GetUID())
	if err == nil || apierrors.IsNotFound(err) {
		wait, cancel := context.WithTimeout(ctx, time.Minute)
		err = r.Client.WaitGone(wait, gvk, live.GetNamespace(), live.GetName(), live.GetUID())
		cancel()
	}
	if err == nil {
		_, err = r.Client.Apply(ctx, plan.Object, plan.Manager, false)
	}
	return r.logged(out, err)
}

// Delete deletes the live object ref names, as it is now: an unmanaged
// object that the user confirmed by name.
func (r *Reconciler) Delete(ctx context.Context, ref drift.Ref) Outcome {
	out := Outcome{Ref: ref, Action: ActionDelete}
	if r.ReadOnly {
		out.Err = ErrReadOnly
		return out
	}
	gvk := ref.GroupVersionKind()
	live, err := r.Client.Get(ctx, gvk, ref.Namespace, ref.Name)
	if err == nil {
		err = r.Client.Delete(ctx, gvk, ref.Namespace, ref.Name, live.GetUID())
	}
	out.Err = r.logged(&out, err)
	return out
}

// logged records a write and returns its error, explained.
func (r *Reconciler) logged(out *Outcome, err error) error {
	if err != nil {
		err = writeError(out.Action, err)
	}
	if r.Log != nil {
		result := "ok"
		if err != nil {
			result = err.Error()
		}
		r.Log.Info("write", "object", out.Ref.String(), "action", string(out.Action), "fieldManager", out.Manager, "result", result)
	}
	return err
}

// writeError explains a refused write; a forbidden one names the verb the
// user lacks, which the server's message also holds.
func writeError(action Action, err error) error {
	if apierrors.IsForbidden(err) {
		return fmt.Errorf("%s needs permission the user lacks: %w", action, err)
	}
	return err
}

// isStale reports whether err is an apply refused because the object
// changed since it was read, rather than for a field another manager owns.
func isStale(err error) bool {
	return apierrors.IsConflict(err) && len(conflictsOf(err)) == 0
}

// isImmutable reports whether err refuses a change to a field that cannot
// change in place.
func isImmutable(err error) bool {
	return drift.Classify(err) == drift.ReasonImmutable
}

// withResourceVersion returns the metadata map of a merge patch, with the
// resourceVersion the server must still have for the patch to apply.
func withResourceVersion(metadata any, rv string) map[string]any {
	m, _ := metadata.(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	m["resourceVersion"] = rv
	return m
}

// ReconcileAll reconciles every object that rep, the report on desired,
// found drifted or missing, in the order creation needs: Namespaces first,
// then CustomResourceDefinitions (waiting until each is established and its
// kind known), then the rest. An object that fails is reported in its
// Outcome and the others still go ahead.
func (r *Reconciler) ReconcileAll(ctx context.Context, desired []drift.Desired, rep *drift.Report, opts ReconcileOptions) []Outcome {
	todo, leftOut := map[objectKey]bool{}, map[objectKey][]string{}
	for _, res := range rep.Results {
		if res.Status == drift.Drifted || res.Status == drift.Missing {
			todo[keyOfResult(res)] = true
			leftOut[keyOfResult(res)] = drift.LeftOut(res)
		}
	}
	phases := make([][]drift.Desired, 3)
	for _, d := range desired {
		if !todo[keyOfDesired(d)] {
			continue
		}
		phase := 2
		switch gvk := d.Object.GroupVersionKind(); {
		case gvk.Group == "" && gvk.Kind == "Namespace":
			phase = 0
		case gvk.Group == "apiextensions.k8s.io" && gvk.Kind == "CustomResourceDefinition":
			phase = 1
		}
		phases[phase] = append(phases[phase], d)
	}
	var outcomes []Outcome
	for phase, objs := range phases {
		for _, d := range objs {
			opts := opts
			opts.LeftOut = leftOut[keyOfDesired(d)]
			out := r.Reconcile(ctx, d, opts)
			if phase == 1 && out.Err == nil {
				if err := r.Client.WaitEstablished(ctx, d.Object.GetName()); err != nil {
					out.Err = err
				}
			}
			outcomes = append(outcomes, out)
		}
	}
	return outcomes
}

// objectKey matches a result to the desired object it judged: by the
// origin, which is unique to a document, and the kind and name, which a
// document's list items differ in.
type objectKey struct {
	origin            drift.Origin
	group, kind, name string
}

func keyOfResult(res drift.Result) objectKey {
	return objectKey{res.Origin, res.Ref.Group, res.Ref.Kind, res.Ref.Name}
}

func keyOfDesired(d drift.Desired) objectKey {
	gvk := d.Object.GroupVersionKind()
	return objectKey{d.Origin, gvk.Group, gvk.Kind, d.Object.GetName()}
}
