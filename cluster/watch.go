package cluster

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// watch pokes the manager when the bucket changes in a way that can
// change the balance: a replica appears or goes, a lease changes hands or
// goes. Rewrites of the same keys by their holders do not count.
func (m *Manager) watch(ctx context.Context) {
	defer close(m.watchDone)
	holders := map[string]string{} // key → replica id or lease token
	for ctx.Err() == nil {
		if w, err := m.bucket().WatchAll(ctx, jetstream.UpdatesOnly()); err == nil {
			m.follow(ctx, w, holders)
			stopWatcher(w)
		}
		select {
		case <-ctx.Done():
		case <-time.After(m.interval):
		}
	}
}

// follow pokes the manager on each change that counts until ctx ends or
// the watcher closes.
func (m *Manager) follow(ctx context.Context, w jetstream.KeyWatcher, holders map[string]string) {
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-w.Updates():
			if !ok {
				return
			}
			if e != nil && changed(holders, e) {
				m.poke()
			}
		}
	}
}

func changed(holders map[string]string, e jetstream.KeyValueEntry) bool {
	k := e.Key()
	if e.Operation() != jetstream.KeyValuePut {
		_, had := holders[k]
		delete(holders, k)
		return had || strings.HasPrefix(k, partitionPrefix)
	}
	holder := k
	if strings.HasPrefix(k, partitionPrefix) {
		var v leaseValue
		_ = json.Unmarshal(e.Value(), &v)
		holder = v.Token
	}
	if holders[k] == holder {
		return false
	}
	holders[k] = holder
	return true
}
