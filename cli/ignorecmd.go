package cli

import (
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/kubedrift/kubedrift/drift"
	"github.com/kubedrift/kubedrift/drift/ignore"
)

// newIgnoreCommand returns the ignore subcommand, which shows the rules
// that leave fields out of the comparison: the .kubedrift.yaml that applies
// in a directory, or the built-in presets. It needs no cluster.
func newIgnoreCommand(program string) *cobra.Command {
	var presets bool
	cmd := &cobra.Command{
		Use:   "ignore [DIR] [--presets]",
		Short: "Show the ignore rules that apply in DIR (default: the current directory), or the built-in presets",
		Long: `Show the ignore rules that apply to manifests in DIR: the .kubedrift.yaml
found there or in a directory above, which ` + program + ` reads unless --config names
another.

With --presets, list the built-in presets instead: fields that controllers
write on purpose after an install (a webhook's CA bundle, a failure policy a
control plane switches, the replicas an autoscaler sets), which are never a
person's drift. A preset spares a field only where live and desired differ
on it, and the report says which preset did; --no-presets judges them like
any other field.`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			if presets {
				return writePresets(cmd.OutOrStdout())
			}
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			return writeRulesIn(cmd.OutOrStdout(), dir)
		},
	}
	cmd.Flags().BoolVar(&presets, "presets", false, "list the built-in presets")
	return cmd
}

// writePresets lists the built-in presets: name, what for, and the rule.
func writePresets(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, p := range drift.Presets() {
		fmt.Fprintf(tw, "%s\t%s\n\t%s\n", p.Name, p.Description, p.Rule)
	}
	return tw.Flush()
}

// writeRulesIn writes the rule file that applies in dir, with its path.
func writeRulesIn(w io.Writer, dir string) error {
	path, err := ignore.Find(dir)
	if err != nil {
		return err
	}
	if path == "" {
		_, err := fmt.Fprintf(w, "no .kubedrift.yaml in %s or a directory above: no ignore rules apply\n", dir)
		return err
	}
	if _, err := ignore.Load(path); err != nil {
		return err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "# %s\n%s", path, data)
	return err
}
