package drift

import (
	"strings"
	"testing"
)

func TestGoneByDesign(t *testing.T) {
	for _, tt := range []struct {
		name, manifest, want string
	}{
		{"job with a TTL", `
apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec: {ttlSecondsAfterFinished: 0, template: {}}`, "completed and removed"},
		{"job without one", `
apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec: {template: {}}`, ""},
		{"a TTL on another kind", `
apiVersion: example.com/v1
kind: Job
metadata: {name: migrate}
spec: {ttlSecondsAfterFinished: 60}`, ""},
		{"hook deleted when it succeeded", `
apiVersion: v1
kind: ConfigMap
metadata:
  name: announce
  annotations: {helm.sh/hook: post-install, helm.sh/hook-delete-policy: "before-hook-creation, hook-succeeded"}`,
			"hook-delete-policy is hook-succeeded"},
		{"hook kept until the next one", `
apiVersion: v1
kind: ConfigMap
metadata:
  name: announce
  annotations: {helm.sh/hook: post-install, helm.sh/hook-delete-policy: before-hook-creation}`, ""},
		{"a delete policy without a hook", `
apiVersion: v1
kind: ConfigMap
metadata:
  name: announce
  annotations: {helm.sh/hook-delete-policy: hook-succeeded}`, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := goneByDesign(yamlObject(t, tt.manifest))
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Errorf("goneByDesign = %q, want %q", got, tt.want)
			}
		})
	}
}
