package cli

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/spf13/cobra"
	"k8s.io/klog/v2"
)

// maxVerbosity is the most client-go may log: from 8 on it logs response
// bodies, and a body may hold a Secret's values, which kubedrift never
// prints.
const maxVerbosity = 7

// addLogFlags adds -v, the verbosity of client-go's logs, as kubectl has it:
// -v=6 logs each request's URL and status, -v=7 its headers. client-go
// masks the Authorization header, and kubedrift's own output never holds a
// credential; the tests hold both to it.
func addLogFlags(cmd *cobra.Command, level *int) {
	cmd.PersistentFlags().IntVarP(level, "v", "v", 0, fmt.Sprintf("verbosity of the Kubernetes client's logs on standard error: 6 shows each request, 7 also its headers, with credentials masked; at most %d, since from 8 on bodies are logged, Secret values and all", maxVerbosity))
}

// startLogs turns client-go's logs (klog, which is process-wide) up to
// level, at most maxVerbosity, onto errOut, saying so when it lowers the
// level; stop puts them back. At level 0 it changes nothing, so that
// commands run side by side in one process (as tests run them) never touch
// klog's shared state.
func startLogs(level int, errOut io.Writer) (stop func()) {
	if level <= 0 {
		return func() {}
	}
	if level > maxVerbosity {
		fmt.Fprintf(errOut, "kubedrift: -v=%d lowered to %d: from 8 on, client-go logs response bodies, which hold Secret values\n", level, maxVerbosity)
		level = maxVerbosity
	}
	setKlogVerbosity(level)
	logTo(errOut)
	return func() {
		klog.Flush()
		setKlogVerbosity(0)
		logTo(os.Stderr)
	}
}

func setKlogVerbosity(level int) {
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	_ = fs.Set("v", strconv.Itoa(level))
}

// logTo sends client-go's logs to w instead of the process's standard
// error.
func logTo(w io.Writer) {
	klog.LogToStderr(false)
	klog.SetOutput(w)
}
