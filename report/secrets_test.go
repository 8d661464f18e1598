package report

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/managedfields"

	"github.com/kubedrift/kubedrift/drift"
	"github.com/kubedrift/kubedrift/sources"
)

// secretCluster is a LiveReader and DryRunner over fixed live objects,
// enough for the engine to judge Secrets in server mode: its dry run
// answers as an API server would for a Secret, the manifest merged into the
// live object with stringData folded into data.
type secretCluster struct {
	live []*unstructured.Unstructured
}

func (c secretCluster) Namespaced(gvk schema.GroupVersionKind) (bool, error) {
	return gvk.Kind != "Namespace", nil
}

func (c secretCluster) List(_ context.Context, gvk schema.GroupVersionKind, namespace string) ([]unstructured.Unstructured, error) {
	var out []unstructured.Unstructured
	for _, o := range c.live {
		if o.GroupVersionKind() == gvk && o.GetNamespace() == namespace {
			out = append(out, *o.DeepCopy())
		}
	}
	return out, nil
}

func (c secretCluster) Get(_ context.Context, gvk schema.GroupVersionKind, namespace, name string) (*unstructured.Unstructured, error) {
	for _, o := range c.live {
		if o.GroupVersionKind() == gvk && o.GetNamespace() == namespace && o.GetName() == name {
			return o.DeepCopy(), nil
		}
	}
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: strings.ToLower(gvk.Kind) + "s"}, name)
}

func (c secretCluster) TypeConverter(schema.GroupVersion) (managedfields.TypeConverter, error) {
	return nil, errors.New("offline mode is not used here")
}

func (c secretCluster) DryRunApply(ctx context.Context, obj *unstructured.Unstructured, _ string) (*unstructured.Unstructured, error) {
	out := obj.DeepCopy()
	if live, err := c.Get(ctx, obj.GroupVersionKind(), obj.GetNamespace(), obj.GetName()); err == nil {
		out = live
		merge(out.Object, obj.DeepCopy().Object)
	}
	if stringData, ok := out.Object["stringData"].(map[string]any); ok {
		data, _ := out.Object["data"].(map[string]any)
		if data == nil {
			data = map[string]any{}
		}
		for k, v := range stringData {
			data[k] = base64.StdEncoding.EncodeToString([]byte(v.(string)))
		}
		out.Object["data"] = data
		delete(out.Object, "stringData")
	}
	return out, nil
}

// merge sets the fields of from in into, map by map.
func merge(into, from map[string]any) {
	for k, v := range from {
		if m, ok := v.(map[string]any); ok {
			if sub, ok := into[k].(map[string]any); ok {
				merge(sub, m)
				continue
			}
		}
		into[k] = v
	}
}

// TestNoSecretInAnyFormat plants Secret values in live objects, manifests
// and kubectl's last-applied annotation, has the real engine judge them
// (drifted, missing, unmanaged), and checks that no format prints any of
// them, in clear or in base64, while every format still shows that they
// changed.
func TestNoSecretInAnyFormat(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	planted := []string{
		"live-password-1", "desired-password-3", "same-token-2", "new-apikey-4",
		"unmanaged-secret-5", "missing-secret-6",
	}
	secretObj := func(name string, labels map[string]any, fields map[string]any) *unstructured.Unstructured {
		o := obj("v1", "Secret", "shop", name, fields)
		if labels != nil {
			o.SetLabels(map[string]string{})
			for k, v := range labels {
				unstructured.SetNestedField(o.Object, v, "metadata", "labels", k)
			}
		}
		return o
	}
	live := []*unstructured.Unstructured{
		secretObj("db", nil, map[string]any{
			"metadata": map[string]any{"annotations": map[string]any{
				"kubectl.kubernetes.io/last-applied-configuration": `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"db","namespace":"shop"},"stringData":{"password":"live-password-1"}}`,
			}},
			"type": "Opaque",
			"data": map[string]any{"password": b64("live-password-1"), "token": b64("same-token-2")},
		}),
		secretObj("leftover", map[string]any{"app": "shop"}, map[string]any{
			"type": "Opaque",
			"data": map[string]any{"key": b64("unmanaged-secret-5")},
		}),
	}
	desired := []drift.Desired{
		{Object: secretObj("db", nil, map[string]any{
			"type":       "Opaque",
			"stringData": map[string]any{"password": "desired-password-3"},
			"data":       map[string]any{"token": b64("same-token-2"), "apikey": b64("new-apikey-4")},
		}), Origin: sources.Origin{File: "k8s/db.yaml", Line: 1}},
		{Object: secretObj("fresh", nil, map[string]any{
			"type":       "Opaque",
			"stringData": map[string]any{"k": "missing-secret-6"},
		}), Origin: sources.Origin{File: "k8s/fresh.yaml", Line: 1}},
	}
	cluster := secretCluster{live: live}
	engine := drift.NewEngine(cluster, cluster, drift.Options{
		Mode:  drift.ModeServer,
		Owned: func(o *unstructured.Unstructured) bool { return o.GetLabels()["app"] == "shop" },
	})
	rep := engine.Check(t.Context(), desired)

	statuses := map[string]drift.Status{}
	for _, r := range rep.Results {
		statuses[r.Ref.Name] = r.Status
		if r.Status == drift.Error {
			t.Fatalf("%s: %s: %v", r.Ref, r.Reason, r.Err)
		}
	}
	if statuses["db"] != drift.Drifted || statuses["fresh"] != drift.Missing || statuses["leftover"] != drift.Unmanaged {
		t.Fatalf("the engine judged %v; the test needs db drifted, fresh missing, leftover unmanaged", statuses)
	}

	for _, f := range Formats() {
		t.Run(string(f), func(t *testing.T) {
			var b bytes.Buffer
			if err := Write(&b, f, rep, nil, Options{DiffContext: 100, Now: now}); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			for _, s := range planted {
				for _, form := range []string{s, b64(s)} {
					if strings.Contains(out, form) {
						t.Errorf("%s report shows the planted secret %q", f, form)
					}
				}
			}
			if !strings.Contains(out, "bytes, before") || !strings.Contains(out, "bytes, after") {
				t.Errorf("%s report does not show that a secret value changed:\n%s", f, out)
			}
		})
	}
}
