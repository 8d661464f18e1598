// Command demo shows kubedrift at work: it starts the local test cluster,
// deploys the example application with kubectl, changes it by hand the way
// people do, runs kubedrift on the application's manifests, and stops the
// cluster when kubedrift is done or on Ctrl-C. `make demo` runs it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/kubedrift/kubedrift/internal/testcluster"
)

// handEdits are the changes made behind the manifests' back, each a kubectl
// command as a person would type it.
var handEdits = [][]string{
	{"scale", "deployment/web", "--replicas=5", "-n", "shop"},
	{"set", "image", "deployment/api", "api=ghcr.io/example/shop-api:1.4.1-hotfix", "-n", "shop"},
	{"label", "service/web", "tier-", "-n", "shop"},
	{"patch", "secret/shop-db", "-n", "shop", "-p", `{"stringData":{"password":"hunter2"}}`},
	{"delete", "configmap/shop-settings", "-n", "shop"},
}

func main() {
	bin := flag.String("bin", "bin", "directory with kubedrift and the test cluster's binaries")
	manifests := flag.String("manifests", "examples/shop", "the application's manifests")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, *bin, *manifests, flag.Args())
	interrupted := ctx.Err() != nil
	stop()
	if interrupted {
		// The cluster is stopped; what was cut short is no error to report.
		fmt.Fprintln(os.Stderr, "demo: interrupted")
		os.Exit(130)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, bin, manifests string, kubedriftArgs []string) (err error) {
	bin, err = filepath.Abs(bin)
	if err != nil {
		return err
	}
	os.Setenv("KUBEBUILDER_ASSETS", bin)

	step("Starting a local cluster: etcd, kube-apiserver, kube-controller-manager")
	cluster, err := testcluster.Start()
	if err != nil {
		return err
	}
	defer func() {
		step("Stopping the cluster")
		if stopErr := cluster.Stop(); stopErr != nil && err == nil {
			err = stopErr
		}
	}()
	kubeconfig, err := cluster.KubeconfigFile(testcluster.AdminUser)
	if err != nil {
		return err
	}

	step("Deploying the application in " + manifests)
	if err := kubectl(ctx, cluster, "apply", "-f", manifests); err != nil {
		return err
	}
	// Let the Deployment controller write its revision annotations first:
	// they are the controller's, not drift, and kubedrift must know that.
	if err := kubectl(ctx, cluster, "wait", "deployment", "--all", "-n", "shop",
		"--for=jsonpath={.metadata.annotations.deployment\\.kubernetes\\.io/revision}", "--timeout=60s"); err != nil {
		return err
	}

	step("Changing it by hand, behind the manifests' back")
	for _, args := range handEdits {
		if err := kubectl(ctx, cluster, args...); err != nil {
			return err
		}
	}

	// The UI by default; with --check among the extra arguments (as CI and
	// a terminal-less run use it), the report.
	args := append([]string{"-f", manifests, "--kubeconfig", kubeconfig, "--log-file", filepath.Join(os.TempDir(), "kubedrift-demo.log")}, kubedriftArgs...)
	check := slices.Contains(kubedriftArgs, "--check")
	step("kubedrift " + strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "kubedrift"), args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	// A Ctrl-C reaches kubedrift from the terminal itself; give it time to
	// finish before it is killed.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case !check:
	case err == nil:
		err = errors.New("kubedrift exited 0 (in sync), but the hand edits should have shown as drift")
	case errors.As(err, &exit) && exit.ExitCode() == 1:
		fmt.Println("\nkubedrift exited 1: drift found, as seeded")
		err = nil
	}
	return err
}

func kubectl(ctx context.Context, cluster *testcluster.Cluster, args ...string) error {
	fmt.Println("  $ kubectl " + strings.Join(args, " "))
	out, err := cluster.Kubectl(ctx, testcluster.AdminUser, args...)
	if err != nil {
		return err
	}
	for line := range strings.Lines(string(out)) {
		fmt.Print("    " + line)
	}
	return nil
}

func step(msg string) {
	fmt.Printf("\n==> %s\n", msg)
}
