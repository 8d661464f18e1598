package cluster

import (
	"context"
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// admissionConfigs are the kinds that add admission control to the API
// server's own: webhooks, and admission policies written in CEL. Each keeps
// its rules (operations, API groups, resources) at path in every element of
// list, or in the object itself when list is empty.
var admissionConfigs = []struct {
	kind       schema.GroupKind
	list, path []string
}{
	{schema.GroupKind{Group: "admissionregistration.k8s.io", Kind: "MutatingWebhookConfiguration"}, []string{"webhooks"}, []string{"rules"}},
	{schema.GroupKind{Group: "admissionregistration.k8s.io", Kind: "ValidatingWebhookConfiguration"}, []string{"webhooks"}, []string{"rules"}},
	{schema.GroupKind{Group: "admissionregistration.k8s.io", Kind: "MutatingAdmissionPolicy"}, nil, []string{"spec", "matchConstraints", "resourceRules"}},
	{schema.GroupKind{Group: "admissionregistration.k8s.io", Kind: "ValidatingAdmissionPolicy"}, nil, []string{"spec", "matchConstraints", "resourceRules"}},
}

// admissionRule is one rule of a webhook or an admission policy: the
// requests it sees.
type admissionRule struct {
	operations, groups, resources []string
}

// Intercepted reads the cluster's admission webhooks and admission policies
// and returns a test of whether one of them may see an update of an object
// of kind gvk, and so change or refuse an apply in ways that only a dry run
// shows. The test errs on the side of yes: it reads no namespace or object
// selectors, match conditions or policy bindings, and says yes for a kind it
// cannot resolve. A kind of admission configuration the cluster does not
// serve has nothing to fear; one the user may not list is an error, since
// what it holds is unknown.
//
// The admission plugins compiled into the API server are not configured by
// objects and are not seen here; those that change an update of an object
// that a manifest declares are rare.
func (c *Client) Intercepted(ctx context.Context) (func(schema.GroupVersionKind) bool, error) {
	var rules []admissionRule
	for _, config := range admissionConfigs {
		m, err := c.mapper.RESTMapping(config.kind)
		if meta.IsNoMatchError(err) {
			continue // not served by this cluster
		}
		if err != nil {
			return nil, err
		}
		items, err := c.List(ctx, m.GroupVersionKind, "")
		if err != nil {
			return nil, fmt.Errorf("read the cluster's %s objects: %w", config.kind.Kind, err)
		}
		for _, item := range items {
			rules = append(rules, rulesOf(item.Object, config.list, config.path)...)
		}
	}
	return func(gvk schema.GroupVersionKind) bool {
		if len(rules) == 0 {
			return false
		}
		m, err := c.mapping(gvk)
		if err != nil {
			return true
		}
		return slices.ContainsFunc(rules, func(r admissionRule) bool { return r.sees(m.Resource) })
	}, nil
}

// rulesOf returns the admission rules of one configuration object.
func rulesOf(obj map[string]any, list, path []string) []admissionRule {
	holders := []any{obj}
	if len(list) > 0 {
		holders, _, _ = unstructured.NestedSlice(obj, list...)
	}
	var rules []admissionRule
	for _, h := range holders {
		holder, _ := h.(map[string]any)
		entries, _, _ := unstructured.NestedSlice(holder, path...)
		for _, e := range entries {
			entry, _ := e.(map[string]any)
			operations, _, _ := unstructured.NestedStringSlice(entry, "operations")
			groups, _, _ := unstructured.NestedStringSlice(entry, "apiGroups")
			resources, _, _ := unstructured.NestedStringSlice(entry, "resources")
			rules = append(rules, admissionRule{operations, groups, resources})
		}
	}
	return rules
}

// sees reports whether an update of a resource's object, not of one of its
// subresources, may meet rule r. As the API server reads a rule, "*" is
// every resource, "*/*" every resource and subresource, "deployments/*"
// and "*/scale" subresources only.
func (r admissionRule) sees(resource schema.GroupVersionResource) bool {
	if !slices.Contains(r.operations, "UPDATE") && !slices.Contains(r.operations, "*") {
		return false
	}
	if !slices.Contains(r.groups, resource.Group) && !slices.Contains(r.groups, "*") {
		return false
	}
	return slices.ContainsFunc(r.resources, func(name string) bool {
		return name == "*" || name == "*/*" || name == resource.Resource
	})
}
