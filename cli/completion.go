package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kubedrift/kubedrift/drift"
	"github.com/kubedrift/kubedrift/report"
)

// completionTimeout bounds the cluster requests made to complete a word: a
// shell that waits longer for a TAB seems hung, and no list beats a late one.
const completionTimeout = 5 * time.Second

// finishRoot adds what the root command needs beyond its own flags and run,
// once every flag is defined: the version, completion and watch
// subcommands, the completion of flag values, and, as the kubectl plugin,
// examples that say "kubectl drift" as its usage does.
func finishRoot(root *cobra.Command, o *Options) {
	if display := root.DisplayName(); display != "kubedrift" {
		root.Example = strings.ReplaceAll(root.Example, "kubedrift ", display+" ")
	}
	// Completions first: watch takes the root's flags as they are then.
	registerFlagCompletions(root, o)
	root.AddCommand(newVersionCommand(), newCompletionCommand(root.Name()), newWatchCommand(root, o), newIgnoreCommand(root.DisplayName()))
}

// newCompletionCommand returns the completion subcommand. It replaces
// cobra's default one to say how "kubectl drift" is completed as a plugin,
// which no script of its own can do: kubectl completes its plugins itself.
func newCompletionCommand(program string) *cobra.Command {
	shells := []string{"bash", "zsh", "fish", "powershell"}
	return &cobra.Command{
		Use:   "completion " + strings.Join(shells, "|"),
		Short: "Print the shell completion script for bash, zsh, fish or PowerShell",
		Long: strings.ReplaceAll(`Print the script that lets bash, zsh, fish or PowerShell complete PROGRAM's
flags and their values: --context, --cluster and --user from the kubeconfig,
-n/--namespace from the cluster, --mode, -o, manifest files and directories.

  bash        source <(PROGRAM completion bash)    # in ~/.bashrc; needs bash-completion
  zsh         PROGRAM completion zsh > "${fpath[1]}/_PROGRAM"
  fish        PROGRAM completion fish > ~/.config/fish/completions/PROGRAM.fish
  powershell  PROGRAM completion powershell | Out-String | Invoke-Expression

As the kubectl plugin, "kubectl drift" is completed by kubectl's own
completion (kubectl 1.26 or later, set up with "kubectl completion"), which
asks an executable named kubectl_complete-drift on the PATH. "make install"
installs one; elsewhere (krew, a release archive) create it:

  printf '#!/bin/sh\nexec kubectl-drift __complete "$@"\n' > kubectl_complete-drift
  chmod +x kubectl_complete-drift    # then move it to a directory on the PATH`, "PROGRAM", program),
		Args:                  cobra.MatchAll(cobra.ExactArgs(1), cobra.OnlyValidArgs),
		ValidArgs:             shells,
		DisableFlagsInUseLine: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			// The scripts complete the root command by its program name,
			// kubedrift or kubectl-drift, never "kubectl".
			root, out := cmd.Root(), cmd.OutOrStdout()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(out, true)
			case "zsh":
				return root.GenZshCompletion(out)
			case "fish":
				return root.GenFishCompletion(out, true)
			default:
				return root.GenPowerShellCompletionWithDesc(out)
			}
		},
	}
}

// registerFlagCompletions completes the values of the kube flags and of the
// root command's own flags that take a closed set of words or a file.
func registerFlagCompletions(root *cobra.Command, o *Options) {
	// The kube flags are cli-runtime's and always defined.
	mustRegister(root.RegisterFlagCompletionFunc("context", o.completeKubeconfig(func(c *clientcmdapi.Config) map[string]string {
		names := map[string]string{}
		for name, ctx := range c.Contexts {
			names[name] = "cluster " + ctx.Cluster + ", user " + ctx.AuthInfo
		}
		return names
	})))
	mustRegister(root.RegisterFlagCompletionFunc("cluster", o.completeKubeconfig(func(c *clientcmdapi.Config) map[string]string {
		names := map[string]string{}
		for name, cluster := range c.Clusters {
			names[name] = cluster.Server
		}
		return names
	})))
	mustRegister(root.RegisterFlagCompletionFunc("user", o.completeKubeconfig(func(c *clientcmdapi.Config) map[string]string {
		names := map[string]string{}
		for name := range c.AuthInfos {
			names[name] = ""
		}
		return names
	})))
	mustRegister(root.RegisterFlagCompletionFunc("namespace", o.completeNamespaces))

	// The root command's flags may be renamed or dropped; a completion for
	// a flag that is gone is simply not registered.
	flags := root.Flags()
	if flags.Lookup("mode") != nil {
		mustRegister(root.RegisterFlagCompletionFunc("mode", cobra.FixedCompletions([]string{
			cobra.CompletionWithDesc(string(drift.ModeAuto), "server, offline where the dry run is forbidden"),
			cobra.CompletionWithDesc(string(drift.ModeServer), "server-side apply dry run"),
			cobra.CompletionWithDesc(string(drift.ModeOffline), "read only"),
		}, cobra.ShellCompDirectiveNoFileComp)))
	}
	if flags.Lookup("output") != nil {
		var formats []cobra.Completion
		for _, f := range report.Formats() {
			formats = append(formats, string(f))
		}
		mustRegister(root.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(formats, cobra.ShellCompDirectiveNoFileComp)))
	}
	if flags.Lookup("color") != nil {
		mustRegister(root.RegisterFlagCompletionFunc("color", cobra.FixedCompletions([]string{"auto", "always", "never"}, cobra.ShellCompDirectiveNoFileComp)))
	}
	for name, exts := range map[string][]string{
		"filename": {"yaml", "yml", "json"},
		"values":   {"yaml", "yml"},
		"helm":     {"tgz"},
	} {
		if flags.Lookup(name) != nil {
			mustRegister(root.MarkFlagFilename(name, exts...))
		}
	}
	if flags.Lookup("kustomize") != nil {
		mustRegister(root.MarkFlagDirname("kustomize"))
	}
}

// completeKubeconfig completes a flag with the names list picks from the
// kubeconfig that --kubeconfig, KUBECONFIG or ~/.kube/config name; the map's
// values are the descriptions shells show beside the names.
func (o *Options) completeKubeconfig(list func(*clientcmdapi.Config) map[string]string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		cfg, err := o.kube.ToRawKubeConfigLoader().RawConfig()
		if err != nil {
			cobra.CompDebugln(fmt.Sprintf("read kubeconfig: %v", err), false)
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var comps []cobra.Completion
		for name, desc := range list(&cfg) {
			switch {
			case !strings.HasPrefix(name, toComplete):
			case desc == "":
				comps = append(comps, name)
			default:
				comps = append(comps, cobra.CompletionWithDesc(name, desc))
			}
		}
		slices.Sort(comps)
		return comps, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeNamespaces completes -n/--namespace with the cluster's namespaces,
// read with the kube flags given so far (--kubeconfig, --context, ...).
func (o *Options) completeNamespaces(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	cfg, err := o.kube.ToRESTConfig()
	if err != nil {
		cobra.CompDebugln(fmt.Sprintf("kubeconfig: %v", err), false)
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		cobra.CompDebugln(fmt.Sprintf("client: %v", err), false)
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), completionTimeout)
	defer cancel()
	list, err := cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		cobra.CompDebugln(fmt.Sprintf("list namespaces: %v", err), false)
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var comps []cobra.Completion
	for _, ns := range list.Items {
		if strings.HasPrefix(ns.Name, toComplete) {
			comps = append(comps, ns.Name)
		}
	}
	return comps, cobra.ShellCompDirectiveNoFileComp
}

// mustRegister panics when a completion could not be registered: that is a
// flag named wrong or registered twice, a mistake every test run shows.
func mustRegister(err error) {
	if err != nil {
		panic(fmt.Sprintf("register shell completion: %v", err))
	}
}
