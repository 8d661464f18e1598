package cli_test

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/kubedrift/kubedrift/internal/testcluster"
)

// builtinKinds holds an object of every built-in kind whose defaults offline
// mode knows (drift/defaults.json), and of a few common kinds without any,
// written as people write them: leaving out what the server defaults, in
// atomic lists too. NAMESPACE is the test's namespace; cluster-scoped
// objects are named after it.
var builtinKinds = map[string]string{
	"v1/Service": `
apiVersion: v1
kind: Service
metadata: {name: web, namespace: NAMESPACE}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: nodeport, namespace: NAMESPACE}
spec:
  type: NodePort
  sessionAffinity: ClientIP
  selector: {app: web}
  ports: [{name: http, port: 8080, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: external, namespace: NAMESPACE}
spec: {type: ExternalName, externalName: example.invalid}`,
	"v1/Secret": `
apiVersion: v1
kind: Secret
metadata: {name: creds, namespace: NAMESPACE}
stringData: {user: app}`,
	"v1/PersistentVolumeClaim": `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: NAMESPACE}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}`,
	"v1/PersistentVolume": `
apiVersion: v1
kind: PersistentVolume
metadata: {name: NAMESPACE-pv}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  hostPath: {path: /tmp/NAMESPACE}`,
	"v1/PodTemplate": `
apiVersion: v1
kind: PodTemplate
metadata: {name: tpl, namespace: NAMESPACE}
template:
  spec:
    containers: [{name: app, image: "registry.example/app:1.0", ports: [{containerPort: 80}]}]`,
	"v1/ReplicationController": `
apiVersion: v1
kind: ReplicationController
metadata: {name: rc, namespace: NAMESPACE}
spec:
  replicas: 0
  selector: {app: rc}
  template:
    metadata: {labels: {app: rc}}
    spec:
      containers: [{name: app, image: registry.example/app}]`,
	"v1/Endpoints": `
apiVersion: v1
kind: Endpoints
metadata: {name: manual, namespace: NAMESPACE}
subsets:
- addresses: [{ip: 10.0.0.1}]
  ports: [{name: http, port: 80}]`,
	"apps/v1/Deployment": `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: NAMESPACE}
spec:
  replicas: 0
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: registry.example/web:1.0
        ports: [{name: http, containerPort: 8080}]
        env: [{name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]
        readinessProbe: {httpGet: {port: http}}
        livenessProbe: {tcpSocket: {port: 8080}}
        volumeMounts: [{name: config, mountPath: /etc/web}, {name: secret, mountPath: /etc/secret}]
      volumes:
      - {name: config, configMap: {name: web}}
      - {name: secret, secret: {secretName: creds}}`,
	"apps/v1/DaemonSet": `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: NAMESPACE}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers: [{name: agent, image: "registry.example/agent:latest"}]`,
	"apps/v1/ReplicaSet": `
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: rs, namespace: NAMESPACE}
spec:
  replicas: 0
  selector: {matchLabels: {app: rs}}
  template:
    metadata: {labels: {app: rs}}
    spec:
      containers: [{name: app, image: "registry.example/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}]`,
	"apps/v1/StatefulSet": `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: NAMESPACE}
spec:
  replicas: 0
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: registry.example/db:16, volumeMounts: [{name: data, mountPath: /data}]}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}`,
	"batch/v1/Job": `
apiVersion: batch/v1
kind: Job
metadata: {name: once, namespace: NAMESPACE}
spec:
  suspend: true
  template:
    spec:
      restartPolicy: Never
      containers: [{name: once, image: registry.example/once:1}]`,
	"batch/v1/CronJob": `
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: NAMESPACE}
spec:
  schedule: "0 3 * * *"
  suspend: true
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: job, image: registry.example/job:1}]`,
	"autoscaling/v1/HorizontalPodAutoscaler": `
apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata: {name: web-v1, namespace: NAMESPACE}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  maxReplicas: 3`,
	"autoscaling/v2/HorizontalPodAutoscaler": `
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web-v2, namespace: NAMESPACE}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  maxReplicas: 3
  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}}]`,
	"admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration": `
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: NAMESPACE-guard}
webhooks:
- name: guard.example.invalid
  clientConfig: {service: {name: guard, namespace: NAMESPACE}}
  rules: [{apiGroups: [example.invalid], apiVersions: [v1], operations: [CREATE], resources: [nothings]}]
  sideEffects: None
  admissionReviewVersions: [v1]`,
	"admissionregistration.k8s.io/v1/MutatingWebhookConfiguration": `
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: NAMESPACE-inject}
webhooks:
- name: inject.example.invalid
  clientConfig: {url: "https://inject.example.invalid/mutate"}
  rules: [{apiGroups: [example.invalid], apiVersions: [v1], operations: [CREATE], resources: [nothings]}]
  sideEffects: None
  admissionReviewVersions: [v1]`,
	"admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy": `
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: NAMESPACE-policy}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [example.invalid], apiVersions: [v1], operations: [CREATE], resources: [nothings]}]
  validations: [{expression: "true"}]`,
	"admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding": `
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: NAMESPACE-policy}
spec:
  policyName: NAMESPACE-policy
  validationActions: [Deny]`,
	"admissionregistration.k8s.io/v1/MutatingAdmissionPolicy": `
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingAdmissionPolicy
metadata: {name: NAMESPACE-mutate}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [example.invalid], apiVersions: [v1], operations: [CREATE], resources: [nothings]}]
  mutations:
  - patchType: ApplyConfiguration
    applyConfiguration: {expression: "Object{}"}
  reinvocationPolicy: Never`,
	"admissionregistration.k8s.io/v1/MutatingAdmissionPolicyBinding": `
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingAdmissionPolicyBinding
metadata: {name: NAMESPACE-mutate}
spec:
  policyName: NAMESPACE-mutate`,
	"discovery.k8s.io/v1/EndpointSlice": `
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: manual, namespace: NAMESPACE, labels: {kubernetes.io/service-name: manual}}
addressType: IPv4
endpoints: [{addresses: [10.0.0.1]}]
ports: [{name: http, port: 80}]`,
	"flowcontrol.apiserver.k8s.io/v1/PriorityLevelConfiguration": `
apiVersion: flowcontrol.apiserver.k8s.io/v1
kind: PriorityLevelConfiguration
metadata: {name: NAMESPACE-level}
spec:
  type: Limited
  limited:
    limitResponse: {type: Queue, queuing: {queues: 64}}`,
	"flowcontrol.apiserver.k8s.io/v1/FlowSchema": `
apiVersion: flowcontrol.apiserver.k8s.io/v1
kind: FlowSchema
metadata: {name: NAMESPACE-flow}
spec:
  priorityLevelConfiguration: {name: NAMESPACE-level}
  matchingPrecedence: 9000
  rules:
  - subjects: [{kind: User, user: {name: NAMESPACE-nobody}}]
    resourceRules: [{verbs: [get], apiGroups: [example.invalid], resources: [nothings], namespaces: [NAMESPACE]}]`,
	"networking.k8s.io/v1/IngressClass": `
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: NAMESPACE-class}
spec:
  controller: example.invalid/ingress
  parameters: {kind: Params, name: p, apiGroup: example.invalid}`,
	"networking.k8s.io/v1/NetworkPolicy": `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: NAMESPACE}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{ports: [{port: 8080}]}]
  egress: [{ports: [{port: 53, protocol: UDP}, {port: 443}]}]`,
	"networking.k8s.io/v1/Ingress": `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: NAMESPACE}
spec:
  rules:
  - host: web.example.invalid
    http:
      paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {name: http}}}}]`,
	"policy/v1/PodDisruptionBudget": `
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web, namespace: NAMESPACE}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: web}}`,
	"rbac.authorization.k8s.io/v1/RoleBinding": `
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: readers, namespace: NAMESPACE}
roleRef: {kind: ClusterRole, name: view}
subjects:
- {kind: User, name: alice}
- {kind: Group, name: readers}
- {kind: ServiceAccount, name: default, namespace: NAMESPACE}`,
	"rbac.authorization.k8s.io/v1/ClusterRoleBinding": `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: NAMESPACE-readers}
roleRef: {kind: ClusterRole, name: view}
subjects: [{kind: User, name: alice}]`,
	"resource.k8s.io/v1/ResourceClaim": `
apiVersion: resource.k8s.io/v1
kind: ResourceClaim
metadata: {name: gpu, namespace: NAMESPACE}
spec:
  devices:
    requests: [{name: gpu, exactly: {deviceClassName: gpu.example.invalid}}]`,
	"resource.k8s.io/v1/ResourceClaimTemplate": `
apiVersion: resource.k8s.io/v1
kind: ResourceClaimTemplate
metadata: {name: gpu, namespace: NAMESPACE}
spec:
  spec:
    devices:
      requests: [{name: gpu, exactly: {deviceClassName: gpu.example.invalid}}]`,
	"scheduling.k8s.io/v1/PriorityClass": `
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: NAMESPACE-high}
value: 1000`,
	"storage.k8s.io/v1/CSIDriver": `
apiVersion: storage.k8s.io/v1
kind: CSIDriver
metadata: {name: NAMESPACE.csi.example.invalid}
spec: {}`,
	"storage.k8s.io/v1/StorageClass": `
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: NAMESPACE-fast}
provisioner: csi.example.invalid`,
	"storage.k8s.io/v1/VolumeAttachment": `
apiVersion: storage.k8s.io/v1
kind: VolumeAttachment
metadata: {name: NAMESPACE-attach}
spec:
  attacher: csi.example.invalid
  nodeName: node-1
  source: {persistentVolumeName: NAMESPACE-pv}`,
	"v1/ConfigMap": `
apiVersion: v1
kind: ConfigMap
metadata: {name: web, namespace: NAMESPACE}
data: {a: b}`,
}

// notApplied are the kinds with generated defaults that people do not
// apply, and why.
var notApplied = map[string]string{
	"authentication.k8s.io/v1/TokenRequest":        "a subresource of a ServiceAccount, only ever created",
	"certificates.k8s.io/v1/PodCertificateRequest": "made by the kubelet for a pod, with a proof of its key",
	"v1/Pod": "made by controllers; admission adds a token volume, which offline mode cannot see, and a pod's spec cannot change",
}

// TestBuiltinKindsOffline applies an object of every built-in kind whose
// defaults offline mode knows, with kubectl client-side and server-side and
// as a chart with the real Helm 4 and Helm 3, and asks offline mode and the
// server's dry run for a verdict: untouched; then, for kubectl, after the
// same objects are applied with every default written out and judged
// against the manifest without them (the apply drops the fields and the
// server defaults them again); then after a change by hand inside an
// atomic list. Both modes must agree, and be right.
func TestBuiltinKindsOffline(t *testing.T) {
	data, err := os.ReadFile("../drift/defaults.json")
	if err != nil {
		t.Fatal(err)
	}
	var generated struct {
		Kinds map[string]json.RawMessage `json:"kinds"`
	}
	if err := json.Unmarshal(data, &generated); err != nil {
		t.Fatal(err)
	}
	for kind := range generated.Kinds {
		_, applied := builtinKinds[kind]
		if _, why := notApplied[kind]; !applied && !why {
			t.Errorf("drift/defaults.json has defaults of %s, which this test neither applies nor says why not", kind)
		}
	}
	kinds := slices.Sorted(maps.Keys(builtinKinds))

	for _, how := range []string{"kubectl apply", "kubectl apply --server-side", "helm 4", "helm 3"} {
		t.Run(how, func(t *testing.T) {
			ns := namespace(t)
			var docs []string
			for _, k := range kinds {
				docs = append(docs, strings.TrimSpace(strings.ReplaceAll(builtinKinds[k], "NAMESPACE", ns)))
			}
			dir := t.TempDir()
			bare := filepath.Join(dir, "bare.yaml")
			if err := os.WriteFile(bare, []byte(strings.Join(docs, "\n---\n")+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				_, _ = cluster.Kubectl(context.Background(), testcluster.AdminUser, "delete", "-f", bare, "--wait=false")
			})
			source := []string{"-f", bare}
			helm, byHelm := map[string]testcluster.Helm{"helm 4": testcluster.Helm4, "helm 3": testcluster.Helm3}[how]
			if byHelm {
				// The same objects as a chart of their own, judged as the
				// release Helm installed.
				chart := filepath.Join(dir, "kinds")
				if err := os.MkdirAll(filepath.Join(chart, "templates"), 0o755); err != nil {
					t.Fatal(err)
				}
				for name, content := range map[string]string{
					"Chart.yaml":         "apiVersion: v2\nname: kinds\nversion: 0.1.0\n",
					"templates/all.yaml": strings.Join(docs, "\n---\n") + "\n",
				} {
					if err := os.WriteFile(filepath.Join(chart, name), []byte(content), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				helmCLI(t, helm, "install", "kinds", chart, "-n", ns)
				source = []string{"--release", "kinds"}
			} else {
				kubectl(t, append(strings.Fields(how)[1:], "-f", bare)...)
			}

			agree := func(stage string, want map[string]string) {
				t.Helper()
				judged := map[string]map[string]string{}
				for _, mode := range []string{"server", "offline"} {
					got, _, r := verdicts(t, ns, append(source, "--mode", mode)...)
					judged[mode] = got
					for id, v := range got {
						w := "InSync"
						if x, ok := want[id]; ok {
							w = x
						}
						if v != w {
							t.Errorf("%s, %s: %s is %q, want %q", stage, mode, id, v, w)
						}
						if v == "Error" {
							t.Log(errorLines(r.stdout))
						}
					}
				}
				if len(judged["server"]) != len(judged["offline"]) {
					t.Errorf("%s: the server judged %d objects, offline mode %d", stage, len(judged["server"]), len(judged["offline"]))
				}
			}
			agree("untouched", nil)

			if !byHelm {
				// Every default written out, as the server returned it.
				full := filepath.Join(dir, "full.yaml")
				if err := os.WriteFile(full, []byte(writtenOut(t, kubectl(t, "get", "-f", bare, "-o", "json"))), 0o644); err != nil {
					t.Fatal(err)
				}
				kubectl(t, append(strings.Fields(how)[1:], "-f", full)...)
				agree("applied with its defaults written out", nil)
			}

			// A change by hand in an atomic list: the next apply puts the
			// default back.
			kubectl(t, "patch", "validatingwebhookconfiguration", ns+"-guard", "--type=json",
				"-p", `[{"op":"replace","path":"/webhooks/0/rules/0/scope","value":"Namespaced"}]`)
			agree("scope changed by hand", map[string]string{
				"ValidatingWebhookConfiguration/" + ns + "-guard": "Drifted /webhooks/0/rules/0/scope",
			})
		})
	}
}

// errorLines returns the lines of a JSON report that hold an error.
func errorLines(report string) string {
	var lines []string
	for _, l := range strings.Split(report, "\n") {
		if strings.Contains(l, `"error"`) {
			lines = append(lines, strings.TrimSpace(l))
		}
	}
	return strings.Join(lines, "\n")
}

// allocated are the fields of each kind that the server allocates or
// generates (a Service's cluster IPs, a Job's selector), or that controllers
// set (a claim's volume), by path.
var allocated = map[string][][]string{
	"Service":               {{"spec", "clusterIP"}, {"spec", "clusterIPs"}, {"spec", "ipFamilies"}, {"spec", "ipFamilyPolicy"}},
	"PersistentVolumeClaim": {{"spec", "volumeName"}},
	"PersistentVolume":      {{"spec", "claimRef"}},
	// A defaulter copies the template's labels when there are none: a rule
	// on metadata, which drift/defaults.json leaves out.
	"ReplicationController": {{"metadata", "labels"}},
}

// writtenOut turns kubectl's JSON list of live objects into a manifest that
// writes every field the server set: the objects without status and without
// the metadata the server keeps.
func writtenOut(t *testing.T, list string) string {
	t.Helper()
	var l struct {
		Items []map[string]any `json:"items"`
	}
	// kubectl's warnings (a deprecated kind) come first.
	list = list[strings.Index(list, "{"):]
	if err := json.Unmarshal([]byte(list), &l); err != nil {
		t.Fatal(err)
	}
	var docs []string
	for _, o := range l.Items {
		if o["kind"] == "Job" {
			// The server generates a Job's selector and its template's
			// labels, owned by the applier: a manifest that wrote them and
			// no longer does is refused.
			continue
		}
		delete(o, "status")
		// What the server allocates or generates, which manifests leave to
		// it: kept from the stored object on an update, not defaulted.
		for _, f := range allocated[o["kind"].(string)] {
			unstructured.RemoveNestedField(o, f...)
		}
		if ports, ok, _ := unstructured.NestedSlice(o, "spec", "ports"); ok && o["kind"] == "Service" {
			for _, p := range ports {
				delete(p.(map[string]any), "nodePort")
			}
			_ = unstructured.SetNestedSlice(o, ports, "spec", "ports")
		}
		meta := o["metadata"].(map[string]any)
		kept := map[string]any{"name": meta["name"]}
		for _, k := range []string{"namespace", "labels"} {
			if v, ok := meta[k]; ok {
				kept[k] = v
			}
		}
		o["metadata"] = kept
		doc, err := yaml.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, string(doc))
	}
	return strings.Join(docs, "---\n")
}
