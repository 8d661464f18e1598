package drift

import (
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Controller is the tool that keeps an object as it says: a GitOps
// controller, or Helm. A reconcile by hand competes with it.
type Controller struct {
	// Tool is "Flux", "Argo CD" or "Helm".
	Tool string
	// Owner names what of the tool's owns the object: "Kustomization
	// flux-system/apps", "HelmRelease shop/web", "Application shop",
	// "release shop/web".
	Owner string
	// ServerSide is set when the tool applies the object server-side
	// without forcing, as Helm 4 does (its manager's Apply entry in the
	// live object's managedFields tells): a change made by hand then makes
	// its next apply fail with a conflict instead of being written over.
	ServerSide bool
}

// String names the controller: "Flux Kustomization flux-system/apps".
func (c Controller) String() string {
	if c.Owner == "" {
		return c.Tool
	}
	return c.Tool + " " + c.Owner
}

// Fights says what becomes of a change made by hand to an object the
// controller keeps, after "managed by <controller>: ".
func (c Controller) Fights() string {
	switch {
	case c.Tool == "Helm" && c.ServerSide:
		return "the next helm upgrade fails with a conflict over the fields changed by hand, unless it is run with --force-conflicts"
	case c.Tool == "Helm":
		return "the next helm upgrade writes its own version back"
	}
	return "it reverts a change not made in its source at its next reconcile"
}

// ControllerOf tells, from the labels and annotations the tools put on the
// objects they apply, which tool keeps obj; nil when none does. Flux's
// helm-controller applies through Helm, so its objects carry Helm's marks
// too: Flux is looked for first.
func ControllerOf(obj *unstructured.Unstructured) *Controller {
	if obj == nil {
		return nil
	}
	labels, annotations := obj.GetLabels(), obj.GetAnnotations()
	for _, flux := range []struct{ group, kind string }{
		{"kustomize.toolkit.fluxcd.io", "Kustomization"},
		{"helm.toolkit.fluxcd.io", "HelmRelease"},
	} {
		if name := labels[flux.group+"/name"]; name != "" {
			return &Controller{Tool: "Flux", Owner: flux.kind + " " + qualified(labels[flux.group+"/namespace"], name)}
		}
	}
	if app := labels["argocd.argoproj.io/instance"]; app != "" {
		return &Controller{Tool: "Argo CD", Owner: "Application " + app}
	}
	// Argo CD's annotation tracking: "<app>:<group>/<kind>:<namespace>/<name>".
	if id := annotations["argocd.argoproj.io/tracking-id"]; id != "" {
		app, _, _ := strings.Cut(id, ":")
		return &Controller{Tool: "Argo CD", Owner: "Application " + app}
	}
	if release := annotations["meta.helm.sh/release-name"]; release != "" {
		return &Controller{Tool: "Helm", Owner: "release " + qualified(annotations["meta.helm.sh/release-namespace"], release)}
	}
	if labels["app.kubernetes.io/managed-by"] == "Helm" {
		return &Controller{Tool: "Helm"}
	}
	return nil
}

// findController sets r.Controller from the live object, or from the
// desired one for an object not in the cluster yet.
func (r *Result) findController() {
	if r.Live != nil {
		r.Controller = ControllerOf(r.Live)
	} else {
		r.Controller = ControllerOf(r.Want)
	}
	if c := r.Controller; c != nil && c.Tool == "Helm" && r.applier == "helm" {
		c.ServerSide = true
	}
}

// qualified is namespace/name, or name alone without a namespace.
func qualified(namespace, name string) string {
	if namespace == "" {
		return name
	}
	return namespace + "/" + name
}
