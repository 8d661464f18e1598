package cluster_test

import (
	"github.com/kubedrift/kubedrift/cluster"
	"github.com/kubedrift/kubedrift/drift"
)

// The interfaces of the drift engine that Client satisfies.
var (
	_ drift.LiveReader = (*cluster.Client)(nil)
	_ drift.PageLister = (*cluster.Client)(nil)
	_ drift.Versioned  = (*cluster.Client)(nil)
	_ drift.DryRunner  = (*cluster.Client)(nil)
)
