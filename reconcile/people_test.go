package reconcile

import (
	"path"
	"testing"
)

func TestPersonsTool(t *testing.T) {
	for manager, want := range map[string]bool{
		"kubectl-edit": true, "kubectl-scale": true, "kubectl-set": true, "kubectl-client-side-apply": true,
		"k9s": true, "Lens": true, "lens": true, "OpenLens": true, "before-first-apply": true,
		"kubectl": true, "helm": false, "kubedrift": false, "hpa-controller": false,
		"kube-controller-manager": false, "istiod": false, "kubectl-edit-x": false,
	} {
		if _, got := PersonsTool(manager); got != want {
			t.Errorf("PersonsTool(%q) = %v, want %v", manager, got, want)
		}
	}
	for _, tool := range peopleTools() {
		if _, err := path.Match(tool.Manager, ""); err != nil || tool.Manager == "" || tool.Tool == "" {
			t.Errorf("people.yaml: %+v: a manager glob and a tool, please (%v)", tool, err)
		}
	}
}
