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
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

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
	// own them. Without it a conflict is reported and nothing is written.
	Force bool
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
	// Conflicts name the fields other managers own that the manifest sets,
	// with their managers, when the apply was refused for them: "spec.replicas
	// (owned by kubectl-edit)". Force takes them.
	Conflicts []string
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
// since it was read is tried again from a fresh read.
const retries = 3

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
	if live == nil {
		out.Action = ActionCreate
		_, err := r.send(ctx, plan.Object, plan.Manager, false, opts)
		return r.logged(out, err)
	}

	applied := plan.Object.DeepCopy()
	applied.SetResourceVersion(live.GetResourceVersion())
	stored, err := r.send(ctx, applied, plan.Manager, opts.Force, opts)
	switch {
	case err == nil:
	case isImmutable(err) && opts.Recreate:
		return r.recreate(ctx, plan, live, out)
	case isImmutable(err):
		out.Immutable = true
		return r.logged(out, fmt.Errorf("the manifest changes a field that cannot change in place; the object must be deleted and created again: %w", err))
	default:
		out.Conflicts = conflicts(err)
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
	return apierrors.IsConflict(err) && len(conflicts(err)) == 0
}

// isImmutable reports whether err refuses a change to a field that cannot
// change in place.
func isImmutable(err error) bool {
	return drift.Classify(err) == drift.ReasonImmutable
}

// conflicts returns the fields an apply conflicted on, with their owners.
func conflicts(err error) []string {
	var status apierrors.APIStatus
	if !apierrors.IsConflict(err) || !errors.As(err, &status) || status.Status().Details == nil {
		return nil
	}
	var out []string
	for _, c := range status.Status().Details.Causes {
		if c.Type != metav1.CauseTypeFieldManagerConflict {
			continue
		}
		field := strings.TrimPrefix(c.Field, ".")
		owner := strings.TrimPrefix(c.Message, "conflict with ")
		out = append(out, fmt.Sprintf("%s (owned by %s)", field, owner))
	}
	slices.Sort(out)
	return out
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
	todo := map[objectKey]bool{}
	for _, res := range rep.Results {
		if res.Status == drift.Drifted || res.Status == drift.Missing {
			todo[keyOfResult(res)] = true
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
type objectKey struct{ origin, group, kind, name string }

func keyOfResult(res drift.Result) objectKey {
	return objectKey{originText(res.Origin), res.Ref.Group, res.Ref.Kind, res.Ref.Name}
}

func keyOfDesired(d drift.Desired) objectKey {
	gvk := d.Object.GroupVersionKind()
	return objectKey{originText(d.Origin), gvk.Group, gvk.Kind, d.Object.GetName()}
}

func originText(o fmt.Stringer) string {
	if o == nil {
		return ""
	}
	return o.String()
}
