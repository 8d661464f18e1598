package image_test

import (
	"archive/tar"
	"bufio"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/yaml"

	"github.com/kubedrift/kubedrift/internal/image"
	"github.com/kubedrift/kubedrift/internal/testcluster"
)

var cluster *testcluster.Cluster

func TestMain(m *testing.M) {
	testcluster.Main(m, func(c *testcluster.Cluster) { cluster = c })
}

const deployDir = "../../deploy"

// TestImageRunsWatchInCluster builds the image of a static kubedrift as
// make image does, reads it back from the OCI layout and the tarball, and
// runs its entrypoint from its own file system, as nonroot, with deploy/'s
// arguments and in-cluster configuration (a ServiceAccount token file and
// the KUBERNETES_SERVICE_* variables) against the test cluster, bound to
// deploy/'s read-only role.
func TestImageRunsWatchInCluster(t *testing.T) {
	dir := t.TempDir()
	binary := filepath.Join(dir, "kubedrift")
	if err := testcluster.BuildKubedrift(t.Context(), binary); err != nil {
		t.Fatal(err)
	}
	// The build, cold after a change to go.mod or on a new machine, is
	// bounded by go test's -timeout; what runs after it, by this.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bin, err := os.ReadFile(binary)
	if err != nil {
		t.Fatal(err)
	}
	built, err := image.Build(bin, image.Options{Platform: v1.Platform{OS: "linux", Architecture: runtime.GOARCH}})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := image.Reference(image.DefaultName)
	if err != nil {
		t.Fatal(err)
	}
	layoutDir, tarPath := filepath.Join(dir, "oci"), filepath.Join(dir, "image.tar")
	if err := image.Write(built, ref, layoutDir, tarPath); err != nil {
		t.Fatal(err)
	}

	img := readLayout(t, layoutDir, ref.Name())
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Config
	if c.User != "65532:65532" || !slices.Equal(c.Entrypoint, []string{image.BinaryPath}) || !slices.Equal(c.Cmd, []string{"watch"}) ||
		cfg.OS != "linux" || cfg.Architecture != runtime.GOARCH {
		t.Errorf("the image runs %q %q as %q on %s/%s; want %s watch as 65532:65532 on linux/%s",
			c.Entrypoint, c.Cmd, c.User, cfg.OS, cfg.Architecture, image.BinaryPath, runtime.GOARCH)
	}
	// docker load reads the tarball: the same config and layers.
	fromTar, err := tarball.ImageFromPath(tarPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := configName(t, img), configName(t, fromTar); a != b {
		t.Errorf("the tarball's image has config %s, the layout's %s", b, a)
	}
	if d := deploymentImage(t); d != ref.Name() {
		t.Errorf("deploy/ runs the image %s, not %s that make image builds", d, ref.Name())
	}

	rootfs := filepath.Join(dir, "rootfs")
	extract(t, img, rootfs)
	if n := countCertificates(t, filepath.Join(rootfs, image.CertsPath)); n < 100 {
		t.Errorf("the image's CA bundle %s holds %d certificates", image.CertsPath, n)
	}

	// In-cluster configuration, as the kubelet mounts it for deploy/'s
	// ServiceAccount, and a manifest of an object that is in the cluster.
	for _, f := range []string{"00-namespace.yaml", "10-rbac.yaml"} {
		kubectl(t, "apply", "-f", filepath.Join(deployDir, f))
	}
	token := kubectl(t, "create", "token", "kubedrift", "-n", "kubedrift")
	kubectl(t, "create", "configmap", "probe", "-n", "kubedrift", "--from-literal=a=1")
	writeFiles(t, rootfs, map[string]string{
		"var/run/secrets/kubernetes.io/serviceaccount/token":     token,
		"var/run/secrets/kubernetes.io/serviceaccount/ca.crt":    string(cluster.Admin.CAData),
		"var/run/secrets/kubernetes.io/serviceaccount/namespace": "kubedrift",
		"manifests/probe.yaml":                                   "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: probe}\ndata: {a: \"1\"}\n",
	})
	server, err := url.Parse(cluster.Admin.Host)
	if err != nil {
		t.Fatal(err)
	}

	cmd := exec.CommandContext(ctx, c.Entrypoint[0], append(deploymentArgs(t), "--metrics-addr", "127.0.0.1:0")...)
	cmd.Env = append(slices.Clone(c.Env), "KUBERNETES_SERVICE_HOST="+server.Hostname(), "KUBERNETES_SERVICE_PORT="+server.Port())
	cmd.Dir = c.WorkingDir
	cmd.SysProcAttr = asNonRootIn(rootfs)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("run the image's entrypoint: %v", err)
	}
	lines := bufio.NewScanner(stdout)
	var seen []string
	for lines.Scan() {
		seen = append(seen, lines.Text())
		if strings.Contains(lines.Text(), `"event":"check"`) {
			break
		}
	}
	if status, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(cmd.Process.Pid), "status")); err != nil || !strings.Contains(string(status), "\nUid:\t65532\t") {
		t.Errorf("the image's process does not run as 65532 (%v):\n%s", err, status)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	err = cmd.Wait()
	out := strings.Join(seen, "\n")
	if want := `1 object: 1 in sync, 0 drifted, 0 missing, 0 errors`; !strings.Contains(out, want) {
		t.Errorf("watch from the image did not judge the probe in sync (want %q):\n%s\n--- stderr\n%s", want, out, stderr.String())
	}
	if err != nil {
		t.Errorf("watch from the image ended with %v on SIGTERM, want exit 0\n--- stderr\n%s", err, stderr.String())
	}
}

// readLayout reads the one image of the OCI layout dir, which its index
// must name refName.
func readLayout(t *testing.T, dir, refName string) v1.Image {
	t.Helper()
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Manifests) != 1 || m.Manifests[0].Annotations["org.opencontainers.image.ref.name"] != refName {
		t.Fatalf("the layout's index holds %+v, want one image named %s", m.Manifests, refName)
	}
	img, err := idx.Image(m.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// countCertificates counts the CA certificates of a PEM file, each of
// which must parse.
func countCertificates(t *testing.T, path string) int {
	t.Helper()
	rest, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			return n
		}
		if c, err := x509.ParseCertificate(block.Bytes); err != nil || !c.IsCA {
			t.Errorf("%s: certificate %d is not a CA certificate (%v)", path, n+1, err)
		}
		n++
	}
}

func configName(t *testing.T, img v1.Image) v1.Hash {
	t.Helper()
	h, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// extract writes img's file system into dir, with the owners the layers
// give when the test may set them.
func extract(t *testing.T, img v1.Image, dir string) {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, filepath.FromSlash(h.Name))
		switch h.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(path, 0o755)
		case tar.TypeReg:
			// Extract reads the top layer first: a file may come
			// before its directory.
			var f *os.File
			if err = os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				break
			}
			if f, err = os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600); err == nil {
				_, err = io.Copy(f, tr)
				err = errors.Join(err, f.Close())
			}
		default:
			t.Fatalf("the image holds %s of type %c, which it should not", h.Name, h.Typeflag)
		}
		if err == nil {
			err = os.Chmod(path, h.FileInfo().Mode())
		}
		if err == nil && os.Getuid() == 0 {
			err = os.Lchown(path, h.Uid, h.Gid)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// asNonRootIn runs a process with root as its file system root, as the
// image's user: chrooted when the test runs as root, else in a user
// namespace of its own whose 65532 is the test's user.
func asNonRootIn(root string) *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{Chroot: root, Credential: &syscall.Credential{Uid: image.NonRoot, Gid: image.NonRoot}}
	if os.Getuid() != 0 {
		attr.Cloneflags = syscall.CLONE_NEWUSER
		attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: image.NonRoot, HostID: os.Getuid(), Size: 1}}
		attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: image.NonRoot, HostID: os.Getgid(), Size: 1}}
	}
	return attr
}

func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func kubectl(t *testing.T, args ...string) string {
	t.Helper()
	out, err := cluster.Kubectl(context.Background(), testcluster.AdminUser, args...)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// deployment reads deploy/'s Deployment.
func deployment(t *testing.T) appsv1.Deployment {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(deployDir, "30-deployment.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var d appsv1.Deployment
	if err := yaml.UnmarshalStrict(data, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func deploymentImage(t *testing.T) string {
	return deployment(t).Spec.Template.Spec.Containers[0].Image
}

// deploymentArgs are deploy/'s container arguments, without its metrics
// address, and with the write log in /tmp rather than /dev/stderr: a
// container runtime gives the container its /dev, a chroot does not.
func deploymentArgs(t *testing.T) []string {
	args := deployment(t).Spec.Template.Spec.Containers[0].Args
	if i := slices.Index(args, "--metrics-addr"); i >= 0 {
		args = slices.Delete(args, i, i+2)
	}
	if i := slices.Index(args, "--log-file"); i >= 0 && i+1 < len(args) {
		args[i+1] = "/tmp/writes.log"
	}
	return args
}
