package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"
)

// Build information, stamped at link time by `make build` and `make dist`:
//
//	-X github.com/kubedrift/kubedrift/cli.buildVersion=$(git describe --tags --always --dirty)
//	-X github.com/kubedrift/kubedrift/cli.buildCommit=$(git rev-parse HEAD)
//	-X github.com/kubedrift/kubedrift/cli.buildDate=2026-01-02T15:04:05Z
//
// They are variables only because -X can set nothing else; nothing assigns
// them at run time. Left empty (go install, go build), the version and commit
// come from the build information the Go toolchain embeds.
var (
	buildVersion string
	buildCommit  string
	buildDate    string
)

// clientGoModule is the module whose version says which Kubernetes API
// versions this build speaks: kubectl's version skew policy applies to it.
const clientGoModule = "k8s.io/client-go"

// versionInfo describes the build of the running binary.
type versionInfo struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	BuildDate string `json:"buildDate"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
	ClientGo  string `json:"clientGoVersion"`
}

// readVersion returns the stamped build information, completed from what the
// Go toolchain embeds (debug.ReadBuildInfo) where nothing was stamped.
func readVersion() versionInfo {
	v := versionInfo{
		Version:   buildVersion,
		Commit:    buildCommit,
		BuildDate: buildDate,
		GoVersion: runtime.Version(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		// go install module@version records the version; a build in a
		// clone records "(devel)" or a pseudo-version from the VCS.
		if v.Version == "" && bi.Main.Version != "(devel)" {
			v.Version = bi.Main.Version
		}
		if v.Commit == "" {
			v.Commit = vcsRevision(bi.Settings)
		}
		v.ClientGo = moduleVersion(bi.Deps, clientGoModule)
	}
	for _, field := range []*string{&v.Version, &v.Commit, &v.BuildDate, &v.ClientGo} {
		if *field == "" {
			*field = "unknown"
		}
	}
	return v
}

// vcsRevision returns the commit the binary was built from, with -dirty as
// git describe writes it when the tree had uncommitted changes.
func vcsRevision(settings []debug.BuildSetting) string {
	var revision, modified string
	for _, s := range settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if revision != "" && modified == "true" {
		revision += "-dirty"
	}
	return revision
}

// moduleVersion returns the version of the module at path the binary was
// built with, after any replace directive; empty when it is not a dependency.
func moduleVersion(deps []*debug.Module, path string) string {
	for _, d := range deps {
		if d.Path != path {
			continue
		}
		if d.Replace != nil && d.Replace.Version != "" {
			return d.Replace.Version
		}
		return d.Version
	}
	return ""
}

// newVersionCommand returns the version subcommand. It needs no cluster:
// kubectl's own "version" asks the server too, but a plugin's version is what
// a bug report needs, and it must work where no cluster answers.
func newVersionCommand() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:               "version",
		Short:             "Print the version, commit, build date, and the Go and client-go versions",
		Args:              cobra.NoArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return writeVersion(cmd.OutOrStdout(), readVersion(), output)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "output format: json or yaml (default: text)")
	mustRegister(cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"json", "yaml"}, cobra.ShellCompDirectiveNoFileComp)))
	return cmd
}

// writeVersion writes v as text, or as json or yaml for scripts.
func writeVersion(w io.Writer, v versionInfo, output string) error {
	switch output {
	case "":
		_, err := fmt.Fprintf(w, "Version:    %s\nCommit:     %s\nBuilt:      %s\nGo:         %s %s\nclient-go:  %s\n",
			v.Version, v.Commit, v.BuildDate, v.GoVersion, v.Platform, v.ClientGo)
		return err
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	case "yaml":
		b, err := yaml.Marshal(v)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	}
	return fmt.Errorf("--output must be json or yaml, not %q", output)
}
