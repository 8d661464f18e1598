// Package testcluster runs a real Kubernetes control plane for tests and the
// demo: etcd, kube-apiserver and kube-controller-manager, built from source by
// `make tools` into bin/ and started through controller-runtime's envtest.
//
// The controller manager matters: without it namespaces never finish deleting,
// Deployments never get their revision annotation, and no controller ever
// writes to an object, and all of that is drift kubedrift must judge right.
package testcluster

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

// Users the cluster is started with.
const (
	// AdminUser is in system:masters and may do anything.
	AdminUser = "kubedrift-admin"
	// ReadOnlyUser may get, list and watch every resource, and nothing else.
	ReadOnlyUser = "kubedrift-reader"
	// ViewerUser has Kubernetes' own "view" role everywhere: it may read
	// most objects, but not Secrets, and write nothing.
	ViewerUser = "kubedrift-viewer"
	// UnboundUser has no permission at all until a test binds a role to it,
	// such as "admin" in one namespace with a RoleBinding.
	UnboundUser = "kubedrift-unbound"
	// ControllerManagerUser is the identity of kube-controller-manager, kept
	// apart from AdminUser so that audit events tell its writes from a test's.
	ControllerManagerUser = "system:kube-controller-manager"

	readOnlyGroup = "kubedrift:read-only"
	readOnlyRole  = "kubedrift:read-only"
	viewerGroup   = "kubedrift:viewers"
)

// Cluster is a running control plane.
type Cluster struct {
	// Admin and ReadOnly are configs for AdminUser and ReadOnlyUser.
	Admin, ReadOnly *rest.Config

	env   *envtest.Environment
	users map[string]*envtest.AuthenticatedUser
	// kubeconfigs are the users' kubeconfig files, by user.
	kubeconfigs map[string]string
	bin         string
	dir         string
	kcm         *exec.Cmd
	kcmDone     chan error
	kcmLog      *os.File
	// envStarted is set once etcd and kube-apiserver run.
	envStarted bool
}

// BinDir returns the directory holding etcd, kube-apiserver,
// kube-controller-manager and kubectl: $KUBEBUILDER_ASSETS when set, else bin/
// at the root of this module.
func BinDir() (string, error) {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir, nil
	}
	root, err := moduleRoot()
	if err != nil {
		return "", fmt.Errorf("%w; set KUBEBUILDER_ASSETS", err)
	}
	return filepath.Join(root, "bin"), nil
}

// moduleRoot returns the directory of the go.mod above the working
// directory: this module's root when a test of it runs.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("cannot find the module root (go.mod) above the working directory")
		}
		dir = parent
	}
}

// Start starts a control plane and waits until its controllers run. On error
// nothing is left running.
func Start() (c *Cluster, err error) {
	// envtest logs through controller-runtime, which prints a stack trace
	// when a process that has run for 30s has not set a logger (make
	// bench's second cluster). What envtest says is in its errors.
	ctrllog.SetLogger(logr.Discard())
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	for _, name := range []string{"etcd", "kube-apiserver", "kube-controller-manager", "kubectl"} {
		if _, err := os.Stat(filepath.Join(bin, name)); err != nil {
			return nil, fmt.Errorf("%s is missing from %s: run `make tools` to build the test cluster", name, bin)
		}
	}
	dir, err := os.MkdirTemp("", "kubedrift-testcluster-")
	if err != nil {
		return nil, err
	}
	c = &Cluster{
		env:   &envtest.Environment{BinaryAssetsDirectory: bin},
		users: map[string]*envtest.AuthenticatedUser{},
		dir:   dir,
	}
	defer func() {
		if err != nil {
			_ = c.Stop()
		}
	}()

	policy := filepath.Join(dir, "audit-policy.yaml")
	if err := os.WriteFile(policy, []byte(auditPolicy), 0o600); err != nil {
		return nil, err
	}
	args := c.env.ControlPlane.GetAPIServer().Configure()
	// On loopback the API server cannot publish its address as the
	// kubernetes Service's endpoint, and would keep trying.
	args.Set("endpoint-reconciler-type", "none")
	args.Set("audit-policy-file", policy)
	args.Set("audit-log-path", filepath.Join(dir, "audit.log"))
	args.Set("audit-log-mode", "blocking")

	if _, err := c.env.Start(); err != nil {
		return nil, fmt.Errorf("start kube-apiserver and etcd: %w", err)
	}
	c.envStarted = true
	admin, err := c.addUser(AdminUser, "system:masters")
	if err != nil {
		return nil, err
	}
	reader, err := c.addUser(ReadOnlyUser, readOnlyGroup)
	if err != nil {
		return nil, err
	}
	if _, err := c.addUser(ViewerUser, viewerGroup); err != nil {
		return nil, err
	}
	if _, err := c.addUser(UnboundUser, "kubedrift:unbound"); err != nil {
		return nil, err
	}
	if _, err := c.addUser(ControllerManagerUser, "system:masters"); err != nil {
		return nil, err
	}
	if err := c.writeKubeconfigs(); err != nil {
		return nil, err
	}
	c.Admin, c.ReadOnly = admin.Config(), reader.Config()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := grantReadOnly(ctx, c.Admin); err != nil {
		return nil, err
	}
	c.bin = bin
	if err := c.startControllerManager(ctx, filepath.Join(bin, "kube-controller-manager")); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Cluster) addUser(name, group string) (*envtest.AuthenticatedUser, error) {
	u, err := c.env.AddUser(envtest.User{Name: name, Groups: []string{group}}, nil)
	if err != nil {
		return nil, fmt.Errorf("add user %s: %w", name, err)
	}
	c.users[name] = u
	return u, nil
}

// Kubeconfig returns a kubeconfig file's content for user, AdminUser or
// ReadOnlyUser, with namespace as the context's default when not empty.
func (c *Cluster) Kubeconfig(user, namespace string) ([]byte, error) {
	u, ok := c.users[user]
	if !ok {
		return nil, fmt.Errorf("no user %q in the test cluster", user)
	}
	kc, err := u.KubeConfig()
	if err != nil || namespace == "" {
		return kc, err
	}
	cfg, err := clientcmd.Load(kc)
	if err != nil {
		return nil, err
	}
	cfg.Contexts[cfg.CurrentContext].Namespace = namespace
	return clientcmd.Write(*cfg)
}

// KubeconfigFile writes the kubeconfig of user into the cluster's directory,
// which Stop removes, and returns its path.
func (c *Cluster) KubeconfigFile(user string) (string, error) {
	path, ok := c.kubeconfigs[user]
	if !ok {
		return "", fmt.Errorf("no user %q in the test cluster", user)
	}
	return path, nil
}

// writeKubeconfigs writes each user's kubeconfig once, at start: a file
// rewritten for every kubectl call could be read half-written by a kubectl
// running beside it.
func (c *Cluster) writeKubeconfigs() error {
	c.kubeconfigs = make(map[string]string, len(c.users))
	for user := range c.users {
		kc, err := c.Kubeconfig(user, "")
		if err != nil {
			return err
		}
		path := filepath.Join(c.dir, strings.ReplaceAll(user, ":", "-")+".kubeconfig")
		if err := os.WriteFile(path, kc, 0o600); err != nil {
			return err
		}
		c.kubeconfigs[user] = path
	}
	return nil
}

// Kubectl runs the kubectl built beside the cluster as user, the way a person
// would change the cluster by hand, and returns what it printed. The error
// carries kubectl's output.
func (c *Cluster) Kubectl(ctx context.Context, user string, args ...string) ([]byte, error) {
	kubeconfig, err := c.KubeconfigFile(user)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, "kubectl"), append([]string{"--kubeconfig=" + kubeconfig}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("kubectl %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return out, nil
}

// auditPolicy records who did what to which object, without bodies: enough to
// prove that a command wrote nothing, or wrote only what it was asked to.
const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: Metadata
`

// AuditEvent is one request the API server handled, as its audit log has it.
type AuditEvent struct {
	Verb       string `json:"verb"`
	RequestURI string `json:"requestURI"`
	User       struct {
		Username string `json:"username"`
	} `json:"user"`
	ObjectRef struct {
		Resource  string `json:"resource"`
		Namespace string `json:"namespace"`
		Name      string `json:"name"`
	} `json:"objectRef"`
	ResponseStatus struct {
		Code int `json:"code"`
	} `json:"responseStatus"`
}

// DryRun reports whether the request was a dry run, which writes nothing.
func (e AuditEvent) DryRun() bool {
	u, err := url.Parse(e.RequestURI)
	return err == nil && u.Query().Get("dryRun") == metav1.DryRunAll
}

// ReadOnly reports whether the verb is one that never writes.
func (e AuditEvent) ReadOnly() bool {
	switch e.Verb {
	case "get", "list", "watch":
		return true
	}
	return false
}

// AuditEvents returns every request the API server has completed so far.
func (c *Cluster) AuditEvents() ([]AuditEvent, error) {
	f, err := os.Open(filepath.Join(c.dir, "audit.log"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var events []AuditEvent
	dec := json.NewDecoder(f)
	for {
		var e AuditEvent
		if err := dec.Decode(&e); errors.Is(err, io.EOF) {
			return events, nil
		} else if err != nil {
			return events, fmt.Errorf("read audit log: %w", err)
		}
		events = append(events, e)
	}
}

// grantReadOnly gives the read-only group get, list and watch on everything.
func grantReadOnly(ctx context.Context, admin *rest.Config) error {
	cs, err := kubernetes.NewForConfig(admin)
	if err != nil {
		return err
	}
	role := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: readOnlyRole},
		Rules: []rbacv1.PolicyRule{{
			APIGroups: []string{"*"},
			Resources: []string{"*"},
			Verbs:     []string{"get", "list", "watch"},
		}},
	}
	if _, err := cs.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create read-only role: %w", err)
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: readOnlyRole},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: readOnlyRole},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: readOnlyGroup}},
	}
	if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("bind read-only role: %w", err)
	}
	viewers := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: viewerGroup},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: viewerGroup}},
	}
	if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, viewers, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("bind the view role: %w", err)
	}
	return nil
}

// startControllerManager runs kube-controller-manager as the admin user and
// waits until its controllers act: the service account controller creates
// the "default" ServiceAccount in the default namespace.
func (c *Cluster) startControllerManager(ctx context.Context, path string) error {
	kubeconfig, err := c.KubeconfigFile(ControllerManagerUser)
	if err != nil {
		return err
	}
	c.kcmLog, err = os.Create(filepath.Join(c.dir, "controller-manager.log"))
	if err != nil {
		return err
	}
	certDir := c.env.ControlPlane.GetAPIServer().CertDir
	c.kcm = exec.Command(path,
		"--kubeconfig="+kubeconfig,
		"--leader-elect=false",
		// No serving port: nothing here needs its metrics or health checks.
		"--secure-port=0",
		"--controllers=*",
		"--service-account-private-key-file="+filepath.Join(certDir, "sa-signer.key"),
		"--root-ca-file="+filepath.Join(certDir, "apiserver.crt"),
	)
	c.kcm.Stdout, c.kcm.Stderr = c.kcmLog, c.kcmLog
	c.kcm.SysProcAttr = childProcAttr()
	if err := c.kcm.Start(); err != nil {
		return fmt.Errorf("start kube-controller-manager: %w", err)
	}
	c.kcmDone = make(chan error, 1)
	go func() { c.kcmDone <- c.kcm.Wait() }()

	cs, err := kubernetes.NewForConfig(c.Admin)
	if err != nil {
		return err
	}
	err = wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		select {
		case err := <-c.kcmDone:
			c.kcmDone <- err
			return false, fmt.Errorf("kube-controller-manager exited: %v\n%s", err, c.logTail())
		default:
		}
		_, err := cs.CoreV1().ServiceAccounts(metav1.NamespaceDefault).Get(ctx, "default", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return err == nil, err
	})
	if err != nil {
		return fmt.Errorf("wait for kube-controller-manager: %w", err)
	}
	return nil
}

// logTail returns the end of the controller manager's log, for errors.
func (c *Cluster) logTail() string {
	b, err := os.ReadFile(c.kcmLog.Name())
	if err != nil {
		return ""
	}
	const n = 4000
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// Stop stops every process of the cluster and removes its files.
func (c *Cluster) Stop() error {
	var errs []error
	if c.kcm != nil && c.kcm.Process != nil {
		_ = c.kcm.Process.Signal(os.Interrupt)
		select {
		case <-c.kcmDone:
		case <-time.After(10 * time.Second):
			_ = c.kcm.Process.Kill()
			<-c.kcmDone
		}
	}
	if c.kcmLog != nil {
		c.kcmLog.Close()
	}
	if c.envStarted {
		if err := c.env.Stop(); err != nil {
			errs = append(errs, fmt.Errorf("stop kube-apiserver and etcd: %w", err))
		}
	}
	if err := os.RemoveAll(c.dir); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Main starts a cluster, hands it to use, runs the package's tests and stops
// the cluster; call it from TestMain. It exits the process.
//
// Fuzzing (go test -fuzz, with -run '^$') starts no cluster: every fuzz
// worker is a process of its own, and fuzz targets test pure code.
func Main(m *testing.M, use func(*Cluster)) {
	flag.Parse()
	if f := flag.Lookup("test.fuzz"); f != nil && f.Value.String() != "" {
		os.Exit(m.Run())
	}
	c, err := Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "start test cluster:", err)
		os.Exit(1)
	}
	use(c)
	code := m.Run()
	if err := c.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stop test cluster:", err)
		code = max(code, 1)
	}
	os.Exit(code)
}

// BuildKubedrift builds the kubedrift binary from this module into out, as
// it is released: static (CGO_ENABLED=0) for linux. For tests that run
// kubedrift as a process of its own, the way a pod or a person runs it;
// they share one build configuration, so that the second build is a link.
func BuildKubedrift(ctx context.Context, out string) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", out, ".")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build kubedrift: %w\n%s", err, out)
	}
	return nil
}
