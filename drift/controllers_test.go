package drift

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestControllerOf(t *testing.T) {
	tests := []struct {
		name        string
		labels      map[string]string
		annotations map[string]string
		want        string // "" for none
		fights      string
	}{
		{name: "none", labels: map[string]string{"app": "web"}},
		{
			name:   "Flux Kustomization",
			labels: map[string]string{"kustomize.toolkit.fluxcd.io/name": "apps", "kustomize.toolkit.fluxcd.io/namespace": "flux-system"},
			want:   "Flux Kustomization flux-system/apps",
			fights: "it reverts a change not made in its source at its next reconcile",
		},
		{
			name: "Flux HelmRelease, over Helm's own marks",
			labels: map[string]string{"helm.toolkit.fluxcd.io/name": "web", "helm.toolkit.fluxcd.io/namespace": "shop",
				"app.kubernetes.io/managed-by": "Helm"},
			annotations: map[string]string{"meta.helm.sh/release-name": "shop-web", "meta.helm.sh/release-namespace": "shop"},
			want:        "Flux HelmRelease shop/web",
		},
		{name: "Argo CD label", labels: map[string]string{"argocd.argoproj.io/instance": "shop"}, want: "Argo CD Application shop"},
		{
			name:        "Argo CD tracking annotation",
			annotations: map[string]string{"argocd.argoproj.io/tracking-id": "shop:apps/Deployment:shop/web"},
			want:        "Argo CD Application shop",
		},
		{
			name:        "Helm release",
			labels:      map[string]string{"app.kubernetes.io/managed-by": "Helm"},
			annotations: map[string]string{"meta.helm.sh/release-name": "web", "meta.helm.sh/release-namespace": "shop"},
			want:        "Helm release shop/web",
			fights:      "the next helm upgrade writes its own version back",
		},
		{name: "Helm label alone", labels: map[string]string{"app.kubernetes.io/managed-by": "Helm"}, want: "Helm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap"}}
			obj.SetLabels(tt.labels)
			obj.SetAnnotations(tt.annotations)
			c := ControllerOf(obj)
			switch {
			case tt.want == "" && c != nil:
				t.Fatalf("got %v, want none", c)
			case tt.want == "":
				return
			case c == nil:
				t.Fatalf("got none, want %s", tt.want)
			}
			if c.String() != tt.want {
				t.Errorf("got %q, want %q", c, tt.want)
			}
			if tt.fights != "" && c.Fights() != tt.fights {
				t.Errorf("Fights() = %q, want %q", c.Fights(), tt.fights)
			}
		})
	}
	if ControllerOf(nil) != nil {
		t.Error("a missing object has a controller")
	}
}
