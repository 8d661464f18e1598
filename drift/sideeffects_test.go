package drift

import (
	"reflect"
	"testing"
)

func TestUndoSideEffects(t *testing.T) {
	const live = `
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
  annotations: {deprecated.daemonset.template.generation: "1", team: shop}
spec: {template: {spec: {containers: [{name: agent, image: "agent:1.1"}]}}}`
	// The dry run that puts the image back bumps the generation.
	answer := yamlObject(t, `
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
  annotations: {deprecated.daemonset.template.generation: "2", team: shop}
spec: {template: {spec: {containers: [{name: agent, image: "agent:1.0"}]}}}`)
	undoSideEffects(yamlObject(t, live), answer)
	want := yamlObject(t, `
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
  annotations: {deprecated.daemonset.template.generation: "1", team: shop}
spec: {template: {spec: {containers: [{name: agent, image: "agent:1.0"}]}}}`)
	if !reflect.DeepEqual(answer.Object, want.Object) {
		t.Errorf("after undoSideEffects:\n got %v\nwant %v", answer.Object, want.Object)
	}

	// Another kind keeps what the answer says.
	deployment := yamlObject(t, `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, annotations: {deprecated.daemonset.template.generation: "2"}}`)
	undoSideEffects(yamlObject(t, live), deployment)
	if v := deployment.GetAnnotations()[daemonSetTemplateGeneration]; v != "2" {
		t.Errorf("a Deployment's annotation became %q", v)
	}
}

func TestDropAllocated(t *testing.T) {
	desired := yamlObject(t, `
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  ports: [{port: 80}, {port: 443, nodePort: 30443}]`)
	answer := yamlObject(t, `
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  clusterIP: 10.0.0.0
  clusterIPs: [10.0.0.0]
  ports: [{port: 80, protocol: TCP, nodePort: 31234}, {port: 443, protocol: TCP, nodePort: 30443}]`)
	dropAllocated(answer, desired)
	want := yamlObject(t, `
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  ports: [{port: 80, protocol: TCP}, {port: 443, protocol: TCP, nodePort: 30443}]`)
	if !reflect.DeepEqual(answer.Object, want.Object) {
		t.Errorf("after dropAllocated:\n got %v\nwant %v", answer.Object, want.Object)
	}
}
