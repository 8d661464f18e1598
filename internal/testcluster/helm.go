package testcluster

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Helm is a real Helm command line built into the test cluster's bin/ by
// `make tools`: the tests install charts with it as people do.
type Helm string

const (
	// Helm4 is bin/helm, from helm.sh/helm/v4/cmd/helm: it installs and
	// upgrades with server-side apply.
	Helm4 Helm = "helm"
	// Helm3 is bin/helm3, from helm.sh/helm/v3/cmd/helm: it creates objects
	// and upgrades them with a three-way merge patch.
	Helm3 Helm = "helm3"
)

// Helm runs the Helm command line h as user, against this cluster, and
// returns what it printed; the error carries its output. Helm's cache,
// configuration and data live in the cluster's own directory, so that no
// test reads or writes the home directory's repositories and plugins.
func (c *Cluster) Helm(ctx context.Context, h Helm, user string, args ...string) ([]byte, error) {
	path := filepath.Join(c.bin, string(h))
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("%s is missing from %s: run `make tools` to build it", h, c.bin)
	}
	kubeconfig, err := c.KubeconfigFile(user)
	if err != nil {
		return nil, err
	}
	home := filepath.Join(c.dir, string(h))
	cmd := exec.CommandContext(ctx, path, append([]string{"--kubeconfig=" + kubeconfig}, args...)...)
	cmd.Env = append(os.Environ(),
		"HELM_CACHE_HOME="+filepath.Join(home, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
		"HELM_DATA_HOME="+filepath.Join(home, "data"),
		"HELM_DRIVER=secret",
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("%s %s: %w\n%s", h, strings.Join(args, " "), err, out)
	}
	return out, nil
}
