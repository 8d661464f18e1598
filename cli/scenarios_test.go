package cli_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/kubedrift/kubedrift/cli"
	"github.com/kubedrift/kubedrift/drift"
	"github.com/kubedrift/kubedrift/internal/testcluster"
)

// The scenario test seeds the real test cluster (kube-controller-manager
// running) with one object per scenario, each in a namespace of its own,
// applied the way people apply objects and then changed the way people and
// controllers change them. Each scenario states the verdict a person expects
// and why; kubedrift --check must give it. Beside ours, the test records the
// verdicts of `kubectl diff` and `kubectl diff --server-side` on the same
// file, and prints the three side by side, so that where kubedrift is right
// and the peer is not (or the other way round) is visible in the test log.
//
// Every scenario is checked in both modes, server and offline, against the
// same expectation: a person's verdict does not depend on how kubedrift
// reached it. Where offline mode cannot know what the server knows, the
// scenario is listed in offlineBlind with the reason. Scenarios whose edit
// leaves a foreign field are listed in foreignIn with the field kubedrift
// must name, and are checked once more with --strict, which makes them
// drifted.

// applyMethod is how a scenario's object was put into the cluster.
type applyMethod int

const (
	// clientSideApply is `kubectl apply`: a last-applied-configuration
	// annotation and an Update entry of kubectl-client-side-apply.
	clientSideApply applyMethod = iota
	// serverSideApply is `kubectl apply --server-side`: an Apply entry of
	// the manager "kubectl".
	serverSideApply
	// kubectlCreate is `kubectl create`: no record of what was applied.
	kubectlCreate
	// helm3 stands in for Helm 3's install: a create by the manager "helm",
	// with Helm's ownership label and annotations, which the chart's
	// rendered manifest does not carry.
	helm3
	// helm4 stands in for Helm 4: a server-side apply by the manager
	// "helm", with the same ownership metadata.
	helm4
	// byKubedrift stands in for kubedrift's own reconcile: a server-side
	// apply by the manager "kubedrift", the one kubedrift's dry run uses.
	byKubedrift
)

func (m applyMethod) String() string {
	return [...]string{"kubectl apply", "kubectl apply --server-side", "kubectl create",
		"helm 3", "helm 4", "kubedrift"}[m]
}

// args returns the kubectl command line that applies a file this way.
func (m applyMethod) args() []string {
	switch m {
	case serverSideApply:
		return []string{"apply", "--server-side"}
	case kubectlCreate:
		return []string{"create"}
	case helm3:
		return []string{"create", "--field-manager=helm"}
	case helm4:
		return []string{"apply", "--server-side", "--field-manager=helm"}
	case byKubedrift:
		return []string{"apply", "--server-side", "--field-manager=kubedrift"}
	}
	return []string{"apply"}
}

// edit is what is done to the live object after it was applied: kubectl
// command lines, each run with -n and the scenario's namespace, in order.
type edit [][]string

// untouched leaves the object alone.
func untouched() edit { return nil }

func kubectlDoes(args ...string) edit { return edit{args} }

func scale(res string, replicas int) edit {
	return kubectlDoes("scale", res, fmt.Sprintf("--replicas=%d", replicas))
}
func setImage(res, image string) edit { return kubectlDoes("set", "image", res, image) }
func label(res, l string) edit        { return kubectlDoes("label", res, l) }
func annotate(res, a string) edit     { return kubectlDoes("annotate", res, a) }
func remove(res string) edit          { return kubectlDoes("delete", res) }
func restart(res string) edit         { return kubectlDoes("rollout", "restart", res) }

// kubectlEdit changes the object as `kubectl edit` would: an update of
// fields, here as a merge patch.
func kubectlEdit(res, patch string) edit {
	return kubectlDoes("patch", res, "--type=merge", "-p", patch)
}

// jsonPatch changes lists by position, which a merge patch cannot.
func jsonPatch(res, patch string) edit {
	return kubectlDoes("patch", res, "--type=json", "-p", patch)
}

// byController writes as a controller-like manager does, under its own name.
func byController(res, patch string) edit {
	return kubectlDoes("patch", res, "--type=merge", "--field-manager=my-controller", "-p", patch)
}

// byStatusController writes the status subresource as a controller does.
func byStatusController(res, patch string) edit {
	return kubectlDoes("patch", res, "--type=merge", "--subresource=status", "--field-manager=my-controller", "-p", patch)
}

// then is e followed by next.
func (e edit) then(next edit) edit { return append(e[:len(e):len(e)], next...) }

func (e edit) String() string {
	if e == nil {
		return "none"
	}
	cmds := make([]string, len(e))
	for i, args := range e {
		cmds[i] = "kubectl " + strings.Join(args, " ")
	}
	return strings.Join(cmds, "; ")
}

// scenario is one situation a person may find the cluster in.
type scenario struct {
	name string
	// manifest is the one object checked, with NAMESPACE for the
	// scenario's namespace.
	manifest string
	// applied is what was applied, when the manifest has changed since;
	// empty means the manifest itself.
	applied string
	how     applyMethod
	edit    edit
	// want is the verdict a person expects, and why the reason for it.
	want drift.Status
	why  string
}

// with returns manifest with old replaced by new, which must be there.
func with(manifest, old, new string) string {
	if !strings.Contains(manifest, old) {
		panic(fmt.Sprintf("%q is not in the manifest", old))
	}
	return strings.Replace(manifest, old, new, 1)
}

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: NAMESPACE
  labels: {app: web, tier: frontend}
  annotations: {owner: team-a}
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27.3
        ports: [{containerPort: 80}]
        env:
        - {name: HOST, value: shop.example.com}
        - {name: URL, value: "https://$(HOST)/"}
        - {name: LOG_LEVEL, value: info}
        resources:
          requests: {cpu: 100m, memory: 64Mi}
`

// generatedDeployment is what `kubectl create deployment web
// --image=nginx:1.27.3 --replicas=2 --dry-run=client -o yaml` prints.
const generatedDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  creationTimestamp: null
  labels:
    app: web
  name: web
  namespace: NAMESPACE
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  strategy: {}
  template:
    metadata:
      creationTimestamp: null
      labels:
        app: web
    spec:
      containers:
      - image: nginx:1.27.3
        name: nginx
        resources: {}
status: {}
`

const statefulSet = `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
  namespace: NAMESPACE
  labels: {app: db}
spec:
  serviceName: db
  replicas: 1
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      containers:
      - name: db
        image: postgres:17.2
        resources:
          requests: {cpu: 0.25, memory: 1024Mi}
  volumeClaimTemplates:
  - metadata:
      name: data
    spec:
      accessModes: [ReadWriteOnce]
      resources:
        requests: {storage: 1024Mi}
`

const daemonSet = `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
  namespace: NAMESPACE
  labels: {app: agent}
spec:
  selector:
    matchLabels: {app: agent}
  template:
    metadata:
      labels: {app: agent}
    spec:
      containers:
      - name: agent
        image: fluent/fluent-bit:3.2.4
`

const job = `apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  namespace: NAMESPACE
  labels: {app: migrate}
spec:
  backoffLimit: 2
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: migrate
        image: busybox:1.37
        command: [sh, -c, echo migrated]
`

const cronJob = `apiVersion: batch/v1
kind: CronJob
metadata:
  name: backup
  namespace: NAMESPACE
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
          - name: backup
            image: busybox:1.37
            command: [sh, -c, echo backed up]
`

// service leaves clusterIP to the server.
const service = `apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: NAMESPACE
  labels: {app: web}
spec:
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: 8080}
`

// nodePortService leaves nodePort to the server.
const nodePortService = `apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: NAMESPACE
spec:
  type: NodePort
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: http}
`

const ingress = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: NAMESPACE
  annotations: {nginx.ingress.kubernetes.io/rewrite-target: /}
spec:
  rules:
  - host: shop.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: web
            port: {number: 80}
`

const configMap = `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: NAMESPACE
  labels: {app: shop}
data:
  log-level: info
  feature-x: "true"
`

const secretData = `apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: NAMESPACE
type: Opaque
data:
  password: Y29ycmVjdC1ob3JzZQ==
`

const secretStringData = `apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: NAMESPACE
stringData:
  password: correct-horse
`

const serviceAccount = `apiVersion: v1
kind: ServiceAccount
metadata:
  name: app
  namespace: NAMESPACE
automountServiceAccountToken: false
`

const role = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: config-reader
  namespace: NAMESPACE
rules:
- apiGroups: [""]
  resources: [configmaps]
  verbs: [get, list, watch]
`

const roleBinding = `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: config-reader
  namespace: NAMESPACE
subjects:
- kind: ServiceAccount
  name: app
  namespace: NAMESPACE
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: config-reader
`

// ClusterRoles are cluster-scoped: their names carry the scenario's
// namespace, which is unique.
const clusterRole = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: NAMESPACE-reader
rules:
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list]
`

// aggregatedClusterRole leaves its rules to the aggregation controller.
const aggregatedClusterRole = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: NAMESPACE-viewer
aggregationRule:
  clusterRoleSelectors:
  - matchLabels: {rbac.authorization.k8s.io/aggregate-to-view: "true"}
`

const pvc = `apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
  namespace: NAMESPACE
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests: {storage: 1024Mi}
`

const hpa = `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: web
  namespace: NAMESPACE
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 10
  metrics:
  - type: Resource
    resource:
      name: cpu
      target: {type: Utilization, averageUtilization: 60}
`

// networkPolicy leaves policyTypes and the port's protocol to the server.
const networkPolicy = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web
  namespace: NAMESPACE
spec:
  podSelector:
    matchLabels: {app: web}
  ingress:
  - from:
    - podSelector:
        matchLabels: {app: frontend}
    ports:
    - port: 8080
`

const pdb = `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web
  namespace: NAMESPACE
spec:
  minAvailable: 50%
  selector:
    matchLabels: {app: web}
`

// cacheCRD is installed by the test; its schema defaults engine and
// evictionPolicy.
const cacheCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: caches.scenarios.kubedrift.example
spec:
  group: scenarios.kubedrift.example
  names: {kind: Cache, plural: caches, singular: cache, listKind: CacheList}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
              engine: {type: string, default: redis}
              evictionPolicy: {type: string, default: allkeys-lru}
          status:
            type: object
            x-kubernetes-preserve-unknown-fields: true
`

const cache = `apiVersion: scenarios.kubedrift.example/v1
kind: Cache
metadata:
  name: sessions
  namespace: NAMESPACE
spec:
  size: 3
`

// scenarios are the situations the test seeds, each with the verdict a
// person expects and why.
func scenarios() []scenario {
	const (
		inSync  = drift.InSync
		drifted = drift.Drifted
		missing = drift.Missing
	)
	deploymentQuantities := with(deployment, "requests: {cpu: 100m, memory: 64Mi}",
		"requests: {cpu: 0.5, memory: 1024Mi}\n          limits: {cpu: \"1.0\", memory: 1Gi}")
	moveHostLast := `[{"op":"move","from":"/spec/template/spec/containers/0/env/0","path":"/spec/template/spec/containers/0/env/2"}]`
	return []scenario{
		// Deployment
		{"deploy-csa-untouched", deployment, "", clientSideApply, untouched(), inSync, "the revision annotation is the controller's, the defaults the server's"},
		{"deploy-ssa-untouched", deployment, "", serverSideApply, untouched(), inSync, "as above, applied server-side"},
		{"deploy-create-untouched", deployment, "", kubectlCreate, untouched(), inSync, "created without any record of what was applied"},
		{"deploy-helm3-untouched", deployment, "", helm3, untouched(), inSync, "Helm's ownership label and annotations are its bookkeeping, not in the chart"},
		{"deploy-helm4-untouched", deployment, "", helm4, untouched(), inSync, "as above, with Helm 4's server-side apply"},
		{"deploy-kubedrift-untouched", deployment, "", byKubedrift, untouched(), inSync, "what kubedrift's own reconcile applied is in sync"},
		{"deploy-csa-scale", deployment, "", clientSideApply, scale("deployment/web", 5), drifted, "the manifest says 3 replicas, the cluster has 5"},
		{"deploy-kubedrift-scale", deployment, "", byKubedrift, scale("deployment/web", 5), drifted, "a scale takes replicas from kubedrift's own apply"},
		{"deploy-ssa-set-image", deployment, "", serverSideApply, setImage("deployment/web", "web=nginx:1.28.0"), drifted, "the image is not the manifest's"},
		{"deploy-create-edit-annotation", deployment, "", kubectlCreate, kubectlEdit("deployment/web", `{"metadata":{"annotations":{"owner":"team-b"}}}`), drifted, "the manifest says owner: team-a"},
		{"deploy-csa-label-removed", deployment, "", clientSideApply, label("deployment/web", "tier-"), drifted, "the manifest sets the tier label"},
		{"deploy-ssa-label-added", deployment, "", serverSideApply, label("deployment/web", "canary=true"), inSync, "a foreign field: informational (issue 4), drift only with --strict"},
		// A reordered env list is drift, not noise: the order is meaning
		// ($(VAR) expands only from entries before it), and server-side
		// apply puts the entries it shares with the applied config in the
		// applied config's order (structured-merge-diff's merge of
		// associative lists), so a reconcile changes the live object.
		{"deploy-csa-env-reorder", deployment, "", clientSideApply, jsonPatch("deployment/web", moveHostLast), drifted, "env order matters ($(HOST) in URL expands only when HOST comes first), and an apply puts the manifest's order back"},
		{"deploy-ssa-env-reorder", deployment, "", serverSideApply, jsonPatch("deployment/web", moveHostLast), drifted, "as above: server-side apply orders shared list entries as the applied config does"},
		{"deploy-ssa-no-replicas-controller", with(deployment, "  replicas: 3\n", ""), "", serverSideApply, byController("deployment/web", `{"spec":{"replicas":4}}`), inSync, "the manifest leaves replicas to a controller, as with an HPA"},
		{"deploy-csa-controller-overrides", deployment, "", clientSideApply, byController("deployment/web", `{"spec":{"replicas":6}}`), drifted, "the manifest says 3; a reconcile would take replicas back from my-controller"},
		{"deploy-ssa-rollout-restart", deployment, "", serverSideApply, restart("deployment/web"), inSync, "restartedAt is a foreign template annotation; a restart changes no desired state"},
		{"deploy-csa-quantities", deploymentQuantities, "", clientSideApply, untouched(), inSync, "0.5 cpu is 500m, 1024Mi is 1Gi and 1.0 is 1 once parsed"},
		{"deploy-ssa-quantities", deploymentQuantities, "", serverSideApply, untouched(), inSync, "as above, applied server-side"},
		{"deploy-csa-quantities-edited", deploymentQuantities, "", clientSideApply, kubectlDoes("set", "resources", "deployment/web", "--requests=cpu=200m"), drifted, "200m is not 0.5: normalising quantities must not hide a change"},
		{"deploy-ssa-sidecar-added", deployment, "", serverSideApply, jsonPatch("deployment/web", `[{"op":"add","path":"/spec/template/spec/containers/-","value":{"name":"proxy","image":"envoyproxy/envoy:v1.32.0"}}]`), inSync, "a container someone else added is a foreign field: a reconcile keeps it"},
		// replicas: 3.0 is valid: YAML and JSON have one number type, and
		// kubectl, like kubedrift, sends it as 3.
		{"deploy-ssa-float-replicas", with(deployment, "replicas: 3\n", "replicas: 3.0\n"), "", serverSideApply, untouched(), inSync, "3.0 in YAML is the number 3"},
		{"deploy-csa-image-changed-and-back", deployment, "", clientSideApply, setImage("deployment/web", "web=nginx:1.28.0").then(setImage("deployment/web", "web=nginx:1.27.3")), inSync, "the image is the manifest's again; the revision annotation (now 3) is the controller's"},
		{"deploy-csa-controller-same-value", deployment, "", clientSideApply, byController("deployment/web", `{"spec":{"replicas":3}}`), inSync, "my-controller now shares replicas, at the manifest's value"},
		{"deploy-ssa-generated-manifest", generatedDeployment, "", serverSideApply, untouched(), inSync, "creationTimestamp: null, status: {}, strategy: {} and resources: {} from kubectl create --dry-run -o yaml say nothing"},
		{"deploy-csa-empty-env-value", with(deployment, "- {name: LOG_LEVEL, value: info}", "- {name: LOG_LEVEL, value: \"\"}"), "", clientSideApply, untouched(), inSync, "an empty value is no value: the server stores none"},
		{"deploy-ssa-empty-env-value", with(deployment, "- {name: LOG_LEVEL, value: info}", "- {name: LOG_LEVEL, value: \"\"}"), "", serverSideApply, untouched(), inSync, "as above, applied server-side"},
		{"deploy-csa-deleted", deployment, "", clientSideApply, remove("deployment/web"), missing, "deleted"},

		// StatefulSet
		{"sts-csa-untouched", statefulSet, "", clientSideApply, untouched(), inSync, "template defaults (claim status Pending, volumeMode) are the server's; 1024Mi is 1Gi"},
		{"sts-ssa-scale", statefulSet, "", serverSideApply, scale("statefulset/db", 3), drifted, "the manifest says 1 replica"},
		{"sts-helm4-annotated", statefulSet, "", helm4, annotate("statefulset/db", "backup.example.com/last=2025-01-01"), inSync, "a foreign annotation: informational"},

		// DaemonSet
		{"ds-csa-untouched", daemonSet, "", clientSideApply, untouched(), inSync, "deprecated.daemonset.template.generation is the server's"},
		{"ds-ssa-set-image", daemonSet, "", serverSideApply, setImage("daemonset/agent", "agent=fluent/fluent-bit:3.3.0"), drifted, "the image is not the manifest's"},
		{"ds-create-label-added", daemonSet, "", kubectlCreate, label("daemonset/agent", "team=infra"), inSync, "a foreign label: informational"},

		// Job
		{"job-csa-untouched", job, "", clientSideApply, untouched(), inSync, "the generated selector and controller-uid labels are the server's"},
		{"job-helm3-label-removed", job, "", helm3, label("job/migrate", "app-"), drifted, "the manifest sets the app label"},
		{"job-ssa-deleted", job, "", serverSideApply, remove("job/migrate"), missing, "deleted"},

		// CronJob
		{"cronjob-csa-untouched", cronJob, "", clientSideApply, untouched(), inSync, "defaults (suspend, concurrencyPolicy, history limits) are the server's"},
		{"cronjob-ssa-suspended", cronJob, "", serverSideApply, kubectlEdit("cronjob/backup", `{"spec":{"suspend":true}}`), inSync, "suspend is a foreign field the manifest leaves out: informational, drift only with --strict"},
		{"cronjob-csa-schedule-edit", cronJob, "", clientSideApply, kubectlEdit("cronjob/backup", `{"spec":{"schedule":"0 4 * * *"}}`), drifted, "the manifest says 0 3 * * *"},

		// Service
		{"svc-clusterip-csa-untouched", service, "", clientSideApply, untouched(), inSync, "clusterIP, ipFamilies and sessionAffinity are allocated or defaulted"},
		{"svc-clusterip-helm4-untouched", service, "", helm4, untouched(), inSync, "as above, with Helm's bookkeeping"},
		{"svc-clusterip-csa-float-port", with(service, "port: 80,", "port: 80.0,"), "", clientSideApply, untouched(), inSync, "80.0 is the number 80"},
		{"svc-clusterip-ssa-port-added", service, "", serverSideApply, jsonPatch("service/web", `[{"op":"add","path":"/spec/ports/-","value":{"name":"metrics","port":9090,"protocol":"TCP","targetPort":9090}}]`), inSync, "a port someone else added is a foreign field: a reconcile keeps it"},
		{"svc-clusterip-csa-port-edit", service, "", clientSideApply, jsonPatch("service/web", `[{"op":"replace","path":"/spec/ports/0/targetPort","value":9000}]`), drifted, "the manifest says targetPort 8080"},
		{"svc-nodeport-ssa-untouched", nodePortService, "", serverSideApply, untouched(), inSync, "the allocated nodePort is the server's"},
		{"svc-nodeport-create-untouched", nodePortService, "", kubectlCreate, untouched(), inSync, "as above, created"},
		{"svc-nodeport-csa-selector-edit", nodePortService, "", clientSideApply, kubectlEdit("service/web", `{"spec":{"selector":{"app":"other"}}}`), drifted, "the selector is not the manifest's"},

		// Ingress
		{"ingress-csa-untouched", ingress, "", clientSideApply, untouched(), inSync, "nothing added but status"},
		{"ingress-ssa-annotation-removed", ingress, "", serverSideApply, annotate("ingress/web", "nginx.ingress.kubernetes.io/rewrite-target-"), drifted, "the manifest sets the annotation"},

		// ConfigMap
		{"cm-csa-edit", configMap, "", clientSideApply, kubectlEdit("configmap/settings", `{"data":{"log-level":"debug"}}`), drifted, "the manifest says log-level: info"},
		{"cm-csa-empty-labels", with(configMap, "labels: {app: shop}", "labels: {}\n  annotations: {}"), "", clientSideApply, untouched(), inSync, "labels: {} is no labels; the server stores none"},
		{"cm-ssa-empty-labels", with(configMap, "labels: {app: shop}", "labels: {}\n  annotations: {}"), "", serverSideApply, untouched(), inSync, "as above, applied server-side"},
		{"cm-create-label-added", configMap, "", kubectlCreate, label("configmap/settings", "extra=yes"), inSync, "a foreign label: informational"},
		{"cm-kubedrift-deleted", configMap, "", byKubedrift, remove("configmap/settings"), missing, "deleted"},
		// The manifest changed since it was applied: it no longer sets a
		// label. The label is not a foreign field: the manifest's own
		// applier set it (it is in last-applied-configuration, or owned by
		// the applier's Apply entry), and that applier's next apply removes
		// it. kubectl diff finds it in the first two cases. kubedrift's
		// dry run applies as the manager "kubedrift", which owns the label
		// only in the last case: in the others it keeps the label, and
		// says in sync.
		{"cm-csa-label-dropped-from-manifest", configMap, with(configMap, "app: shop", "app: shop, team: a"), clientSideApply, untouched(), drifted, "the manifest no longer sets team; kubectl apply would remove it (it is in last-applied)"},
		{"cm-ssa-label-dropped-from-manifest", configMap, with(configMap, "app: shop", "app: shop, team: a"), serverSideApply, untouched(), drifted, "the manifest no longer sets team; the applier owns it and its next apply removes it"},
		{"cm-helm4-label-dropped-from-chart", configMap, with(configMap, "app: shop", "app: shop, team: a"), helm4, untouched(), drifted, "the chart no longer sets team; Helm owns it and its next upgrade removes it"},
		{"cm-kubedrift-label-dropped-from-manifest", configMap, with(configMap, "app: shop", "app: shop, team: a"), byKubedrift, untouched(), drifted, "kubedrift's own apply set team; its next reconcile removes it"},

		// Secret
		{"secret-data-csa-untouched", secretData, "", clientSideApply, untouched(), inSync, "nothing added"},
		{"secret-stringdata-csa-untouched", secretStringData, "", clientSideApply, untouched(), inSync, "stringData is write-only: the server folds it into data"},
		{"secret-stringdata-ssa-untouched", secretStringData, "", serverSideApply, untouched(), inSync, "as above, applied server-side"},
		{"secret-stringdata-helm3-untouched", secretStringData, "", helm3, untouched(), inSync, "as above, created by Helm"},
		{"secret-stringdata-create-edit", secretStringData, "", kubectlCreate, kubectlEdit("secret/db", `{"stringData":{"password":"hunter2"}}`), drifted, "the password is not the manifest's"},

		// ServiceAccount
		{"sa-csa-untouched", serviceAccount, "", clientSideApply, untouched(), inSync, "nothing added"},
		{"sa-ssa-automount-edit", serviceAccount, "", serverSideApply, kubectlEdit("serviceaccount/app", `{"automountServiceAccountToken":true}`), drifted, "the manifest says false"},

		// Role and RoleBinding
		{"role-csa-untouched", role, "", clientSideApply, untouched(), inSync, "nothing added"},
		{"role-ssa-verb-added", role, "", serverSideApply, jsonPatch("role/config-reader", `[{"op":"add","path":"/rules/0/verbs/-","value":"delete"}]`), drifted, "the live role grants more than the manifest"},
		{"rolebinding-csa-untouched", roleBinding, "", clientSideApply, untouched(), inSync, "nothing added"},
		{"rolebinding-helm4-subject-added", roleBinding, "", helm4, jsonPatch("rolebinding/config-reader", `[{"op":"add","path":"/subjects/-","value":{"kind":"User","name":"mallory","apiGroup":"rbac.authorization.k8s.io"}}]`), drifted, "the live binding grants a subject the manifest does not"},

		// ClusterRole
		{"clusterrole-ssa-untouched", clusterRole, "", serverSideApply, untouched(), inSync, "nothing added"},
		{"clusterrole-aggregated-csa-untouched", aggregatedClusterRole, "", clientSideApply, untouched(), inSync, "the rules are the aggregation controller's"},
		{"clusterrole-create-deleted", clusterRole, "", kubectlCreate, remove("clusterrole/NAMESPACE-reader"), missing, "deleted"},

		// PersistentVolumeClaim
		{"pvc-csa-untouched", pvc, "", clientSideApply, untouched(), inSync, "1024Mi is 1Gi; volumeMode and the pvc-protection finalizer are the server's"},
		{"pvc-ssa-controller-annotates", pvc, "", serverSideApply, byController("pvc/data", `{"metadata":{"annotations":{"volume.kubernetes.io/selected-node":"node-1"}}}`), inSync, "a controller's annotation the manifest leaves out: informational"},

		// HorizontalPodAutoscaler
		{"hpa-csa-untouched", hpa, "", clientSideApply, untouched(), inSync, "status and conditions are the HPA controller's"},
		{"hpa-ssa-max-edit", hpa, "", serverSideApply, kubectlEdit("hpa/web", `{"spec":{"maxReplicas":20}}`), drifted, "the manifest says maxReplicas: 10"},

		// NetworkPolicy
		{"netpol-csa-untouched", networkPolicy, "", clientSideApply, untouched(), inSync, "policyTypes and protocol are defaulted"},
		{"netpol-ssa-protocol-edit", networkPolicy, "", serverSideApply, jsonPatch("networkpolicy/web", `[{"op":"replace","path":"/spec/ingress/0/ports/0/protocol","value":"UDP"}]`), drifted, "the manifest's port is TCP, the default; UDP is not"},
		{"netpol-create-port-edit", networkPolicy, "", kubectlCreate, jsonPatch("networkpolicy/web", `[{"op":"replace","path":"/spec/ingress/0/ports/0/port","value":9090}]`), drifted, "the manifest says port 8080"},

		// PodDisruptionBudget
		{"pdb-ssa-untouched", pdb, "", serverSideApply, untouched(), inSync, "status is the disruption controller's"},
		{"pdb-csa-edit", pdb, "", clientSideApply, kubectlEdit("pdb/web", `{"spec":{"minAvailable":1}}`), drifted, "the manifest says 50%"},

		// A custom resource
		{"cr-csa-untouched", cache, "", clientSideApply, untouched(), inSync, "engine and evictionPolicy are defaulted by the CRD's schema"},
		{"cr-ssa-float-size", with(cache, "size: 3", "size: 3.0"), "", serverSideApply, untouched(), inSync, "3.0 is the integer 3"},
		{"cr-ssa-edit", cache, "", serverSideApply, kubectlEdit("cache/sessions", `{"spec":{"size":5}}`), drifted, "the manifest says size 3"},
		{"cr-helm4-status-by-controller", cache, "", helm4, byStatusController("cache/sessions", `{"status":{"ready":true}}`), inSync, "status is the controller's"},
		{"cr-create-deleted", cache, "", kubectlCreate, remove("cache/sessions"), missing, "deleted"},
	}
}

// foreignIn names, for each scenario whose edit sets a field the manifest
// does not mention, that field as kubedrift must report it.
var foreignIn = map[string]string{
	"deploy-ssa-label-added": "metadata.labels.canary",
	// The manifest leaves replicas to a controller, which sets it: that
	// is what --strict is for, to say so.
	"deploy-ssa-no-replicas-controller": "spec.replicas",
	"deploy-ssa-rollout-restart":        `spec.template.metadata.annotations["kubectl.kubernetes.io/restartedAt"]`,
	"sts-helm4-annotated":               `metadata.annotations["backup.example.com/last"]`,
	"ds-create-label-added":             "metadata.labels.team",
	"cronjob-ssa-suspended":             "spec.suspend",
	"cm-create-label-added":             "metadata.labels.extra",
	"deploy-ssa-sidecar-added":          "spec.template.spec.containers[name=proxy]",
	"svc-clusterip-ssa-port-added":      "spec.ports[port=9090,protocol=TCP]",
	"pvc-ssa-controller-annotates":      `metadata.annotations["volume.kubernetes.io/selected-node"]`,
}

// offlineBlind lists the scenarios in which offline mode cannot give the
// verdict a person expects, and why.
var offlineBlind = map[string]string{}

// modes are the modes every scenario is checked in.
var modes = []drift.Mode{drift.ModeServer, drift.ModeOffline}

// scenarioRun is what happened to one scenario.
type scenarioRun struct {
	scenario
	ns   string
	obj  *unstructured.Unstructured // the manifest, parsed
	file string                     // the manifest checked
	// appliedFile is what was applied: the manifest, or what it was before
	// it changed, with Helm's ownership metadata for the Helm stand-ins.
	appliedFile string
	// broken says why the scenario could not be set up; it is not judged.
	broken error

	// checks are kubedrift's reports, one per mode, and strict the report
	// of a server mode check with --strict, for scenarios in foreignIn.
	checks     map[drift.Mode]*check
	strict     *check
	diff       kubectlDiff
	diffServer kubectlDiff
}

// check is one kubedrift --check run on a scenario.
type check struct {
	result
	verdict string
	err     error // the report has no single verdict line
}

func runCheck(ctx context.Context, kubeconfig, cacheDir, file string, args ...string) *check {
	c := &check{result: checkOnce(ctx, kubeconfig, cacheDir, file, args...)}
	c.verdict, c.err = verdictOf(c.result)
	return c
}

// problem says what is wrong with c, as the verdict on a scenario that
// expects want; "" when nothing is.
func (c *check) problem(want drift.Status) string {
	switch {
	case c.err != nil:
		return fmt.Sprintf("%v\n%v", c.err, c.result)
	case c.verdict != want.String():
		return fmt.Sprintf("kubedrift says %s, want %s\n%v", c.verdict, want, c.result)
	case c.code != exitCodeOf(want):
		return fmt.Sprintf("kubedrift exits %d with the verdict %s, want %d\n%v", c.code, c.verdict, exitCodeOf(want), c.result)
	}
	return ""
}

// kubectlDiff is what one kubectl diff printed and returned.
type kubectlDiff struct {
	code int
	out  string
	err  error // kubectl could not be run at all
}

// verdict names the exit code: 0 no differences, 1 differences, more an error.
func (d kubectlDiff) verdict() string {
	switch {
	case d.err != nil:
		return "not run"
	case d.code == 0:
		return "no diff"
	case d.code == 1:
		return "diff"
	case strings.Contains(d.out, "(Conflict)"):
		return "conflict"
	}
	return fmt.Sprintf("error (%d)", d.code)
}

// agrees reports whether kubectl diff's answer matches want.
func (d kubectlDiff) agrees(want drift.Status) bool {
	return d.err == nil && (d.code == 0) == (want == drift.InSync) && d.code <= 1
}

func TestScenarios(t *testing.T) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	// kubectl runs with a discovery cache of its own, so that the kubectl
	// processes that run in parallel here share nothing else.
	k := newKubectlRunner(t)

	if _, err := k.run(ctx, "apply", "--server-side", "-f", writeFile(t, "crd.yaml", cacheCRD)); err != nil {
		t.Fatal(err)
	}
	if _, err := k.run(ctx, "wait", "--for=condition=Established", "--timeout=60s", "crd/caches.scenarios.kubedrift.example"); err != nil {
		t.Fatal(err)
	}
	// Offline mode reads the kind's structure from the OpenAPI document,
	// which the API server publishes a moment after the CRD is established.
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := k.run(ctx, "get", "--raw", "/openapi/v3/apis/scenarios.kubedrift.example/v1")
		return err == nil, nil
	})
	if err != nil {
		t.Fatalf("the CRD's OpenAPI schema is not published: %v", err)
	}

	// The test creates a namespace per scenario and polls many objects at
	// once: client-go's default limit of 5 requests a second would
	// throttle it.
	cfg := rest.CopyConfig(cluster.Admin)
	cfg.QPS, cfg.Burst = 100, 200
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}

	// Set up: one namespace per scenario, unique to this run so that
	// -count=N and the cluster-scoped objects named after it never collide.
	suffix := fmt.Sprintf("%04x", time.Now().UnixNano()&0xffff)
	var runs []*scenarioRun
	for _, sc := range scenarios() {
		ns := "sc-" + sc.name + "-" + suffix
		if len(ns) > 63 {
			t.Fatalf("scenario name %q is too long for a namespace", sc.name)
		}
		run := &scenarioRun{scenario: sc, ns: ns}
		run.obj, err = parseManifest(strings.ReplaceAll(sc.manifest, "NAMESPACE", ns))
		if err != nil {
			t.Fatalf("%s: %v", sc.name, err)
		}
		applied := sc.applied
		if applied == "" {
			applied = sc.manifest
		}
		if sc.how == helm3 || sc.how == helm4 {
			applied, err = withHelmOwnership(applied)
			if err != nil {
				t.Fatalf("%s: %v", sc.name, err)
			}
		}
		dir := manifests(t, ns, map[string]string{"manifest.yaml": sc.manifest, "applied.yaml": applied})
		run.file = filepath.Join(dir, "manifest.yaml")
		if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx := context.Background()
			_ = cs.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{})
			if run.obj.GetNamespace() == "" {
				_, _ = k.run(ctx, "delete", "--ignore-not-found", "--wait=false", "-f", run.file)
			}
		})
		run.appliedFile = filepath.Join(dir, "applied.yaml")
		runs = append(runs, run)
	}

	var phases []string // how long each phase took, for the table's footer
	phase := func(name string, f func(*scenarioRun)) {
		began := time.Now()
		eachParallel(runs, func(r *scenarioRun) {
			if r.broken == nil {
				f(r)
			}
		})
		phases = append(phases, fmt.Sprintf("%s %v", name, time.Since(began).Round(time.Millisecond)))
	}

	phase("apply", func(r *scenarioRun) {
		if _, err := k.run(ctx, append(r.how.args(), "-f", r.appliedFile)...); err != nil {
			r.broken = err
		}
	})
	phase("settle", func(r *scenarioRun) { r.broken = settle(ctx, dyn, r.obj) })
	phase("edit", func(r *scenarioRun) {
		for _, cmd := range r.edit {
			args := make([]string, 0, len(cmd)+2)
			for _, a := range cmd {
				args = append(args, strings.ReplaceAll(a, "NAMESPACE", r.ns))
			}
			if _, err := k.run(ctx, append(args, "-n", r.ns)...); err != nil {
				r.broken = err
				return
			}
			// The next command must see what the controllers made of
			// this one, as a person typing them would.
			if len(r.edit) > 1 {
				if err := settle(ctx, dyn, r.obj); err != nil {
					r.broken = err
					return
				}
			}
		}
	})
	phase("settle", func(r *scenarioRun) { r.broken = settle(ctx, dyn, r.obj) })

	cacheDirs := make(map[*scenarioRun]string, len(runs))
	for _, r := range runs {
		cacheDirs[r] = t.TempDir()
	}
	phase("check", func(r *scenarioRun) {
		r.checks = map[drift.Mode]*check{}
		for _, m := range modes {
			r.checks[m] = runCheck(ctx, k.kubeconfig, cacheDirs[r], r.file, "--mode="+string(m))
		}
		if foreignIn[r.name] != "" {
			r.strict = runCheck(ctx, k.kubeconfig, cacheDirs[r], r.file, "--mode=server", "--strict")
		}
		r.diff = k.diff(ctx, "diff", "-f", r.file)
		r.diffServer = k.diff(ctx, "diff", "--server-side", "-f", r.file)
	})

	agree := map[drift.Mode]int{}
	var agreeDiff, agreeServer, judged int
	var table strings.Builder
	fmt.Fprintf(&table, "\n%-42s %-8s  %-9s  %-9s  %-12s  %s\n", "scenario", "expected", "server", "offline", "kubectl diff", "kubectl diff --server-side")
	mark := func(ok bool) string {
		if ok {
			return " "
		}
		return "✗"
	}
	for _, r := range runs {
		if r.broken != nil {
			t.Errorf("%s: could not be set up: %v", r.name, r.broken)
			fmt.Fprintf(&table, "%-42s %-8s  %s\n", r.name, r.want, "(not set up)")
			continue
		}
		judged++
		how := fmt.Sprintf("%s; applied by %s, edit: %v", r.why, r.how, r.edit)
		fmt.Fprintf(&table, "%-42s %-8s ", r.name, r.want)
		for _, m := range modes {
			c := r.checks[m]
			problem := c.problem(r.want)
			if problem == "" {
				agree[m]++
			}
			fmt.Fprintf(&table, "%s%-9s  ", mark(problem == ""), c.verdict)
			switch blind := offlineBlind[r.name]; {
			case problem == "":
			case m == drift.ModeOffline && blind != "":
				t.Logf("%s: offline mode is blind here (%s): %s", r.name, blind, problem)
			default:
				t.Errorf("%s, --mode=%s: %s (%s)\n--- kubectl diff (exit %d)\n%s--- kubectl diff --server-side (exit %d)\n%s",
					r.name, m, problem, how, r.diff.code, r.diff.out, r.diffServer.code, r.diffServer.out)
			}
		}
		if r.diff.agrees(r.want) {
			agreeDiff++
		}
		if r.diffServer.agrees(r.want) {
			agreeServer++
		}
		fmt.Fprintf(&table, "%s%-12s  %s%s\n", mark(r.diff.agrees(r.want)), r.diff.verdict(),
			mark(r.diffServer.agrees(r.want)), r.diffServer.verdict())

		if field := foreignIn[r.name]; field != "" {
			for _, c := range append([]*check{r.strict}, r.checks[drift.ModeServer], r.checks[drift.ModeOffline]) {
				if !strings.Contains(c.stdout, "foreign "+field+":") {
					t.Errorf("%s: the report names no foreign field %s (%s)\n%v", r.name, field, how, c.result)
				}
			}
			if problem := r.strict.problem(drift.Drifted); problem != "" {
				t.Errorf("%s, --strict: %s (%s)", r.name, problem, how)
			}
		} else if strings.Contains(r.checks[drift.ModeServer].stdout, "foreign ") {
			t.Errorf("%s: the report names a foreign field where the edit made none (%s)\n%v", r.name, how, r.checks[drift.ModeServer].result)
		}
	}
	fmt.Fprintf(&table, "\nexpected verdict given by: kubedrift --mode=server %d/%d, --mode=offline %d/%d, kubectl diff %d/%d, kubectl diff --server-side %d/%d (✗ marks a wrong verdict)\n",
		agree[drift.ModeServer], judged, agree[drift.ModeOffline], judged, agreeDiff, judged, agreeServer, judged)
	fmt.Fprintf(&table, "%d scenarios in %v (%s)", len(runs), time.Since(start).Round(time.Millisecond), strings.Join(phases, ", "))
	t.Log(table.String())
}

func exitCodeOf(s drift.Status) int {
	if s == drift.InSync {
		return cli.ExitInSync
	}
	return cli.ExitDrift
}

// verdictOf returns the status on the single verdict line of a report on one
// object.
func verdictOf(r result) (string, error) {
	var found []string
	for line := range strings.Lines(r.stdout) {
		for _, s := range []drift.Status{drift.InSync, drift.Drifted, drift.Missing, drift.Unmanaged, drift.Error} {
			if strings.HasPrefix(line, s.String()+" ") {
				found = append(found, s.String())
			}
		}
	}
	if len(found) != 1 {
		return "?", fmt.Errorf("want one verdict line, found %d", len(found))
	}
	return found[0], nil
}

// checkOnce runs kubedrift --check on file with args, as
// kubedriftWithKubeconfig does, but safe to call from any goroutine.
func checkOnce(ctx context.Context, kubeconfig, cacheDir, file string, args ...string) result {
	var stdout, stderr strings.Builder
	streams := genericiooptions.IOStreams{In: strings.NewReader(""), Out: &stdout, ErrOut: &stderr}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	code := cli.Main(ctx, "kubedrift", append([]string{"--kubeconfig", kubeconfig, "--cache-dir", cacheDir, "--check", "-f", file}, args...), streams)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// settle waits until the controllers that write to obj's metadata or spec
// have done so, so that a check does not race them: the Deployment
// controller's revision annotation, the workload controllers catching up
// with a new generation, the aggregation controller's rules. An object that
// no longer exists has settled.
func settle(ctx context.Context, dyn dynamic.Interface, obj *unstructured.Unstructured) error {
	gvk := obj.GroupVersionKind()
	resources := map[string]schema.GroupVersionResource{
		"Deployment":  {Group: "apps", Version: "v1", Resource: "deployments"},
		"StatefulSet": {Group: "apps", Version: "v1", Resource: "statefulsets"},
		"DaemonSet":   {Group: "apps", Version: "v1", Resource: "daemonsets"},
		"ClusterRole": {Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles"},
	}
	gvr, ok := resources[gvk.Kind]
	if !ok || gvr.Group != gvk.Group {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var last *unstructured.Unstructured
	err := wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		live, err := dyn.Resource(gvr).Namespace(obj.GetNamespace()).Get(ctx, obj.GetName(), metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		last = live
		if gvk.Kind == "ClusterRole" {
			if _, aggregated := live.Object["aggregationRule"]; !aggregated {
				return true, nil
			}
			rules, _, _ := unstructured.NestedSlice(live.Object, "rules")
			return len(rules) > 0, nil
		}
		observed, _, _ := unstructured.NestedInt64(live.Object, "status", "observedGeneration")
		if observed < live.GetGeneration() {
			return false, nil
		}
		if gvk.Kind == "Deployment" {
			return live.GetAnnotations()["deployment.kubernetes.io/revision"] != "", nil
		}
		return true, nil
	})
	if err != nil {
		b, _ := yaml.Marshal(last)
		return fmt.Errorf("wait for the controllers to settle %s %s/%s: %w\n%s", gvk.Kind, obj.GetNamespace(), obj.GetName(), err, b)
	}
	return nil
}

// eachParallel calls f for every run, a few at a time: kubectl processes
// and the control plane share two cores.
func eachParallel(runs []*scenarioRun, f func(*scenarioRun)) {
	const workers = 6
	jobs := make(chan *scenarioRun)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for r := range jobs {
				f(r)
			}
		})
	}
	for _, r := range runs {
		jobs <- r
	}
	close(jobs)
	wg.Wait()
}

func parseManifest(manifest string) (*unstructured.Unstructured, error) {
	obj := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(manifest), &obj.Object); err != nil {
		return nil, err
	}
	return obj, nil
}

// withHelmOwnership adds what Helm writes to every object it installs and
// the chart's rendered manifest does not carry.
func withHelmOwnership(manifest string) (string, error) {
	obj, err := parseManifest(manifest)
	if err != nil {
		return "", err
	}
	labels := obj.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	labels["app.kubernetes.io/managed-by"] = "Helm"
	obj.SetLabels(labels)
	annotations := obj.GetAnnotations()
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations["meta.helm.sh/release-name"] = "shop"
	annotations["meta.helm.sh/release-namespace"] = "NAMESPACE"
	obj.SetAnnotations(annotations)
	b, err := yaml.Marshal(obj.Object)
	return string(b), err
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// kubectlRunner runs bin/kubectl as the admin user from any goroutine.
type kubectlRunner struct {
	path, kubeconfig, cacheDir string
}

func newKubectlRunner(t *testing.T) *kubectlRunner {
	t.Helper()
	bin, err := testcluster.BinDir()
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig, err := cluster.KubeconfigFile(testcluster.AdminUser)
	if err != nil {
		t.Fatal(err)
	}
	return &kubectlRunner{
		path:       filepath.Join(bin, "kubectl"),
		kubeconfig: kubeconfig,
		cacheDir:   t.TempDir(),
	}
}

func (k *kubectlRunner) command(ctx context.Context, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, k.path, append([]string{"--kubeconfig=" + k.kubeconfig, "--cache-dir=" + k.cacheDir}, args...)...)
}

// run runs kubectl and returns its output; the error carries it too.
func (k *kubectlRunner) run(ctx context.Context, args ...string) (string, error) {
	out, err := k.command(ctx, args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("kubectl %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// diff runs a kubectl diff, whose exit code is its verdict.
func (k *kubectlRunner) diff(ctx context.Context, args ...string) kubectlDiff {
	out, err := k.command(ctx, args...).CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return kubectlDiff{code: 0, out: string(out)}
	case errors.As(err, &exit):
		return kubectlDiff{code: exit.ExitCode(), out: string(out)}
	}
	return kubectlDiff{code: -1, out: string(out), err: err}
}
