package metrics

import (
	"sort"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// replicaLabel names the process in every series of its /metrics, so the
// scrapes of several replicas of one cluster sum and compare without
// relying on the scraper's instance label.
const replicaLabel = "replica"

// Replica sets this process's replica id: from then on every series the
// registry serves carries replica="<id>", and scoreflow_replica_info
// {replica="<id>"} 1 is exported. Call it once.
func (r *Registry) Replica(id string) {
	if r == nil {
		return
	}
	r.replica.Store(&id)
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "scoreflow_replica_info",
		Help: "The replica id of this Scoreflow process (value 1).",
	})
	g.Set(1)
	r.reg.MustRegister(g)
}

// gather is the registry's Gather with the replica label added to every
// series. The label is added at gather time, not as a const label at
// registration, because the metrics exist before the process knows its
// replica id.
func (r *Registry) gather() ([]*dto.MetricFamily, error) {
	mfs, err := r.reg.Gather()
	id := r.replica.Load()
	if id == nil {
		return mfs, err
	}
	name, value := replicaLabel, *id
	for _, mf := range mfs {
		for _, m := range mf.Metric {
			if hasLabel(m, replicaLabel) {
				continue
			}
			m.Label = append(m.Label, &dto.LabelPair{Name: &name, Value: &value})
			// The exposition keeps labels sorted by name, as Gather returns them.
			sort.Slice(m.Label, func(i, j int) bool { return m.Label[i].GetName() < m.Label[j].GetName() })
		}
	}
	return mfs, err
}

func hasLabel(m *dto.Metric, name string) bool {
	for _, l := range m.Label {
		if l.GetName() == name {
			return true
		}
	}
	return false
}
