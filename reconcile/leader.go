package reconcile

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	coordinationv1 "k8s.io/client-go/kubernetes/typed/coordination/v1"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// ErrLostLease is Lead's error when the replica stopped holding the Lease
// while its context had not ended: another replica may be writing now.
var ErrLostLease = errors.New("lost the leader Lease")

// Leader elects one replica of kubedrift watch among several, by a Lease
// (client-go's leader election), to be the only one that reconciles.
type Leader struct {
	// Leases reach the Lease, Namespace/Name.
	Leases          coordinationv1.LeasesGetter
	Namespace, Name string
	// Identity names this replica in the Lease: unique among replicas.
	Identity string
	// LeaseDuration is how long the other replicas wait, after the
	// leader's last renewal, before one of them takes the Lease (a leader
	// that was killed); RenewDeadline how long the leader tries to renew
	// before it gives up; RetryPeriod how often every replica tries. Zero
	// means 15s, 10s and 2s, client-go's and kube-controller-manager's.
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
	// OnNewLeader, if set, is told the identity of each leader as it is
	// seen, this replica's included.
	OnNewLeader func(identity string)
}

// Lead campaigns for the Lease and, while this replica holds it, runs lead
// with a context that ends the moment the Lease is lost, and returns once
// lead has returned: nil when ctx ended (the Lease is then given up, so
// that another replica takes it at once), ErrLostLease when the Lease was
// lost otherwise (the caller should stop, as a controller does, and start
// again to campaign).
func (l *Leader) Lead(ctx context.Context, lead func(ctx context.Context)) error {
	lock := &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: l.Namespace, Name: l.Name},
		Client:     l.Leases,
		LockConfig: resourcelock.ResourceLockConfig{Identity: l.Identity},
	}
	// Run calls OnStartedLeading in a goroutine of its own, and does not
	// wait for it: Lead does, and a call that comes after Run returned
	// does nothing.
	var (
		mu       sync.Mutex
		returned bool
		leading  sync.WaitGroup
	)
	elector, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock:            lock,
		Name:            l.Name,
		LeaseDuration:   cmp.Or(l.LeaseDuration, 15*time.Second),
		RenewDeadline:   cmp.Or(l.RenewDeadline, 10*time.Second),
		RetryPeriod:     cmp.Or(l.RetryPeriod, 2*time.Second),
		ReleaseOnCancel: true,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(ctx context.Context) {
				mu.Lock()
				if returned {
					mu.Unlock()
					return
				}
				leading.Add(1)
				mu.Unlock()
				defer leading.Done()
				lead(ctx)
			},
			OnStoppedLeading: func() {},
			OnNewLeader: func(identity string) {
				if l.OnNewLeader != nil {
					l.OnNewLeader(identity)
				}
			},
		},
	})
	if err != nil {
		return fmt.Errorf("leader election on Lease %s/%s: %w", l.Namespace, l.Name, err)
	}
	elector.Run(ctx)
	mu.Lock()
	returned = true
	mu.Unlock()
	leading.Wait()
	if ctx.Err() == nil {
		return fmt.Errorf("%w %s/%s", ErrLostLease, l.Namespace, l.Name)
	}
	return nil
}
