package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/kubedrift/kubedrift/internal/testcluster"
	"github.com/kubedrift/kubedrift/sources"
)

// deployDir holds the manifests that run kubedrift watch in a cluster.
const deployDir = "../deploy"

// TestDeployManifests holds deploy/ to what it is for: every document in it
// is strict YAML that the API server accepts (a server-side dry run of
// them all), the ServiceAccount may only read, and the Deployment's command
// line, run as that ServiceAccount on the manifests the ConfigMap holds,
// judges them all and serves its metrics.
func TestDeployManifests(t *testing.T) {
	objects := readDeployDir(t)
	var (
		ns         corev1.Namespace
		sa         corev1.ServiceAccount
		role       rbacv1.ClusterRole
		binding    rbacv1.ClusterRoleBinding
		config     corev1.ConfigMap
		deployment appsv1.Deployment
		service    corev1.Service
	)
	for key, into := range map[string]any{
		"Namespace/kubedrift": &ns, "ServiceAccount/kubedrift": &sa, "ClusterRole/kubedrift-read": &role,
		"ClusterRoleBinding/kubedrift-read": &binding, "ConfigMap/kubedrift-manifests": &config,
		"Deployment/kubedrift": &deployment, "Service/kubedrift-metrics": &service,
	} {
		obj, ok := objects[key]
		if !ok {
			t.Fatalf("deploy/ has no %s; it has %v", key, slices.Sorted(maps.Keys(objects)))
		}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(obj, into, true); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
	}

	// Read only: whatever may be read, nothing may be written.
	for _, rule := range role.Rules {
		for _, verb := range rule.Verbs {
			if verb != "get" && verb != "list" && verb != "watch" {
				t.Errorf("ClusterRole %s allows %q; watch only reads", role.Name, verb)
			}
		}
	}
	if s := binding.Subjects; len(s) != 1 || s[0].Kind != "ServiceAccount" || s[0].Name != sa.Name || s[0].Namespace != sa.Namespace ||
		binding.RoleRef.Name != role.Name {
		t.Errorf("ClusterRoleBinding %s binds %v to %s, want the ServiceAccount to the ClusterRole", binding.Name, s, binding.RoleRef.Name)
	}
	pod := deployment.Spec.Template.Spec
	if pod.ServiceAccountName != sa.Name || len(pod.Containers) != 1 {
		t.Fatalf("the Deployment runs as %q with %d containers, want one container as %s", pod.ServiceAccountName, len(pod.Containers), sa.Name)
	}
	container := pod.Containers[0]
	if sc := container.SecurityContext; sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
		t.Errorf("the container's securityContext is %+v, want a read-only root, no privilege escalation, all capabilities dropped", sc)
	}
	if psc := pod.SecurityContext; psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
		t.Error("the pod may run as root")
	}
	if p := container.ReadinessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/healthz" {
		t.Errorf("the readiness probe is %+v, want GET /healthz", p)
	}
	if service.Annotations["prometheus.io/scrape"] != "true" || service.Spec.Ports[0].TargetPort.String() != container.Ports[0].Name {
		t.Errorf("Service %s is not scraped, or not on the container's port %s", service.Name, container.Ports[0].Name)
	}

	// It writes only what it reconciles, and its Lease.
	for key, verbs := range map[string][]string{
		"Role/kubedrift-reconcile": {"patch", "create"},
		"Role/kubedrift-leader":    {"get", "create", "update"},
	} {
		var role rbacv1.Role
		if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(objects[key], &role, true); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		for _, rule := range role.Rules {
			if !slices.Equal(rule.Verbs, verbs) {
				t.Errorf("%s allows %q, want %q", key, rule.Verbs, verbs)
			}
		}
	}
	if deployment.Spec.Replicas == nil || *deployment.Spec.Replicas != 2 {
		t.Errorf("the Deployment runs %v replicas, want two, one of which leads", deployment.Spec.Replicas)
	}

	// The server accepts it all. The namespaces are created first, as the
	// first file creates them when this is applied for real.
	kubectl(t, "apply", "-f", filepath.Join(deployDir, "00-namespace.yaml"))
	t.Cleanup(func() {
		_, _ = cluster.Kubectl(context.Background(), testcluster.AdminUser, "delete", "-f", filepath.Join(deployDir, "00-namespace.yaml"), "--wait=false")
	})
	kubectl(t, "apply", "--dry-run=server", "-f", deployDir)

	// The Deployment's command line, run here as the ServiceAccount on the
	// files the ConfigMap volume would hold.
	manifestsDir := t.TempDir()
	for name, content := range config.Data {
		if _, errs := sources.Parse(name, []byte(content)); len(errs) > 0 {
			t.Errorf("the ConfigMap's %s: %v", name, errors.Join(errs...))
		}
		if err := os.WriteFile(filepath.Join(manifestsDir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var mountPath string
	for _, m := range container.VolumeMounts {
		for _, v := range pod.Volumes {
			if v.Name == m.Name && v.ConfigMap != nil && v.ConfigMap.Name == config.Name {
				mountPath = m.MountPath
			}
		}
	}
	args := slices.Clone(container.Args)
	if len(args) == 0 || args[0] != "watch" {
		t.Fatalf("the container runs %q, not kubedrift watch", args)
	}
	for flag, value := range map[string]string{
		"-f": mountPath, "--metrics-addr": ":8080", "--cache-dir": "/tmp/kube-cache", "--log-file": "/dev/stderr",
		"-l": "app.kubernetes.io/part-of=shop",
	} {
		i := slices.Index(args, flag)
		if i < 0 || i+1 == len(args) || args[i+1] != value {
			t.Fatalf("the container's args %q have no %s %s", args, flag, value)
		}
	}
	for _, flag := range []string{"--auto-reconcile", "--leader-elect"} {
		if !slices.Contains(args, flag) {
			t.Errorf("the container's args %q have no %s", args, flag)
		}
	}
	logFile := filepath.Join(t.TempDir(), "writes.log")
	for flag, value := range map[string]string{"-f": manifestsDir, "--metrics-addr": "127.0.0.1:0", "--cache-dir": t.TempDir(), "--log-file": logFile} {
		args[slices.Index(args, flag)+1] = value
	}
	kubectl(t, "apply", "-f", filepath.Join(deployDir, "10-rbac.yaml"))
	t.Cleanup(func() {
		_, _ = cluster.Kubectl(context.Background(), testcluster.AdminUser, "delete", "-f", filepath.Join(deployDir, "10-rbac.yaml"), "--wait=false")
	})
	w := startWatch(t, testcluster.AdminUser, ns.Name, append(args[1:], "--as", "system:serviceaccount:"+sa.Namespace+":"+sa.Name)...)
	addr := w.metricsAddr()
	// The example application is not deployed, but for its namespace:
	// three missing objects, which the replica, leading, creates.
	w.waitFor(`"event":"info","message":"leading \(Lease kubedrift/kubedrift`)
	w.waitFor(`"event":"check","message":"4 objects: 1 in sync, 0 drifted, 3 missing, 0 errors"`)
	for _, obj := range []string{"Deployment.apps shop/web", "Service shop/web", "ConfigMap shop/shop-settings"} {
		w.waitFor(`"event":"reconcile".*"message":"created +` + regexp.QuoteMeta(obj) + ` \(as kubedrift\), now in sync"`)
	}
	w.waitMetrics(addr, map[string]float64{`kubedrift_objects{status="in_sync"}`: 4, `kubedrift_objects{status="error"}`: 0})
	w.stop()
}

// readDeployDir reads every document of every file in deploy/, strictly,
// by "Kind/name".
func readDeployDir(t *testing.T) map[string]map[string]any {
	t.Helper()
	files, err := os.ReadDir(deployDir)
	if err != nil {
		t.Fatal(err)
	}
	objects := map[string]map[string]any{}
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(deployDir, f.Name()))
		if err != nil {
			t.Fatal(err)
		}
		docs := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
		for {
			doc, err := docs.Read()
			if errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f.Name(), err)
			}
			var obj map[string]any
			if err := yaml.UnmarshalStrict(doc, &obj); err != nil {
				t.Fatalf("%s: %v", f.Name(), err)
			}
			if obj == nil {
				continue // comments only
			}
			kind, _ := obj["kind"].(string)
			name, _ := obj["metadata"].(map[string]any)["name"].(string)
			objects[kind+"/"+name] = obj
		}
	}
	return objects
}
