// Package cli turns kubedrift's command line into a checked set of options
// and runs them. It is the only package, with main, that prints outside the UI
// and decides the exit code.
package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
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

const longHelp = `kubedrift compares the desired state of a cluster, as manifests, a kustomization,
a Helm chart or a deployed Helm release describe it, with the live objects, and
shows what has drifted.

Each object is judged in one of two ways (--mode):

  server   a server-side apply dry run: the API server answers what the object
           would look like if the manifest were applied now, with every default
           and admission webhook, and kubedrift compares that with the live
           object. Needs "patch" permission (and "create" for missing objects).
           An object whose apply provably changes nothing, of a kind that no
           admission webhook or policy sees, is not sent: the answer would be
           the live object itself (--spare-dry-runs=false sends every one).
  offline  read only: kubedrift merges the manifest into the live object itself,
           as server-side apply would, and normalises what the server would
           change (0.5 and 500m, Secret stringData, empty and absent fields,
           known defaults). Needs "get" and "list" only; cannot see what a
           mutating webhook would add.
  auto     (default) server, and offline for each object whose dry run is
           forbidden; the report says which objects were judged offline.

Nothing is written to the cluster in any mode.

Fields that someone other than the manifest's applier set and the manifest
does not mention (a label added by hand, a CronJob suspended with kubectl
patch) are listed as foreign fields. A reconcile leaves them be, so they are
not drift unless --strict.

Secret values are never printed: a changed value shows only its length, as
"*** (7 bytes, before)" and "*** (28 bytes, after)".

With --apply, kubedrift reconciles what drifted, object by object, by
server-side apply as the manifest's own applier (like kubectl apply
--server-side, but only what drifted): missing Namespaces and CRDs first. It
takes back what people changed by hand (fields kubectl edit, scale, set,
patch and the like own; reconcile/people.yaml) and says so; fields a
controller owns only with --force-conflicts. It recreates objects only with
--recreate, deletes unmanaged objects only with --prune, and logs every write
to --log-file. --dry-run prints what it would do; --read-only
refuses every write.

With --check, kubedrift prints a report and exits with
  0  every object is in sync,
  1  drift was found (an object differs or is missing, or, with --prune, is
     unmanaged); 0 with --exit-zero, for jobs that only report,
  2  an error: bad input, an unreachable cluster, or an object that could not
     be judged. Every other object is still judged and reported.
Ignored fields never count. The report is text, or with -o json (a documented
schema), junit (one test case per object), markdown (for a pull request
comment or $GITHUB_STEP_SUMMARY) or github (annotations on the manifests'
lines); --output-file writes that format to a file and the text to stdout.

kubedrift watch keeps judging without a terminal, logs each change of
verdict, serves Prometheus metrics, and with --auto-reconcile puts back what
drifts among the objects a selector picks: see kubedrift watch --help.`

const examples = `  # Gate a CI job on the manifests in k8s/
  kubedrift --check -f k8s/

  # The text report in the job's log, and JUnit XML for the CI system's test report
  kubedrift --check -f k8s/ -o junit --output-file drift.xml

  # Annotations on the drifted manifests' lines of a GitHub pull request
  kubedrift --check -f k8s/ -o github

  # A kustomization, a Helm chart and what Helm last deployed, in one run
  kubedrift --check -k overlays/prod --helm ./charts/cache --values prod.yaml --release shop -n shop

  # Does the cluster match main? The manifests in k8s/ as committed on main,
  # whatever the work tree holds
  kubedrift --check --git .@main//k8s

  # Whatever a tool prints
  kustomize build overlays/prod | kubedrift --check -f -

  # Fail on objects labelled app=shop that no manifest declares, in any namespace
  kubedrift --check -f k8s/ -l app=shop --prune -A

  # The same, for another context and a default namespace
  kubedrift --check -f app.yaml --context staging -n shop`

// Options are the command line, compiled.
type Options struct {
	// Filenames are the manifest files and directories (-f); "-" is stdin.
	Filenames []string
	// Kustomizations are directories to build with kustomize (-k).
	Kustomizations []string
	// Chart is the Helm chart to render (--helm) with its values.
	Chart sources.Chart
	// Releases are deployed Helm releases to compare with (--release).
	Releases []string
	// Git are Git sources (--git), REPO[@REF][//DIR] as
	// sources.ParseGitSource reads them.
	Git []string
	// Check prints a report and exits instead of starting the UI.
	Check bool
	// Apply reconciles every drifted and missing object (and, with Prune,
	// deletes unmanaged ones) instead of starting the UI.
	Apply bool
	// DryRun, with Apply, prints what would be reconciled and sends nothing.
	DryRun bool
	// ReadOnly refuses every write before any request is sent.
	ReadOnly bool
	// ForceConflicts, with Apply, takes the fields the manifests set from
	// the other managers that own them.
	ForceConflicts bool
	// Recreate, with Apply, deletes and creates again objects whose
	// manifests change immutable fields.
	Recreate bool
	// LogFile is where every write is logged; empty means defaultLogFile.
	LogFile string
	// Theme names the UI's colours (--theme); empty adapts to the terminal.
	Theme string
	// ShowSecrets prints Secret values instead of masking them.
	ShowSecrets bool
	// Concurrency bounds the requests in flight at once.
	Concurrency int
	// SpareDryRuns skips the dry runs whose answers are certain.
	SpareDryRuns bool
	// Selector (-l) marks live objects as part of the desired state; those
	// without a manifest are reported unmanaged.
	Selector string
	// Prune counts unmanaged objects as drift.
	Prune bool
	// AllNamespaces (-A) looks for unmanaged objects in every namespace,
	// not only in the namespaces of the manifests.
	AllNamespaces bool
	// Mode is how objects are judged (--mode): server, offline or auto.
	Mode string
	// Strict counts foreign fields as drift.
	Strict bool
	// NoPresets judges the fields of the built-in presets (kubedrift
	// ignore --presets) like any other.
	NoPresets bool
	// Config is the ignore rule file (--config); empty means
	// .kubedrift.yaml found from the first manifest's directory upward.
	Config string
	outputOptions
	// Verbosity is client-go's log level (-v), at most maxVerbosity.
	Verbosity int

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
	use, display := "kubedrift", "kubedrift"
	if strings.HasPrefix(filepath.Base(name), "kubectl-") {
		// The program is kubectl-drift (completion scripts are for it), the
		// command people type is "kubectl drift" (help and usage say that).
		use, display = "kubectl-drift", "kubectl drift"
	}
	cmd := &cobra.Command{
		Use:           use + " [-f FILENAME | -k DIR | --helm CHART | --release NAME]...",
		Annotations:   map[string]string{cobra.CommandDisplayNameAnnotation: display},
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
	f.StringSliceVarP(&o.Filenames, "filename", "f", nil, "manifest file or directory (walked recursively for .yaml, .yml and .json), or - for stdin; repeat for more")
	f.StringArrayVarP(&o.Kustomizations, "kustomize", "k", nil, "kustomization directory, built as kubectl apply -k does; repeat for more")
	f.StringVar(&o.Chart.Path, "helm", "", "Helm chart (directory or .tgz) to render client-side, as helm template does")
	f.StringVar(&o.Chart.ReleaseName, "helm-release", "", "release name the --helm chart renders for (default: the chart's name)")
	f.StringArrayVar(&o.Chart.ValuesFiles, "values", nil, "values file for the --helm chart; repeat for more, later ones win")
	f.StringArrayVar(&o.Chart.Set, "set", nil, "value for the --helm chart, as helm --set (key=value[,key=value])")
	f.StringArrayVar(&o.Chart.SetString, "set-string", nil, "string value for the --helm chart, as helm --set-string")
	f.BoolVar(&o.Chart.IncludeHooks, "helm-hooks", false, "include the --helm chart's hook resources, which are left out by default")
	f.StringArrayVar(&o.Releases, "release", nil, "deployed Helm release whose manifest, as Helm last deployed it, is the desired state; repeat for more")
	f.StringArrayVar(&o.Git, "git", nil, "Git repository at a revision, `REPO[@REF][//DIR]`: the chart, kustomization or manifests in DIR as committed at REF (a branch, tag or commit; default HEAD), read without a git binary and without touching the work tree; REPO is a path or a file://, https://, ssh:// or git@host:path URL (git@github.com:org/app.git@main//k8s); repeat for more")
	f.BoolVar(&o.Check, "check", false, "print a report and exit 0 in sync, 1 on drift, 2 on error, instead of opening the UI")
	f.BoolVar(&o.Apply, "apply", false, "reconcile every drifted and missing object by server-side apply (with --prune, delete unmanaged ones), print what changed, and exit 0 when all is in sync afterwards, 1 when something could not be reconciled")
	f.BoolVar(&o.DryRun, "dry-run", false, "with --apply, print what would be reconciled and send nothing")
	f.BoolVar(&o.ReadOnly, "read-only", false, "refuse every write to the cluster before any request is sent")
	f.BoolVar(&o.ForceConflicts, "force-conflicts", false, "with --apply, take the fields the manifests set from every other field manager that owns them, controllers included (without it, --apply takes back only what people changed by hand: kubectl edit, scale, patch, ...)")
	f.BoolVar(&o.Recreate, "recreate", false, "with --apply, delete and create again objects whose manifests change immutable fields (a Deployment's selector, a Job's template)")
	f.StringVar(&o.Theme, "theme", "", "UI colours: dark, light, high-contrast, catppuccin-mocha, or a theme file's name in $XDG_CONFIG_HOME/kubedrift/themes (default: dark or light, after the terminal; NO_COLOR turns colour off)")
	f.StringVar(&o.LogFile, "log-file", "", "file every write is logged to (default $XDG_STATE_HOME/kubedrift/kubedrift.log)")
	f.BoolVar(&o.ShowSecrets, "show-secrets", false, "print Secret values in diffs instead of masking them")
	f.StringVarP(&o.Selector, "selector", "l", "", "label selector of the live objects that belong to the desired state; those no manifest declares are reported unmanaged")
	f.BoolVar(&o.Prune, "prune", false, "count unmanaged objects (by --selector or --release) as drift")
	f.BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "look for unmanaged objects (by --selector or --release) of the manifests' kinds in every namespace, not only in the manifests' namespaces")
	f.StringVar(&o.Config, "config", "", "ignore rules file (default: .kubedrift.yaml in the first manifest's directory or above)")
	f.StringVar(&o.Mode, "mode", string(drift.ModeAuto), "how objects are judged: server (apply dry run), offline (read only; the server's defaults of built-in kinds as of Kubernetes "+drift.DefaultsVersion()+" and of CRDs, but not what mutating webhooks change) or auto (server, offline where the dry run is forbidden)")
	f.BoolVar(&o.Strict, "strict", false, "count foreign fields (set by someone else, not in the manifest) as drift")
	f.BoolVar(&o.NoPresets, "no-presets", false, "judge the fields that controllers write on purpose (a webhook's CA bundle, autoscaled replicas: kubedrift ignore --presets lists them) like any other")
	f.IntVar(&o.Concurrency, "concurrency", 8, "requests in flight at once (lists of live objects, dry runs)")
	f.BoolVar(&o.SpareDryRuns, "spare-dry-runs", true, "in server and auto mode, send no dry run for an object whose apply provably changes nothing, where the user may patch it and no admission webhook or policy sees its kind: the server would answer with the live object itself; =false sends one per object")
	o.outputOptions.addFlags(f)
	addLogFlags(cmd, &o.Verbosity)
	o.kube.AddFlags(cmd.PersistentFlags())
	finishRoot(cmd, o)
	return cmd, o
}

// raiseRateLimits takes client-go's rate limit off: --concurrency bounds
// the requests in flight, and the API server's priority and fairness guards
// it. With kubectl's 50 a second, a check of 2,000 objects in server mode
// spent 34s waiting for its own token bucket (make bench).
func raiseRateLimits(cfg *rest.Config) *rest.Config {
	cfg.QPS = -1 // no client-side rate limiter
	return cfg
}

// Validate checks the options for mistakes that need no cluster to find.
func (o *Options) Validate() error {
	if _, err := labels.Parse(o.Selector); err != nil {
		return fmt.Errorf("--selector: %w", err)
	}
	if o.Prune && o.Selector == "" && len(o.Releases) == 0 {
		return errors.New("--prune needs --selector or --release to tell which live objects belong to the desired state")
	}
	if o.AllNamespaces && o.Selector == "" && len(o.Releases) == 0 {
		return errors.New("--all-namespaces looks for unmanaged objects, so it needs --selector or --release to tell which live objects belong to the desired state")
	}
	if o.Concurrency < 1 {
		return fmt.Errorf("--concurrency must be at least 1, not %d", o.Concurrency)
	}
	if _, err := drift.ParseMode(o.Mode); err != nil {
		return fmt.Errorf("--mode: %w", err)
	}
	if err := o.outputOptions.validate(); err != nil {
		return err
	}
	for _, spec := range o.Git {
		if _, err := sources.ParseGitSource(spec); err != nil {
			return fmt.Errorf("--git %w", err)
		}
	}
	if len(o.Filenames)+len(o.Kustomizations)+len(o.Releases)+len(o.Git) == 0 && o.Chart.Path == "" {
		return errors.New("no desired state given: name manifests with -f, a kustomization with -k, a chart with --helm, a deployed release with --release or a Git repository with --git")
	}
	if o.Chart.Path == "" && (o.Chart.ReleaseName != "" || len(o.Chart.ValuesFiles)+len(o.Chart.Set)+len(o.Chart.SetString) > 0 || o.Chart.IncludeHooks) {
		return errors.New("--helm-release, --values, --set, --set-string and --helm-hooks apply to a chart: name it with --helm")
	}
	if o.Check && o.Apply {
		return errors.New("--check never writes: use --apply alone to reconcile")
	}
	if !o.Apply && (o.DryRun || o.ForceConflicts || o.Recreate) {
		return errors.New("--dry-run, --force-conflicts and --recreate go with --apply")
	}
	return nil
}

// Run loads the manifests, judges them against the cluster and writes the
// report. It returns the exit code; an error means no report could be made.
func (o *Options) Run(ctx context.Context) (int, error) {
	namespace, _, err := o.kube.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return ExitError, fmt.Errorf("kubeconfig: %w", err)
	}
	if !o.Check && !o.Apply {
		return o.runUI(ctx, namespace)
	}
	client, access, connErr := o.connect()
	return o.runOnce(ctx, namespace, client, access, connErr)
}

// runOnce is --check and --apply: one check, a report, and for --apply the
// reconcile; also what is left to say when the cluster cannot be reached.
func (o *Options) runOnce(ctx context.Context, namespace string, client *cluster.Client, access *sources.Cluster, connErr error) (int, error) {
	j := o.judge(ctx, namespace, client, access, connErr, judging{})
	inputErrs, warnings := j.inputErrs, j.warnings
	if connErr != nil {
		// No verdicts without a cluster, but the problems in the manifests
		// are known already and worth fixing meanwhile.
		for _, inputErr := range inputErrs {
			fmt.Fprintf(o.streams.ErrOut, "error: %v\n", inputErr)
		}
		if o.Output != string(report.FormatText) || o.OutputFile != "" {
			// A CI system that reads the report reads why there is none.
			if err := o.writeReport(o.streams.Out, nil, append(inputErrs, connErr), warnings); err != nil {
				return ExitError, errors.Join(connErr, fmt.Errorf("write report: %w", err))
			}
		}
		return ExitError, connErr
	}
	engine, desired, rep := j.engine, j.desired, j.report
	// What the check could not look at is reported, and fails it, as the
	// input that could not be read does.
	inputErrs = append(inputErrs, rep.Problems...)
	if err := o.writeReport(o.streams.Out, rep, inputErrs, warnings); err != nil {
		return ExitError, fmt.Errorf("write report: %w", err)
	}
	if n := countReason(rep, drift.ReasonUnreachable); n > 0 {
		fmt.Fprintf(o.streams.ErrOut, "error: the cluster became unreachable during the check: %d of %d objects could not be judged; the other verdicts were reached before\n", n, len(rep.Results))
	}
	if o.Apply {
		// What could be judged is reconciled, even when something else
		// could not be.
		code, err := o.apply(ctx, client, engine, desired, rep)
		if rep.HasErrors() || len(inputErrs) > 0 {
			code = ExitError
		}
		return code, err
	}
	switch {
	case rep.HasErrors() || len(inputErrs) > 0:
		return ExitError, nil
	case o.ExitZero:
		return ExitInSync, nil
	case rep.HasDrift(), o.Prune && rep.Count(drift.Unmanaged) > 0:
		return ExitDrift, nil
	}
	return ExitInSync, nil
}

// connect builds a client from the kube flags and checks that the cluster
// answers. It also returns the access that sources need to read releases and
// chart capabilities; both are nil with the error.
func (o *Options) connect() (*cluster.Client, *sources.Cluster, error) {
	cfg, err := o.kube.ToRESTConfig()
	if err != nil {
		return nil, nil, fmt.Errorf("kubeconfig: %w", err)
	}
	dc, err := o.kube.ToDiscoveryClient()
	if err != nil {
		return nil, nil, fmt.Errorf("discovery: %w", err)
	}
	mapper, err := o.kube.ToRESTMapper()
	if err != nil {
		return nil, nil, fmt.Errorf("discovery: %w", err)
	}
	client, err := cluster.NewWithMapper(cfg, dc, mapper)
	if err != nil {
		return nil, nil, err
	}
	if _, err := client.ServerVersion(); err != nil {
		var netErr net.Error
		if errors.As(err, &netErr) && netErr.Timeout() {
			return nil, nil, fmt.Errorf("%w at %s: it did not answer in time (--request-timeout): %w", drift.ErrUnreachable, cfg.Host, err)
		}
		return nil, nil, fmt.Errorf("%w at %s (check --kubeconfig and --context): %w", drift.ErrUnreachable, cfg.Host, err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, nil, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, nil, err
	}
	return client, &sources.Cluster{Discovery: dc, Client: cs, Dynamic: dyn}, nil
}

// countReason counts the error verdicts of rep with reason.
func countReason(rep *drift.Report, reason drift.Reason) int {
	n := 0
	for i := range rep.Results {
		if rep.Results[i].Status == drift.Error && rep.Results[i].Reason == reason {
			n++
		}
	}
	return n
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
		stopLogs := startLogs(o.Verbosity, streams.ErrOut)
		defer stopLogs()
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
