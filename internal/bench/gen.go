package main

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// objectsPerApp is how many objects one generated application has: its
// Namespace, a ServiceAccount, a Role and its RoleBinding, seven
// ConfigMaps, four Secrets, a Deployment and its Service, and three
// Widgets. Few of them are Deployments, Services and Namespaces, as in
// most applications, and kube-controller-manager, which the test cluster
// runs with its default rate limit of 20 requests a second, is done with
// 10,000 objects in a few minutes.
const objectsPerApp = 20

// driftEvery is one drifted object in so many: 2.5%.
const driftEvery = 40

// Widget is the custom resource the benchmark seeds, of the CRD in crdYAML.
const (
	widgetGroup    = "bench.kubedrift.dev"
	widgetResource = "widgets"
)

// crdYAML defines the Widget kind. It is installed before the applications
// and is no part of the manifests that are compared.
const crdYAML = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.bench.kubedrift.dev
spec:
  group: bench.kubedrift.dev
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
              color: {type: string}
              tags: {type: array, items: {type: string}}
              limits:
                type: object
                additionalProperties: {type: string}
`

// kinds are the resources the manifests hold, as kubectl get names them:
// the bare LIST of the benchmark reads these.
var kinds = []string{
	"namespaces", "serviceaccounts", "roles.rbac.authorization.k8s.io",
	"rolebindings.rbac.authorization.k8s.io", "configmaps", "secrets",
	"deployments.apps", "services", widgetResource + "." + widgetGroup,
}

// app returns the objects of application i, its Namespace first.
func app(i int) []map[string]any {
	ns := appNamespace(i)
	labels := func(component string) map[string]any {
		return map[string]any{
			"app.kubernetes.io/name":    component,
			"app.kubernetes.io/part-of": ns,
			"tier":                      tierOf(component),
		}
	}
	meta := func(name, component string) map[string]any {
		return map[string]any{"name": name, "namespace": ns, "labels": labels(component)}
	}
	objs := []map[string]any{
		{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{
			"name": ns, "labels": map[string]any{"app.kubernetes.io/part-of": ns}}},
		{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta("app", "app")},
		{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": meta("app-reader", "app"),
			"rules": []any{
				map[string]any{"apiGroups": []any{""}, "resources": []any{"configmaps", "secrets"}, "verbs": []any{"get", "list", "watch"}},
				map[string]any{"apiGroups": []any{widgetGroup}, "resources": []any{widgetResource}, "verbs": []any{"get", "list"}},
			}},
		{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": meta("app-reader", "app"),
			"roleRef":  map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "app-reader"},
			"subjects": []any{map[string]any{"kind": "ServiceAccount", "name": "app", "namespace": ns}}},
	}
	for j := range 7 {
		data := map[string]any{}
		for k := range 8 {
			data[fmt.Sprintf("key-%d", k)] = fmt.Sprintf("value %d of config %d in %s: %s", k, j, ns, strings.Repeat("x", 64))
		}
		data["app.properties"] = fmt.Sprintf("log.level=info\ncache.size=%d\nfeature.flags=a,b,c\n", 64+j)
		objs = append(objs, map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta(fmt.Sprintf("config-%d", j), "web"), "data": data})
	}
	for j := range 4 {
		objs = append(objs, map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": meta(fmt.Sprintf("secret-%d", j), "api"),
			"type": "Opaque",
			"data": map[string]any{
				"username": base64.StdEncoding.EncodeToString([]byte("app")),
				"password": base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "s3cret-%d", j)),
			}})
	}
	for _, name := range []string{"web"} {
		objs = append(objs, deployment(ns, name, meta(name, name), labels(name)))
		objs = append(objs, map[string]any{"apiVersion": "v1", "kind": "Service", "metadata": meta(name, name),
			"spec": map[string]any{
				// Headless: the test cluster's service range holds only
				// 256 addresses.
				"clusterIP": "None",
				"selector":  map[string]any{"app.kubernetes.io/name": name},
				"ports":     []any{map[string]any{"name": "http", "port": int64(80), "targetPort": int64(8080)}},
			}})
	}
	for j := range 3 {
		objs = append(objs, map[string]any{"apiVersion": widgetGroup + "/v1", "kind": "Widget", "metadata": meta(fmt.Sprintf("widget-%d", j), "app"),
			"spec": map[string]any{"size": int64(3 + j), "color": "blue", "tags": []any{"a", "b"}, "limits": map[string]any{"cpu": "500m"}}})
	}
	return objs
}

func deployment(ns, name string, meta, labels map[string]any) map[string]any {
	return map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta,
		"spec": map[string]any{
			"replicas": int64(1),
			"selector": map[string]any{"matchLabels": map[string]any{"app.kubernetes.io/name": name}},
			"template": map[string]any{
				"metadata": map[string]any{"labels": labels},
				"spec": map[string]any{
					"serviceAccountName": "app",
					"containers": []any{map[string]any{
						"name":  name,
						"image": "ghcr.io/example/" + name + ":1.4.0",
						"args":  []any{"--listen=:8080", "--namespace=" + ns},
						"ports": []any{map[string]any{"name": "http", "containerPort": int64(8080)}},
						"env": []any{
							map[string]any{"name": "LOG_LEVEL", "value": "info"},
							map[string]any{"name": "PASSWORD", "valueFrom": map[string]any{"secretKeyRef": map[string]any{"name": "secret-0", "key": "password"}}},
						},
						"envFrom":        []any{map[string]any{"configMapRef": map[string]any{"name": "config-0"}}},
						"resources":      map[string]any{"requests": map[string]any{"cpu": "100m", "memory": "64Mi"}, "limits": map[string]any{"memory": "128Mi"}},
						"readinessProbe": map[string]any{"httpGet": map[string]any{"path": "/healthz", "port": "http"}, "periodSeconds": int64(10)},
						"volumeMounts":   []any{map[string]any{"name": "config", "mountPath": "/etc/app"}},
					}},
					"volumes": []any{map[string]any{"name": "config", "configMap": map[string]any{"name": "config-1"}}},
				},
			},
		}}
}

func tierOf(component string) string {
	if component == "web" {
		return "frontend"
	}
	return "backend"
}

func appNamespace(i int) string { return fmt.Sprintf("bench-%04d", i) }

// apps returns how many applications make about n objects.
func apps(n int) int { return max(1, n/objectsPerApp) }

// Generate returns the objects of the applications that make about n
// objects, each application's Namespace before its other objects.
func Generate(n int) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for i := range apps(n) {
		for _, o := range app(i) {
			out = append(out, &unstructured.Unstructured{Object: o})
		}
	}
	return out
}

// appsPerFile is how many applications go in one manifest file: a few big
// files, as a generated or rendered deployment has.
const appsPerFile = 50

// WriteManifests writes objs, as Generate orders them, into files of
// appsPerFile applications each in dir, and returns the files.
func WriteManifests(dir string, objs []*unstructured.Unstructured) ([]string, error) {
	var (
		files []string
		b     strings.Builder
	)
	flush := func() error {
		if b.Len() == 0 {
			return nil
		}
		path := filepath.Join(dir, fmt.Sprintf("apps-%03d.yaml", len(files)))
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			return err
		}
		files = append(files, path)
		b.Reset()
		return nil
	}
	apps := 0
	for _, o := range objs {
		if o.GetKind() == "Namespace" {
			if apps > 0 && apps%appsPerFile == 0 {
				if err := flush(); err != nil {
					return nil, err
				}
			}
			apps++
		}
		y, err := yaml.Marshal(o.Object)
		if err != nil {
			return nil, fmt.Errorf("marshal %s %s: %w", o.GetKind(), o.GetName(), err)
		}
		b.WriteString("---\n")
		b.Write(y)
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return files, nil
}
