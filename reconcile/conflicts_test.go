package reconcile

import (
	"fmt"
	"slices"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func conflictError(causes ...metav1.StatusCause) error {
	err := apierrors.NewConflict(schema.GroupResource{Group: "apps", Resource: "deployments"}, "web", fmt.Errorf("Apply failed with %d conflicts", len(causes)))
	err.ErrStatus.Details.Causes = causes
	return err
}

func TestConflictsOf(t *testing.T) {
	err := conflictError(
		metav1.StatusCause{Type: metav1.CauseTypeFieldManagerConflict, Field: ".spec.replicas",
			Message: `conflict with "kubectl" with subresource "scale" using apps/v1 at 2026-12-06T10:00:00Z`},
		metav1.StatusCause{Type: metav1.CauseTypeFieldManagerConflict, Field: `.spec.template.spec.containers[name="web"].image`,
			Message: `conflict with "kubectl-set" using apps/v1`},
		metav1.StatusCause{Type: metav1.CauseTypeFieldManagerConflict, Field: ".spec.minReadySeconds",
			Message: `conflict with "hpa-controller"`},
	)
	got := conflictsOf(err)
	want := []Conflict{
		{Field: "spec.minReadySeconds", Manager: "hpa-controller"},
		{Field: "spec.replicas", Manager: "kubectl", Subresource: "scale", Tool: "kubectl (scale, through the scale subresource; apply --server-side)"},
		{Field: `spec.template.spec.containers[name="web"].image`, Manager: "kubectl-set", Tool: "kubectl set (image, env, resources, selector, serviceaccount)"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("conflicts\n%+v\nwant\n%+v", got, want)
	}
	for _, c := range []struct {
		opts      ReconcileOptions
		conflicts []Conflict
		want      bool
	}{
		{ReconcileOptions{TakeFromPeople: true}, got, false}, // a controller among the owners
		{ReconcileOptions{TakeFromPeople: true}, got[1:], true},
		{ReconcileOptions{}, got[1:], false}, // people's, but not to be taken
		{ReconcileOptions{TakeFrom: []string{"hpa-*"}}, got[:1], true},
		{ReconcileOptions{TakeFrom: []string{"hpa-*"}}, got, false},
		{ReconcileOptions{TakeFromPeople: true, TakeFrom: []string{"hpa-*"}}, got, true},
		{ReconcileOptions{TakeFromPeople: true}, nil, false}, // no conflict: nothing to take
	} {
		if may := c.opts.mayTake(c.conflicts); may != c.want {
			t.Errorf("%+v takes %v: %v, want %v", c.opts, c.conflicts, may, c.want)
		}
	}
	if got := conflictsOf(apierrors.NewConflict(schema.GroupResource{Resource: "configmaps"}, "c", fmt.Errorf("the object has been modified"))); got != nil {
		t.Errorf("a stale write read as conflicts: %v", got)
	}
}
