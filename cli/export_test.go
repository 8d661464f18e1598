package cli

import (
	"context"
	"errors"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubedrift/kubedrift/ui"
)

// UIOptions returns the options the UI would open with for args, to drive
// the UI against a real cluster in tests; closeLog ends its write log.
func UIOptions(ctx context.Context, args []string, streams genericiooptions.IOStreams) (opts ui.Options, closeLog func(), err error) {
	cmd, o := NewCommand("kubedrift", streams)
	if err := cmd.ParseFlags(args); err != nil {
		return ui.Options{}, nil, err
	}
	if err := o.Validate(); err != nil {
		return ui.Options{}, nil, err
	}
	namespace, _, err := o.kube.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return ui.Options{}, nil, err
	}
	if o.Check || o.Apply {
		return ui.Options{}, nil, errors.New("the UI runs without --check and --apply")
	}
	log, closer, err := o.openLog()
	if err != nil {
		return ui.Options{}, nil, err
	}
	return o.uiOptions(namespace, log), func() { closer.Close() }, nil
}
