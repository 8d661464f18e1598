package drift

import (
	"slices"
	"testing"
)

func TestRefusedBecause(t *testing.T) {
	for _, tt := range []struct {
		name, manifest string
		want           []string
	}{
		{"service ports", `
apiVersion: v1
kind: Service
spec: {ports: [{name: http, port: 80}, {name: http, port: 8000}, {name: metrics, port: 9090}]}`,
			[]string{`spec.ports[1].name: Duplicate value: "http"`}},
		{"unnamed ports are left to the server", `
apiVersion: v1
kind: Service
spec: {ports: [{port: 80}, {port: 8000}]}`, nil},
		{"a cronjob's containers and volumes", `
apiVersion: batch/v1
kind: CronJob
spec: {jobTemplate: {spec: {template: {spec: {
  containers: [{name: a}, {name: b}, {name: a}],
  volumes: [{name: data}, {name: data}]}}}}}`,
			[]string{`spec.jobTemplate.spec.template.spec.containers[2].name: Duplicate value: "a"`, `spec.jobTemplate.spec.template.spec.volumes[1].name: Duplicate value: "data"`}},
		{"a kind without pods", `
apiVersion: example.com/v1
kind: Deployment
spec: {template: {spec: {containers: [{name: a}, {name: a}]}}}`, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := refusedBecause(yamlObject(t, tt.manifest)); !slices.Equal(got, tt.want) {
				t.Errorf("refusedBecause = %q, want %q", got, tt.want)
			}
		})
	}
}
