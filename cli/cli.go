// Package cli turns kubedrift's command line into a checked set of options
// and runs them. It is the only package, with main, that prints outside the UI
// and decides the exit code.
package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/rest"

	"github.com/kubedrift/kubedrift/cluster"
	"github.com/kubedrift/kubedrift/drift"
	"github.com/kubedrift/kubedrift/report"
	"github.com/kubedrift/kubedrift/sources"
)

// Exit codes of kubedrift --check.
const (
	// ExitInSync: every desired object matches the cluster.
	ExitInSync = 0
	// ExitDrift: at least one object is drifted or missing, and every object
	// could be judged.
	ExitDrift = 1
	// ExitError: bad input, an unreachable cluster, or an object that could
	// not be judged. The report still shows every verdict that was reached.
	ExitError = 2
)

const longHelp = `kubedrift compares the desired state of a cluster, as manifests describe it,
with the live objects, and shows what has drifted.

Each object is judged by a server-side apply dry run: the API server answers
what the object would look like if the manifest were applied now, with every
default and admission webhook, and kubedrift compares that with the live
object. Nothing is written to the cluster. The dry run needs "get" and "patch"
permission on each object.

Secret values are never printed: a changed value shows as "*** (before)" and
"*** (after)".

With --check, kubedrift prints a report and exits with
  0  every object is in sync,
  1  drift was found (an object differs or is missing),
  2  an error: bad input, an unreachable cluster, or an object that could not
     be judged. Every other object is still judged and reported.`

const examples = `  # Gate a CI job on the manifests in k8s/
  kubedrift --check -f k8s/

  # The same, for another context and a default namespace
  kubedrift --check -f app.yaml --context staging -n shop`

// Options are the command line, compiled.
type Options struct {
	// Filenames are the manifest files and directories (-f).
	Filenames []string
	// Check prints a report and exits instead of starting the UI.
	Check bool
	// ShowSecrets prints Secret values instead of masking them.
	ShowSecrets bool

	kube    *genericclioptions.ConfigFlags
	streams genericiooptions.IOStreams
}

// NewCommand returns the kubedrift root command. name is the name it was
// invoked as; installed as kubectl-drift it presents itself as "kubectl drift".
func NewCommand(name string, streams genericiooptions.IOStreams) (*cobra.Command, *Options) {
	o := &Options{
		kube:    genericclioptions.NewConfigFlags(true).WithWrapConfigFn(raiseRateLimits),
		streams: streams,
	}
	use := "kubedrift"
	if strings.HasPrefix(filepath.Base(name), "kubectl-") {
		use = "kubectl drift"
	}
	cmd := &cobra.Command{
		Use:           use + " -f FILENAME...",
		Short:         "Show where a Kubernetes cluster has drifted from its manifests",
		Long:          longHelp,
		Example:       examples,
		Args:          cobra.NoArgs,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	cmd.SetIn(streams.In)
	cmd.SetOut(streams.Out)
	cmd.SetErr(streams.ErrOut)

	f := cmd.Flags()
	f.StringSliceVarP(&o.Filenames, "filename", "f", nil, "manifest file or directory (walked recursively for .yaml, .yml and .json); repeat for more")
	f.BoolVar(&o.Check, "check", false, "print a report and exit 0 in sync, 1 on drift, 2 on error, instead of starting the UI")
	f.BoolVar(&o.ShowSecrets, "show-secrets", false, "print Secret values in diffs instead of masking them")
	o.kube.AddFlags(cmd.PersistentFlags())
	return cmd, o
}

// raiseRateLimits lets one check read and dry-run many objects at once; the
// client-go default of 5 requests a second would make a large check crawl.
// kubectl raises its limits the same way.
func raiseRateLimits(cfg *rest.Config) *rest.Config {
	cfg.QPS, cfg.Burst = 50, 300
	return cfg
}

// Validate checks the options for mistakes that need no cluster to find.
func (o *Options) Validate() error {
	if len(o.Filenames) == 0 {
		return errors.New("no manifests given: name files or directories with -f")
	}
	if !o.Check {
		return errors.New("the interactive UI is not available yet: run with --check for a report")
	}
	return nil
}

// Run loads the manifests, judges them against the cluster and writes the
// report. It returns the exit code; an error means no report could be made.
func (o *Options) Run(ctx context.Context) (int, error) {
	manifests, inputErrs := sources.LoadFiles(o.Filenames)

	client, namespace, err := o.connect()
	if err != nil {
		// No verdicts without a cluster, but the problems in the manifests
		// are known already and worth fixing meanwhile.
		for _, inputErr := range inputErrs {
			fmt.Fprintf(o.streams.ErrOut, "error: %v\n", inputErr)
		}
		return ExitError, err
	}

	engine := drift.NewEngine(client, client, drift.Options{
		DefaultNamespace: namespace,
		ShowSecrets:      o.ShowSecrets,
	})
	rep := engine.Check(ctx, desiredState(manifests))
	if err := report.Text(o.streams.Out, rep, inputErrs); err != nil {
		return ExitError, fmt.Errorf("write report: %w", err)
	}
	switch {
	case rep.HasErrors() || len(inputErrs) > 0:
		return ExitError, nil
	case rep.HasDrift():
		return ExitDrift, nil
	}
	return ExitInSync, nil
}

// connect builds a client from the kube flags and checks that the cluster
// answers. It returns the namespace objects without one belong to.
func (o *Options) connect() (*cluster.Client, string, error) {
	cfg, err := o.kube.ToRESTConfig()
	if err != nil {
		return nil, "", fmt.Errorf("kubeconfig: %w", err)
	}
	namespace, _, err := o.kube.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return nil, "", fmt.Errorf("kubeconfig: %w", err)
	}
	dc, err := o.kube.ToDiscoveryClient()
	if err != nil {
		return nil, "", fmt.Errorf("discovery: %w", err)
	}
	mapper, err := o.kube.ToRESTMapper()
	if err != nil {
		return nil, "", fmt.Errorf("discovery: %w", err)
	}
	client, err := cluster.NewWithMapper(cfg, dc, mapper)
	if err != nil {
		return nil, "", err
	}
	if _, err := client.ServerVersion(); err != nil {
		return nil, "", fmt.Errorf("cannot reach the cluster at %s (check --kubeconfig and --context): %w", cfg.Host, err)
	}
	return client, namespace, nil
}

func desiredState(manifests []sources.Manifest) []drift.Desired {
	desired := make([]drift.Desired, len(manifests))
	for i, m := range manifests {
		desired[i] = drift.Desired{Object: m.Object, Origin: m.Origin}
	}
	return desired
}

// Main runs kubedrift with args (without the program name) and returns the
// exit code.
func Main(ctx context.Context, name string, args []string, streams genericiooptions.IOStreams) int {
	cmd, o := NewCommand(name, streams)
	code := ExitInSync
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if err := o.Validate(); err != nil {
			return err
		}
		var err error
		code, err = o.Run(cmd.Context())
		return err
	}
	cmd.SetArgs(args)
	if err := cmd.ExecuteContext(ctx); err != nil {
		fmt.Fprintf(streams.ErrOut, "error: %v\n", err)
		return ExitError
	}
	return code
}

// Streams returns the process's standard streams.
func Streams() genericiooptions.IOStreams {
	return genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
}
