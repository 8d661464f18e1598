// Command kubedrift shows where a Kubernetes cluster has drifted from the
// manifests that describe it. Installed as kubectl-drift it is the kubectl
// plugin "kubectl drift".
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/kubedrift/kubedrift/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[0], os.Args[1:], cli.Streams())
	stop()
	os.Exit(code)
}
