package cluster

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
)

// Apply sends obj as a server-side apply by fieldManager, for real, and
// returns the object the server stored. Without force, the server refuses to
// take a field another manager owns, with a Conflict error that names the
// managers and fields; with force it takes them.
func (c *Client) Apply(ctx context.Context, obj *unstructured.Unstructured, fieldManager string, force bool) (*unstructured.Unstructured, error) {
	ri, err := c.resource(obj.GroupVersionKind(), obj.GetNamespace())
	if err != nil {
		return nil, err
	}
	return ri.Apply(ctx, obj.GetName(), obj, metav1.ApplyOptions{FieldManager: fieldManager, Force: force})
}

// ApplyDryRun sends the request Apply would send, as a dry run: the server
// checks it all (validation, admission, conflicts with other managers, the
// resourceVersion) and answers what it would store, but writes nothing.
func (c *Client) ApplyDryRun(ctx context.Context, obj *unstructured.Unstructured, fieldManager string, force bool) (*unstructured.Unstructured, error) {
	ri, err := c.resource(obj.GroupVersionKind(), obj.GetNamespace())
	if err != nil {
		return nil, err
	}
	return ri.Apply(ctx, obj.GetName(), obj, metav1.ApplyOptions{DryRun: []string{metav1.DryRunAll}, FieldManager: fieldManager, Force: force})
}

// Patch sends a JSON merge patch to an object, by fieldManager. A patch that
// carries metadata.resourceVersion is refused with a Conflict when the
// object has changed since that version, rather than applied blindly.
func (c *Client) Patch(ctx context.Context, gvk schema.GroupVersionKind, namespace, name string, patch []byte, fieldManager string) (*unstructured.Unstructured, error) {
	ri, err := c.resource(gvk, namespace)
	if err != nil {
		return nil, err
	}
	return ri.Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: fieldManager})
}

// JSONPatch sends a JSON patch (RFC 6902) to the object of kind gvk: the
// patch that hands client-side apply's fields to a server-side applier
// tests the object's resourceVersion and replaces its managedFields.
func (c *Client) JSONPatch(ctx context.Context, gvk schema.GroupVersionKind, namespace, name string, patch []byte) (*unstructured.Unstructured, error) {
	ri, err := c.resource(gvk, namespace)
	if err != nil {
		return nil, err
	}
	return ri.Patch(ctx, name, types.JSONPatchType, patch, metav1.PatchOptions{})
}

// Delete deletes the object of kind gvk with the given name, but only the
// one with uid: if it was replaced meanwhile by another of the same name,
// the server refuses with a Conflict. Dependents are deleted in the
// background, as kubectl delete does.
func (c *Client) Delete(ctx context.Context, gvk schema.GroupVersionKind, namespace, name string, uid types.UID) error {
	ri, err := c.resource(gvk, namespace)
	if err != nil {
		return err
	}
	background := metav1.DeletePropagationBackground
	return ri.Delete(ctx, name, metav1.DeleteOptions{
		Preconditions:     &metav1.Preconditions{UID: &uid},
		PropagationPolicy: &background,
	})
}

// pollInterval is how often the waits below look again.
const pollInterval = 200 * time.Millisecond

// WaitGone waits until the object with uid no longer exists: it is gone, or
// another of the same name has taken its place. Finalizers can make this
// take long; ctx bounds it.
func (c *Client) WaitGone(ctx context.Context, gvk schema.GroupVersionKind, namespace, name string, uid types.UID) error {
	err := wait.PollUntilContextCancel(ctx, pollInterval, true, func(ctx context.Context) (bool, error) {
		live, err := c.Get(ctx, gvk, namespace, name)
		switch {
		case apierrors.IsNotFound(err):
			return true, nil
		case err != nil:
			return false, err
		}
		return live.GetUID() != uid, nil
	})
	if err != nil {
		return fmt.Errorf("wait until %s %s is gone: %w", gvk.Kind, name, err)
	}
	return nil
}

// WaitEstablished waits until the CustomResourceDefinition named name is
// Established and its kind is known to this client, so that objects of it
// can be created next.
func (c *Client) WaitEstablished(ctx context.Context, name string) error {
	crd := schema.GroupVersionKind{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"}
	var kind schema.GroupVersionKind
	err := wait.PollUntilContextCancel(ctx, pollInterval, true, func(ctx context.Context) (bool, error) {
		live, err := c.Get(ctx, crd, "", name)
		if err != nil {
			return false, err
		}
		conditions, _, _ := unstructured.NestedSlice(live.Object, "status", "conditions")
		for _, cond := range conditions {
			m, _ := cond.(map[string]any)
			if m["type"] == "Established" && m["status"] == "True" {
				group, _, _ := unstructured.NestedString(live.Object, "spec", "group")
				k, _, _ := unstructured.NestedString(live.Object, "spec", "names", "kind")
				kind = schema.GroupVersionKind{Group: group, Kind: k}
				return true, nil
			}
		}
		return false, nil
	})
	if err == nil {
		// The mapper learns the new kind on its next refresh.
		err = wait.PollUntilContextCancel(ctx, pollInterval, true, func(ctx context.Context) (bool, error) {
			_, err := c.mapper.RESTMappings(kind.GroupKind())
			if err != nil {
				c.forceRediscover()
			}
			return err == nil, nil
		})
	}
	if err != nil {
		return fmt.Errorf("wait until CustomResourceDefinition %s is established: %w", name, err)
	}
	return nil
}
