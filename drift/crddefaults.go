package drift

import (
	"context"
	"strings"
	"sync"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// crdSchemas are the structural schemas of the custom resources a check
// meets, read from the cluster's CustomResourceDefinitions once per check,
// by the first object of a custom kind that offline mode judges. The API
// server fills in the defaults a CRD's schema declares (spec.http[*].weight:
// 100, inside a list item as anywhere) on every write: offline mode does
// the same to its answer, with the server's own defaulting code.
type crdSchemas struct {
	once   sync.Once
	byKind map[schema.GroupVersionKind]*structuralschema.Structural
}

// defaults fills in, in obj (the outcome of an offline merge, its own), the
// defaults that the structural schema of its CRD's version declares; a kind
// no CRD of the cluster defines (a built-in kind), or whose CRDs the user
// may not list, is left as it is.
func (c *crdSchemas) defaults(ctx context.Context, live LiveReader, run *checkRun, obj *unstructured.Unstructured) {
	gvk := obj.GroupVersionKind()
	if !strings.Contains(gvk.Group, ".") {
		return // a CRD's group has a dot; the core group and apps do not
	}
	c.once.Do(func() { c.byKind = readCRDSchemas(ctx, live, run) })
	if s := c.byKind[gvk]; s != nil {
		structuraldefaulting.Default(obj.Object, s)
	}
}

// readCRDSchemas lists the cluster's CRDs and builds the structural schema
// of each version they serve.
func readCRDSchemas(ctx context.Context, live LiveReader, run *checkRun) map[schema.GroupVersionKind]*structuralschema.Structural {
	if !run.request(ctx) {
		return nil
	}
	crdKind := schema.GroupVersionKind{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"}
	list, err := live.List(ctx, crdKind, "")
	run.done()
	if err != nil {
		return nil
	}
	out := map[schema.GroupVersionKind]*structuralschema.Structural{}
	for i := range list {
		var crd apiextensionsv1.CustomResourceDefinition
		if runtime.DefaultUnstructuredConverter.FromUnstructured(list[i].Object, &crd) != nil {
			continue
		}
		for _, v := range crd.Spec.Versions {
			if !v.Served || v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
				continue
			}
			var internal apiextensions.JSONSchemaProps
			if apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(v.Schema.OpenAPIV3Schema, &internal, nil) != nil {
				continue
			}
			s, err := structuralschema.NewStructural(&internal)
			if err != nil {
				continue
			}
			out[schema.GroupVersionKind{Group: crd.Spec.Group, Version: v.Name, Kind: crd.Spec.Names.Kind}] = s
		}
	}
	return out
}
