package drift

import (
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestRefString(t *testing.T) {
	tests := []struct {
		name string
		ref  Ref
		want string
	}{
		{"namespaced, grouped", Ref{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "shop", Name: "web"}, "Deployment.apps shop/web"},
		{"namespaced, core", Ref{Version: "v1", Kind: "ConfigMap", Namespace: "shop", Name: "settings"}, "ConfigMap shop/settings"},
		{"cluster-scoped, core", Ref{Version: "v1", Kind: "Namespace", Name: "shop"}, "Namespace shop"},
		{"cluster-scoped, grouped", Ref{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "ClusterRole", Name: "admin"}, "ClusterRole.rbac.authorization.k8s.io admin"},
		{"custom kind", Ref{Group: "example.com", Version: "v1alpha1", Kind: "Widget", Namespace: "shop", Name: "w"}, "Widget.example.com shop/w"},
		{"version not shown", Ref{Group: "apps", Version: "v1beta2", Kind: "Deployment", Namespace: "shop", Name: "web"}, "Deployment.apps shop/web"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.ref.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRefLess(t *testing.T) {
	base := Ref{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "shop", Name: "web"}
	with := func(change func(*Ref)) Ref {
		r := base
		change(&r)
		return r
	}
	tests := []struct {
		name string
		a, b Ref // a must sort strictly before b
	}{
		{"namespace first", with(func(r *Ref) { r.Namespace = "a"; r.Group = "z" }), base},
		{"cluster-scoped before namespaced", with(func(r *Ref) { r.Namespace = ""; r.Name = "zzz" }), base},
		{"then group", with(func(r *Ref) { r.Group = ""; r.Kind = "Zebra" }), base},
		{"then kind", with(func(r *Ref) { r.Kind = "DaemonSet"; r.Name = "zzz" }), base},
		{"then name", with(func(r *Ref) { r.Name = "api"; r.Version = "v2" }), base},
		{"version last", with(func(r *Ref) { r.Version = "v1beta1" }), with(func(r *Ref) { r.Version = "v2" })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.a.Less(tt.b) {
				t.Errorf("%v.Less(%v) = false, want true", tt.a, tt.b)
			}
			if tt.b.Less(tt.a) {
				t.Errorf("%v.Less(%v) = true, want false", tt.b, tt.a)
			}
		})
	}
	if base.Less(base) {
		t.Error("a ref is less than itself")
	}
}

func TestRefLessSorts(t *testing.T) {
	want := []Ref{
		{Version: "v1", Kind: "Namespace", Name: "shop"},
		{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "ClusterRole", Name: "admin"},
		{Version: "v1", Kind: "ConfigMap", Namespace: "shop", Name: "settings"},
		{Version: "v1", Kind: "Secret", Namespace: "shop", Name: "db"},
		{Version: "v1", Kind: "Service", Namespace: "shop", Name: "web"},
		{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "shop", Name: "api"},
		{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "shop", Name: "web"},
		{Group: "apps", Version: "v1", Kind: "StatefulSet", Namespace: "shop", Name: "db"},
		{Version: "v1", Kind: "ConfigMap", Namespace: "tools", Name: "settings"},
	}
	got := slices.Clone(want)
	slices.Reverse(got)
	got[0], got[4] = got[4], got[0]
	slices.SortFunc(got, func(a, b Ref) int {
		switch {
		case a.Less(b):
			return -1
		case b.Less(a):
			return 1
		}
		return 0
	})
	if !slices.Equal(got, want) {
		t.Errorf("sorted:\n%v\nwant:\n%v", got, want)
	}
}

func TestRefOf(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want Ref
	}{
		{
			"grouped, namespaced",
			`{apiVersion: apps/v1, kind: Deployment, metadata: {name: web, namespace: shop}}`,
			Ref{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "shop", Name: "web"},
		},
		{
			"core",
			`{apiVersion: v1, kind: ConfigMap, metadata: {name: settings, namespace: shop}}`,
			Ref{Version: "v1", Kind: "ConfigMap", Namespace: "shop", Name: "settings"},
		},
		{
			"no namespace",
			`{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: admin}}`,
			Ref{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "ClusterRole", Name: "admin"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := RefOf(fromYAML(t, tt.yaml))
			if got != tt.want {
				t.Errorf("RefOf = %#v, want %#v", got, tt.want)
			}
			wantGVK := schema.GroupVersionKind{Group: tt.want.Group, Version: tt.want.Version, Kind: tt.want.Kind}
			if gvk := got.GroupVersionKind(); gvk != wantGVK {
				t.Errorf("GroupVersionKind = %v, want %v", gvk, wantGVK)
			}
		})
	}
}
