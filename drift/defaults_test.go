package drift

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilversion "k8s.io/apimachinery/pkg/util/version"
	"sigs.k8s.io/yaml"
)

// The generated defaults come from the Kubernetes version tools/go.mod pins;
// tools/defaultsgen's own test regenerates them and compares every byte.
func TestDefaultsVersion(t *testing.T) {
	data, err := os.ReadFile("../tools/go.mod")
	if err != nil {
		t.Fatal(err)
	}
	var pinned string
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "k8s.io/kubernetes" {
			pinned = f[1]
		}
	}
	if pinned == "" || DefaultsVersion() != pinned {
		t.Errorf("drift/defaults.json is of Kubernetes %q, tools/go.mod pins %q: run make generate", DefaultsVersion(), pinned)
	}
}

func TestSetDefaults(t *testing.T) {
	tests := []struct {
		name             string
		gvk              schema.GroupVersionKind
		want, live, with string
		set              []string
	}{
		{
			name: "inside an atomic list, replaced by the apply",
			gvk:  schema.GroupVersionKind{Group: "admissionregistration.k8s.io", Version: "v1", Kind: "ValidatingWebhookConfiguration"},
			want: `{webhooks: [{name: a, rules: [{operations: [CREATE], resources: [pods]}], failurePolicy: Ignore}]}`,
			live: `{webhooks: [{name: a, rules: [{operations: [CREATE], resources: [pods], scope: "*"}], failurePolicy: Ignore, matchPolicy: Equivalent, timeoutSeconds: 10}]}`,
			with: `{webhooks: [{name: a, rules: [{operations: [CREATE], resources: [pods], scope: "*"}], failurePolicy: Ignore, matchPolicy: Equivalent, timeoutSeconds: 10}]}`,
			set:  []string{"/webhooks/0/matchPolicy", "/webhooks/0/rules/0/scope", "/webhooks/0/timeoutSeconds"},
		},
		{
			name: "a port's target copies the port; its protocol is TCP",
			gvk:  schema.GroupVersionKind{Version: "v1", Kind: "Service"},
			want: `{spec: {type: ClusterIP, ports: [{name: http, port: 80}]}}`,
			live: `{spec: {}}`,
			with: `{spec: {type: ClusterIP, ports: [{name: http, port: 80, targetPort: 80, protocol: TCP}], sessionAffinity: None, internalTrafficPolicy: Cluster}}`,
		},
		{
			name: "by the service's type",
			gvk:  schema.GroupVersionKind{Version: "v1", Kind: "Service"},
			want: `{spec: {type: NodePort, sessionAffinity: ClientIP, sessionAffinityConfig: {clientIP: {}}}}`,
			live: `{spec: {}}`,
			with: `{spec: {type: NodePort, sessionAffinity: ClientIP, sessionAffinityConfig: {clientIP: {timeoutSeconds: 10800}}, externalTrafficPolicy: Cluster, internalTrafficPolicy: Cluster}}`,
		},
		{
			name: "an ExternalName service has no traffic policy",
			gvk:  schema.GroupVersionKind{Version: "v1", Kind: "Service"},
			want: `{spec: {type: ExternalName, externalName: example.com}}`,
			live: `{spec: {}}`,
			with: `{spec: {type: ExternalName, externalName: example.com, sessionAffinity: None}}`,
		},
		{
			name: "pull policy by the image's tag; probes' defaults only where a probe is",
			gvk:  schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"},
			want: `{spec: {strategy: {type: Recreate}, template: {spec: {containers: [
				{name: a, image: "app:1.0", readinessProbe: {tcpSocket: {port: 80}}},
				{name: b, image: "app"},
				{name: c, image: "registry:5000/app:latest"},
				{name: d, image: "app@sha256:abc"}]}}}}`,
			live: `{spec: {}}`,
			with: `{spec: {replicas: 1, revisionHistoryLimit: 10, progressDeadlineSeconds: 600, strategy: {type: Recreate}, template: {spec: {
				restartPolicy: Always, dnsPolicy: ClusterFirst, schedulerName: default-scheduler, terminationGracePeriodSeconds: 30,
				containers: [
				{name: a, image: "app:1.0", imagePullPolicy: IfNotPresent, terminationMessagePath: /dev/termination-log, terminationMessagePolicy: File,
				 readinessProbe: {tcpSocket: {port: 80}, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3}},
				{name: b, image: "app", imagePullPolicy: Always, terminationMessagePath: /dev/termination-log, terminationMessagePolicy: File},
				{name: c, image: "registry:5000/app:latest", imagePullPolicy: Always, terminationMessagePath: /dev/termination-log, terminationMessagePolicy: File},
				{name: d, image: "app@sha256:abc", imagePullPolicy: IfNotPresent, terminationMessagePath: /dev/termination-log, terminationMessagePolicy: File}]}}}}`,
		},
		{
			name: "a rolling update's surge is created with the strategy",
			gvk:  schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"},
			want: `{spec: {replicas: 2, revisionHistoryLimit: 1, progressDeadlineSeconds: 60, strategy: {}, template: {spec: {restartPolicy: Never}}}}`,
			live: `{spec: {}}`,
			with: `{spec: {replicas: 2, revisionHistoryLimit: 1, progressDeadlineSeconds: 60, strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: "25%", maxUnavailable: "25%"}},
				template: {spec: {restartPolicy: Never, dnsPolicy: ClusterFirst, schedulerName: default-scheduler, terminationGracePeriodSeconds: 30}}}}`,
		},
		{
			name: "an RBAC subject's group by its kind",
			gvk:  schema.GroupVersionKind{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "RoleBinding"},
			want: `{roleRef: {kind: Role, name: r}, subjects: [{kind: User, name: u}, {kind: ServiceAccount, name: s}]}`,
			live: `{}`,
			with: `{roleRef: {kind: Role, name: r, apiGroup: rbac.authorization.k8s.io}, subjects: [{kind: User, name: u, apiGroup: rbac.authorization.k8s.io}, {kind: ServiceAccount, name: s}]}`,
		},
		{
			name: "no parent made for a default whose condition is not there",
			gvk:  schema.GroupVersionKind{Group: "resource.k8s.io", Version: "v1", Kind: "ResourceClaim"},
			want: `{spec: {devices: {requests: [{name: a, firstAvailable: [{name: b, deviceClassName: c}]}, {name: d, exactly: {deviceClassName: c}}]}}}`,
			live: `{}`,
			with: `{spec: {devices: {requests: [{name: a, firstAvailable: [{name: b, deviceClassName: c, allocationMode: ExactCount, count: 1}]},
				{name: d, exactly: {deviceClassName: c, allocationMode: ExactCount, count: 1}}]}}}`,
		},
		{
			name: "nothing inside a map the merge left as live has it",
			gvk:  schema.GroupVersionKind{Group: "networking.k8s.io", Version: "v1", Kind: "NetworkPolicy"},
			want: `{spec: {podSelector: {}, ingress: [{ports: [{port: 80}]}]}}`,
			live: `{spec: {podSelector: {}, ingress: [{ports: [{port: 80}]}]}}`,
			with: `{spec: {podSelector: {}, ingress: [{ports: [{port: 80}]}]}}`,
		},
		{
			name: "a kind without defaults",
			gvk:  schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"},
			want: `{data: {a: b}}`,
			live: `{}`,
			with: `{data: {a: b}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, live, with := obj(t, tt.want), obj(t, tt.live), obj(t, tt.with)
			for _, o := range []*unstructured.Unstructured{want, live, with} {
				o.Object = integral(o.Object).(map[string]any)
			}
			set := setDefaults(tt.gvk, want.Object, live.Object)
			if !equality.Semantic.DeepEqual(want.Object, with.Object) {
				t.Errorf("defaulted to\n%v\nwant\n%v", want.Object, with.Object)
			}
			slices.Sort(set)
			if tt.set != nil && !slices.Equal(set, tt.set) {
				t.Errorf("set %q, want %q", set, tt.set)
			}
		})
	}
}

func TestParseDefaultsRefusesWhatItCannotApply(t *testing.T) {
	for _, data := range []string{
		`{"kubernetes": "v1.37.2", "kinds": {"v1/Service": [{"path": ["spec", "x"], "from": ["y"], "by": "guess"}]}}`,
		`{"kubernetes": "v1.37.2", "kinds": {"v1/Service": [{"path": ["spec", "x"], "from": ["y"]}]}}`,
		`{"kubernetes": "v1.37.2", "kinds": {"v1/Service": [{"path": []}]}}`,
		`{"kubernetes": "v1.37.2", "kinds": {"Service": [{"path": ["a"]}]}}`,
	} {
		if _, err := parseDefaults([]byte(data)); err == nil {
			t.Errorf("parsed %s", data)
		}
	}
}

// keyDefaults, which key list items by fields a manifest may leave out,
// agree with the generated defaults.
func TestKeyDefaults(t *testing.T) {
	n := 0
	var rulesOf func(*defaultsNode) []*defaultRule
	rulesOf = func(node *defaultsNode) []*defaultRule {
		rules := node.rules
		for _, child := range node.children {
			rules = append(rules, rulesOf(child)...)
		}
		return rules
	}
	for gvk, tree := range loadDefaults().kinds {
		for _, r := range rulesOf(tree) {
			name := r.path[len(r.path)-1]
			if v, ok := keyDefaults[name]; ok && slices.Contains(r.path, "ports") {
				n++
				if r.from != nil || r.value != v {
					t.Errorf("%s %s: default %v, keyDefaults say %v", gvk, strings.Join(r.path, "/"), r.value, v)
				}
			}
		}
	}
	if n == 0 {
		t.Error("no generated default for a port's protocol")
	}
}

func TestDefaultsSkewNote(t *testing.T) {
	r := &Result{
		Changes:   []Change{{Path: "webhooks[name=a].rules[0].scope", Pointer: "/webhooks/0/rules/0/scope"}, {Path: "metadata.labels.a", Pointer: "/metadata/labels/a"}},
		defaulted: []string{"/webhooks/0/rules/0/scope", "/webhooks/0/timeoutSeconds"},
	}
	ours := utilversion.MustParseGeneric(DefaultsVersion())
	other := utilversion.MustParseGeneric(fmt.Sprintf("v%d.%d.0", ours.Major(), ours.Minor()-2))
	if note := defaultsSkewNote(r, ours.WithPatch(9)); note != "" {
		t.Errorf("same minor version: note %q", note)
	}
	note := defaultsSkewNote(r, other)
	if !strings.Contains(note, "webhooks[name=a].rules[0].scope") || strings.Contains(note, "labels") ||
		!strings.Contains(note, fmt.Sprintf("%d.%d", other.Major(), other.Minor())) {
		t.Errorf("note %q: want the defaulted change and the cluster's version", note)
	}
	if note := defaultsSkewNote(&Result{Changes: r.Changes}, other); note != "" {
		t.Errorf("nothing defaulted: note %q", note)
	}
}

// BenchmarkSetDefaults: a Deployment that the apply changed in one field, as
// a drifted object reaches offline mode.
func BenchmarkSetDefaults(b *testing.B) {
	live := map[string]any{}
	if err := yaml.Unmarshal([]byte(`{apiVersion: apps/v1, kind: Deployment, metadata: {name: web, namespace: shop},
		spec: {replicas: 3, revisionHistoryLimit: 10, progressDeadlineSeconds: 600, selector: {matchLabels: {app: web}},
		strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 25%, maxUnavailable: 25%}},
		template: {metadata: {labels: {app: web}}, spec: {restartPolicy: Always, dnsPolicy: ClusterFirst, schedulerName: default-scheduler,
		terminationGracePeriodSeconds: 30, securityContext: {},
		containers: [{name: web, image: "web:1", imagePullPolicy: IfNotPresent, terminationMessagePath: /dev/termination-log,
		terminationMessagePolicy: File, ports: [{containerPort: 80, protocol: TCP}], resources: {requests: {cpu: 100m}},
		readinessProbe: {httpGet: {path: /, port: 80, scheme: HTTP}, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3}}]}}}}`), &live); err != nil {
		b.Fatal(err)
	}
	live = integral(live).(map[string]any)
	gvk := schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}
	loadDefaults()
	b.ReportAllocs()
	for b.Loop() {
		want := runtime.DeepCopyJSON(live)
		want["spec"].(map[string]any)["replicas"] = int64(5)
		setDefaults(gvk, want, live)
	}
}
