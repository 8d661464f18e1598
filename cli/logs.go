package cli

import (
	"flag"
	"io"

	"github.com/spf13/cobra"
	"k8s.io/klog/v2"
)

// addLogFlags adds -v, the verbosity of client-go's logs, as kubectl has it:
// -v=6 logs each request's URL and status, -v=8 its headers and bodies.
// client-go masks the Authorization header at every level, and kubedrift's
// own output never holds a credential; the tests hold both to it.
func addLogFlags(cmd *cobra.Command) {
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	v := fs.Lookup("v")
	v.Usage = "verbosity of the Kubernetes client's logs on standard error: 6 shows each request, 8 also its headers and bodies (credentials are masked)"
	cmd.PersistentFlags().AddGoFlag(v)
	cmd.PersistentFlags().Lookup("v").Shorthand = "v"
}

// logTo sends client-go's logs to w, the command's standard error, instead
// of the process's.
func logTo(w io.Writer) {
	klog.LogToStderr(false)
	klog.SetOutput(w)
}
