package drift

import (
	"cmp"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubedrift/kubedrift/drift/ignore"
)

// Ref identifies an object in a cluster.
type Ref struct {
	Group, Version, Kind string
	Namespace, Name      string
}

// RefOf returns the Ref of obj.
func RefOf(obj *unstructured.Unstructured) Ref {
	gvk := obj.GroupVersionKind()
	return Ref{
		Group:     gvk.Group,
		Version:   gvk.Version,
		Kind:      gvk.Kind,
		Namespace: obj.GetNamespace(),
		Name:      obj.GetName(),
	}
}

// IgnoreObject returns what an ignore rule's selectors match of the object.
func (r Ref) IgnoreObject() ignore.Object {
	return ignore.Object{Group: r.Group, Kind: r.Kind, Namespace: r.Namespace, Name: r.Name}
}

// GroupVersionKind returns the object's kind with its group and version.
func (r Ref) GroupVersionKind() schema.GroupVersionKind {
	return schema.GroupVersionKind{Group: r.Group, Version: r.Version, Kind: r.Kind}
}

// String names the object the way a person reads it: "Deployment.apps
// shop/web", "ConfigMap shop/settings", "Namespace shop".
func (r Ref) String() string {
	kind := r.Kind
	if r.Group != "" {
		kind += "." + r.Group
	}
	if r.Namespace == "" {
		return kind + " " + r.Name
	}
	return kind + " " + r.Namespace + "/" + r.Name
}

// Less orders refs by namespace, then group, kind, name and version, so that
// an application's objects stay together in reports.
func (r Ref) Less(o Ref) bool {
	return cmp.Or(
		cmp.Compare(r.Namespace, o.Namespace),
		cmp.Compare(r.Group, o.Group),
		cmp.Compare(r.Kind, o.Kind),
		cmp.Compare(r.Name, o.Name),
		cmp.Compare(r.Version, o.Version),
	) < 0
}
