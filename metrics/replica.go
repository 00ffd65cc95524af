package metrics

import "github.com/prometheus/client_golang/prometheus"

// Replica exports scoreflow_replica_info{replica="<id>"} 1, so a scrape
// of several processes tells them apart. Call it once.
func (r *Registry) Replica(id string) {
	if r == nil {
		return
	}
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "scoreflow_replica_info",
		Help: "The replica id of this Scoreflow process (value 1).",
	}, []string{"replica"})
	g.WithLabelValues(id).Set(1)
	r.reg.MustRegister(g)
}
