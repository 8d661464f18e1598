package cluster_test

import (
	"context"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubedrift/kubedrift/cluster"
	"github.com/kubedrift/kubedrift/internal/testcluster"
)

// TestIntercepted: the kinds whose updates an admission webhook or policy
// may see are told from the rest, from the configurations as they are now;
// a user who may not read them gets an error, not a guess.
func TestIntercepted(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	var (
		deployment  = schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}
		statefulSet = schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "StatefulSet"}
		secret      = schema.GroupVersionKind{Version: "v1", Kind: "Secret"}
		service     = schema.GroupVersionKind{Version: "v1", Kind: "Service"}
	)
	seen := func() func(schema.GroupVersionKind) bool {
		t.Helper()
		test, err := c.Intercepted(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return test
	}
	for _, gvk := range []schema.GroupVersionKind{configMapGVK, deployment, statefulSet, secret, service} {
		if seen()(gvk) {
			t.Errorf("%s is seen by admission before any webhook or policy exists", gvk.Kind)
		}
	}

	// A policy without a binding does nothing, but the test reads no
	// bindings: it may be bound at any time. A webhook that sees only
	// creations never sees an apply of an object that exists. The
	// webhooks select no object, so that no other test calls them.
	kubectl(t, `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: kubedrift-test-deployments
spec:
  matchConstraints:
    resourceRules:
    - apiGroups: [apps]
      apiVersions: [v1]
      operations: [CREATE, UPDATE]
      resources: [deployments]
  validations:
  - expression: "object.spec.replicas < 100"
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: kubedrift-test-secrets
webhooks:
- name: secrets.kubedrift.test
  admissionReviewVersions: [v1]
  sideEffects: None
  failurePolicy: Ignore
  clientConfig: {url: "https://127.0.0.1:1/mutate"}
  objectSelector: {matchLabels: {kubedrift-test: never}}
  rules:
  - apiGroups: [""]
    apiVersions: [v1]
    operations: [CREATE]
    resources: [secrets]
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: kubedrift-test-scale
webhooks:
- name: scale.kubedrift.test
  admissionReviewVersions: [v1]
  sideEffects: None
  failurePolicy: Ignore
  clientConfig: {url: "https://127.0.0.1:1/validate"}
  objectSelector: {matchLabels: {kubedrift-test: never}}
  rules:
  - apiGroups: ["*"]
    apiVersions: ["*"]
    operations: ["*"]
    resources: ["*/scale"]
  - apiGroups: [""]
    apiVersions: [v1]
    operations: [UPDATE]
    resources: [configmaps]
`, "apply")
	t.Cleanup(func() {
		_, _ = tc.Kubectl(context.Background(), testcluster.AdminUser, "delete",
			"validatingadmissionpolicy/kubedrift-test-deployments",
			"mutatingwebhookconfiguration/kubedrift-test-secrets",
			"validatingwebhookconfiguration/kubedrift-test-scale")
	})

	test := seen()
	for gvk, want := range map[schema.GroupVersionKind]bool{
		deployment:   true,  // the policy
		configMapGVK: true,  // the second rule of the scale webhook
		statefulSet:  false, // the webhook sees only the scale subresource
		secret:       false, // creations only
		service:      false,
	} {
		if got := test(gvk); got != want {
			t.Errorf("%s seen by admission = %t, want %t", gvk.Kind, got, want)
		}
	}

	kubeconfig, err := tc.Kubeconfig(testcluster.ViewerUser, "")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	viewer, err := cluster.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := viewer.Intercepted(ctx); err == nil {
		t.Error("a user who may not read the webhook configurations got an answer")
	}
}
