package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kubedrift/kubedrift/drift"
	"github.com/kubedrift/kubedrift/reconcile"
)

// watchMetrics are the Prometheus metrics of kubedrift watch, in a registry
// of their own: nothing another package registers globally is served, and
// two watches in one process (as in tests) do not collide.
type watchMetrics struct {
	registry    *prometheus.Registry
	objects     *prometheus.GaugeVec
	driftEvents prometheus.Counter
	lastCheck   prometheus.Gauge
	// reconciles is nil without --auto-reconcile.
	reconciles *prometheus.CounterVec
}

// statusLabels are the values of kubedrift_objects' status label, in
// Prometheus' lower snake case.
var statusLabels = map[drift.Status]string{
	drift.InSync:    "in_sync",
	drift.Drifted:   "drifted",
	drift.Missing:   "missing",
	drift.Unmanaged: "unmanaged",
	drift.Error:     "error",
}

func newWatchMetrics(autoReconcile bool) *watchMetrics {
	m := &watchMetrics{
		registry: prometheus.NewRegistry(),
		objects: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "kubedrift_objects",
			Help: "Objects by their last verdict: in_sync, drifted, missing, unmanaged (live, carries the selector's labels, no manifest declares it) or error (could not be judged).",
		}, []string{"status"}),
		driftEvents: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "kubedrift_drift_events_total",
			Help: "Verdicts that changed to drifted or missing since kubedrift started; the verdicts of the first check are not counted.",
		}),
		lastCheck: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "kubedrift_last_check_timestamp_seconds",
			Help: "When the last check of the whole desired state that reached the cluster ended, in seconds since the epoch. It advances every --resync while the cluster answers.",
		}),
	}
	m.registry.MustRegister(m.objects, m.driftEvents, m.lastCheck,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Every status shows from the start, at 0, so that a query for one
	// finds a series before the first object has it.
	for _, label := range statusLabels {
		m.objects.WithLabelValues(label)
	}
	if autoReconcile {
		m.reconciles = prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kubedrift_reconciles_total",
			Help: "Attempts of --auto-reconcile by result: applied (written, now in sync), failed (refused, or still not in sync; retried with backoff) or skipped (in sync by then, or managed by another controller).",
		}, []string{"result"})
		m.registry.MustRegister(m.reconciles)
		for _, result := range reconcile.AutoResults {
			m.reconciles.WithLabelValues(string(result))
		}
	}
	return m
}

// setCounts sets kubedrift_objects to counts.
func (m *watchMetrics) setCounts(counts map[drift.Status]int) {
	for status, label := range statusLabels {
		m.objects.WithLabelValues(label).Set(float64(counts[status]))
	}
}

// reconciled counts one attempt of --auto-reconcile.
func (m *watchMetrics) reconciled(result reconcile.AutoResult) {
	if m.reconciles != nil {
		m.reconciles.WithLabelValues(string(result)).Inc()
	}
}

// metricsServer serves /metrics and /healthz.
type metricsServer struct {
	srv      *http.Server
	listener net.Listener
}

// listenMetrics listens on addr for the metrics server, so that an address
// that cannot be had fails watch at its start, before anything else. Serve
// serves.
func listenMetrics(addr string, m *watchMetrics) (*metricsServer, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry}))
	// Alive and serving: watch retries a cluster that does not answer by
	// itself, which a restart would not do better.
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	return &metricsServer{srv: srv, listener: l}, nil
}

// Addr is the address the server listens on, with the port the system
// chose for port 0.
func (s *metricsServer) Addr() string {
	return s.listener.Addr().String()
}

// Serve serves until ctx ends, then lets the requests in flight finish for
// a few seconds. Its error is one that stopped the serving early.
func (s *metricsServer) Serve(ctx context.Context) error {
	done := make(chan error, 1)
	go func() { done <- s.srv.Serve(s.listener) }()
	select {
	case err := <-done:
		return fmt.Errorf("serve metrics: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("stop serving metrics: %w", err)
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve metrics: %w", err)
	}
	return nil
}
