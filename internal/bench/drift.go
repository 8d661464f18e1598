package main

import (
	"context"
	"encoding/base64"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
)

var (
	deployments = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	configMaps  = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	secrets     = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}
	services    = schema.GroupVersionResource{Version: "v1", Resource: "services"}
	widgets     = schema.GroupVersionResource{Group: widgetGroup, Version: "v1", Resource: widgetResource}
)

// edit is one change made behind the manifests' back, as a person makes it
// with kubectl: each through the same request, and under the same field
// manager, as the kubectl command named in its comment.
type edit struct {
	// ref names the object as kubedrift's report does: "Deployment.apps
	// bench-0003/web".
	ref string
	// missing says the edit deletes the object.
	missing bool
	do      func(ctx context.Context, dyn dynamic.Interface) error
}

// edits returns the changes that drift 2.5% of the objects of the
// applications that make about n objects, spread over them, of every kind of
// change in turn. Each application gets at most one.
func edits(n int) []edit {
	count := max(1, apps(n)*objectsPerApp/driftEvery)
	out := make([]edit, count)
	for k := range out {
		ns := appNamespace(k * apps(n) / count)
		out[k] = editOf(k%8, ns)
	}
	return out
}

func editOf(kind int, ns string) edit {
	patch := func(gvr schema.GroupVersionResource, name string, pt types.PatchType, body, manager string, subresources ...string) func(context.Context, dynamic.Interface) error {
		return func(ctx context.Context, dyn dynamic.Interface) error {
			_, err := dyn.Resource(gvr).Namespace(ns).Patch(ctx, name, pt, []byte(body), metav1.PatchOptions{FieldManager: manager}, subresources...)
			return err
		}
	}
	remove := func(gvr schema.GroupVersionResource, name string) func(context.Context, dynamic.Interface) error {
		return func(ctx context.Context, dyn dynamic.Interface) error {
			return dyn.Resource(gvr).Namespace(ns).Delete(ctx, name, metav1.DeleteOptions{})
		}
	}
	switch kind {
	case 0: // kubectl set image deployment/web web=...:1.4.1-hotfix
		return edit{ref: "Deployment.apps " + ns + "/web", do: patch(deployments, "web", types.StrategicMergePatchType,
			`{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"ghcr.io/example/web:1.4.1-hotfix"}]}}}}`, "kubectl-set")}
	case 1: // kubectl scale deployment/web --replicas=3
		return edit{ref: "Deployment.apps " + ns + "/web", do: patch(deployments, "web", types.MergePatchType,
			`{"spec":{"replicas":3}}`, "kubectl-scale", "scale")}
	case 2: // kubectl label service/web tier-
		return edit{ref: "Service " + ns + "/web", do: patch(services, "web", types.MergePatchType,
			`{"metadata":{"labels":{"tier":null}}}`, "kubectl-label")}
	case 3: // kubectl edit configmap/config-2
		return edit{ref: "ConfigMap " + ns + "/config-2", do: patch(configMaps, "config-2", types.MergePatchType,
			`{"data":{"key-3":"edited by hand"}}`, "kubectl-edit")}
	case 4: // kubectl delete configmap/config-5
		return edit{ref: "ConfigMap " + ns + "/config-5", missing: true, do: remove(configMaps, "config-5")}
	case 5: // kubectl patch widget/widget-1 --type=merge -p ...
		return edit{ref: "Widget." + widgetGroup + " " + ns + "/widget-1", do: patch(widgets, "widget-1", types.MergePatchType,
			`{"spec":{"size":9}}`, "kubectl-patch")}
	case 6: // kubectl edit secret/secret-1
		return edit{ref: "Secret " + ns + "/secret-1", do: patch(secrets, "secret-1", types.MergePatchType,
			fmt.Sprintf(`{"data":{"password":%q}}`, base64.StdEncoding.EncodeToString([]byte("hunter2"))), "kubectl-edit")}
	default: // kubectl delete widget/widget-2
		return edit{ref: "Widget." + widgetGroup + " " + ns + "/widget-2", missing: true, do: remove(widgets, "widget-2")}
	}
}
