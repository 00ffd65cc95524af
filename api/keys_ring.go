package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
)

// The built-in keys: the --admin-key and --write-key flags, listed beside
// the named keys under these ids and names, and never revocable.
const (
	builtinAdmin = "admin-key"
	builtinWrite = "write-key"
)

// Keyring answers "which key is this?" for every request, from memory.
//
// Keys are looked up by the SHA-256 of the presented secret. A plain hash
// (rather than bcrypt or argon2) is right here: the named secrets are 32
// random bytes, so no dictionary or brute force can find a preimage, and
// the check has to cost a microsecond, not 100 ms. The map compares
// hashes, which tell an attacker nothing; the final comparison is in
// constant time anyway.
//
// The set is replaced whole (copy on write) and read without a lock. A
// change made through this process applies at once; one made elsewhere
// (another replica, `scoreflow keys`) bumps the store's keys generation,
// which Run polls every pollEvery and a request checks itself when no poll
// ran for maxStale, so every replica sees it within a second.
type Keyring struct {
	st       store.KeyStore
	log      *slog.Logger
	builtins []*keyEntry
	started  time.Time

	set     atomic.Pointer[keySet]
	checked atomic.Int64 // Unix ns of the last generation check

	mu sync.Mutex // serialises loads and local changes of set
}

// keyEntry is one key in memory. lastUsed is kept here and written to the
// store now and then (flush), never once per request.
type keyEntry struct {
	id, name, scope string
	hash            [sha256.Size]byte
	builtin         bool
	createdAt       time.Time
	lastUsed        atomic.Int64 // Unix ms, 0 = not since this process started
	flushed         int64        // lastUsed as last written (under Keyring.mu)
	stored          *time.Time   // last use the store had when loaded
}

type keySet struct {
	gen    int64 // keys generation loaded; 0 = none yet
	byHash map[[sha256.Size]byte]*keyEntry
	byID   map[string]*keyEntry
}

const (
	pollEvery  = 250 * time.Millisecond
	maxStale   = time.Second
	flushEvery = 10 * time.Second
)

// NewKeyring holds the built-in keys (empty ones are off) and the named keys
// of st, which it loads at the first check.
func NewKeyring(st store.KeyStore, adminKey, writeKey string, log *slog.Logger) *Keyring {
	if log == nil {
		log = slog.Default()
	}
	k := &Keyring{st: st, log: log, started: time.Now().UTC().Truncate(time.Millisecond)}
	for _, b := range []struct{ id, scope, secret string }{{builtinAdmin, model.ScopeAdmin, adminKey}, {builtinWrite, model.ScopeWrite, writeKey}} {
		if b.secret != "" {
			k.builtins = append(k.builtins, &keyEntry{id: b.id, name: b.id, scope: b.scope, builtin: true,
				hash: sha256.Sum256([]byte(b.secret)), createdAt: k.started})
		}
	}
	k.set.Store(k.build(0, nil, nil))
	return k
}

// build makes a set of the built-ins and recs, carrying the in-memory last
// use of keys old already held.
func (k *Keyring) build(gen int64, recs []store.KeyRecord, old *keySet) *keySet {
	s := &keySet{gen: gen, byHash: map[[sha256.Size]byte]*keyEntry{}, byID: map[string]*keyEntry{}}
	for _, e := range k.builtins {
		s.byHash[e.hash], s.byID[e.id] = e, e
	}
	for _, r := range recs {
		if prev := old.lookupID(r.ID); prev != nil && !prev.builtin {
			prev.stored = r.LastUsedAt
			s.byHash[prev.hash], s.byID[prev.id] = prev, prev
			continue
		}
		e := &keyEntry{id: r.ID, name: r.Name, scope: r.Scope, createdAt: r.CreatedAt, stored: r.LastUsedAt}
		raw, err := hex.DecodeString(r.Hash)
		if err != nil || len(raw) != sha256.Size {
			k.log.Error("stored API key has a malformed hash; it is ignored", "key", r.Name)
			continue
		}
		copy(e.hash[:], raw)
		if _, taken := s.byHash[e.hash]; taken {
			continue // a built-in's secret reused as a named key: the built-in wins
		}
		s.byHash[e.hash], s.byID[e.id] = e, e
	}
	return s
}

func (s *keySet) lookupID(id string) *keyEntry {
	if s == nil {
		return nil
	}
	return s.byID[id]
}

// hashSecret is what the store keeps of a secret.
func hashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// check returns the key a secret names, or nil, and notes its use.
func (k *Keyring) check(ctx context.Context, secret string) *keyEntry {
	now := time.Now()
	if now.UnixNano()-k.checked.Load() > int64(maxStale) {
		k.sync(ctx)
	}
	// Copying into a stack buffer spares an allocation per request for
	// secrets of any usual length.
	var buf [128]byte
	h := sha256.Sum256(append(buf[:0], secret...))
	e := k.set.Load().byHash[h]
	if e == nil || subtle.ConstantTimeCompare(e.hash[:], h[:]) != 1 {
		return nil
	}
	if ms := now.UnixMilli(); e.lastUsed.Load() < ms {
		e.lastUsed.Store(ms)
	}
	return e
}

// sync reloads the named keys when the store's generation moved. A
// failure keeps the keys held and is retried at the next poll: a store
// that cannot be read cannot have been changed either.
func (k *Keyring) sync(ctx context.Context) {
	if k.st == nil {
		return // an API without a store (some tests) has built-in keys only
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if time.Now().UnixNano()-k.checked.Load() < int64(pollEvery/2) {
		return // another request just did
	}
	k.checked.Store(time.Now().UnixNano())
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	cur := k.set.Load()
	gen, err := k.st.KeysGeneration(ctx)
	if err != nil {
		k.log.Warn("cannot check for changed API keys", "err", err)
		return
	}
	if gen == cur.gen {
		return
	}
	recs, err := k.st.ListKeys(ctx)
	if err != nil {
		k.log.Warn("cannot load API keys", "err", err)
		return
	}
	k.set.Store(k.build(gen, recs, cur))
}

// Run polls the keys generation and flushes last uses until ctx ends, then
// flushes once more.
func (k *Keyring) Run(ctx context.Context) {
	poll := time.NewTicker(pollEvery)
	defer poll.Stop()
	flush := time.NewTicker(flushEvery)
	defer flush.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			k.flush(fctx)
			cancel()
			return
		case <-poll.C:
			k.sync(ctx)
		case <-flush.C:
			k.flush(ctx)
		}
	}
}

// flush writes the last uses of named keys that moved since the last flush.
func (k *Keyring) flush(ctx context.Context) {
	if k.st == nil {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	used := map[string]time.Time{}
	var entries []*keyEntry
	for _, e := range k.set.Load().byID {
		if at := e.lastUsed.Load(); !e.builtin && at > e.flushed {
			used[e.id] = time.UnixMilli(at).UTC()
			entries = append(entries, e)
		}
	}
	if len(used) == 0 {
		return
	}
	if err := k.st.TouchKeys(ctx, used); err != nil {
		k.log.Warn("cannot record when API keys were last used", "err", err)
		return
	}
	for _, e := range entries {
		e.flushed = used[e.id].UnixMilli()
	}
}

// added puts a key this process just created in the set at once.
func (k *Keyring) added(r store.KeyRecord) {
	k.mu.Lock()
	defer k.mu.Unlock()
	cur := k.set.Load()
	recs := cur.records()
	k.set.Store(k.build(cur.gen, append(recs, r), cur))
}

// revoked drops a key this process just revoked from the set at once; any
// load that began before the revoke committed has finished (mu), so none
// can bring it back.
func (k *Keyring) revoked(id string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	cur := k.set.Load()
	var recs []store.KeyRecord
	for _, r := range cur.records() {
		if r.ID != id {
			recs = append(recs, r)
		}
	}
	k.set.Store(k.build(cur.gen, recs, cur))
}

// records lists the named keys of a set (what build needs to rebuild it).
func (s *keySet) records() []store.KeyRecord {
	var out []store.KeyRecord
	for _, e := range s.byID {
		if !e.builtin {
			out = append(out, store.KeyRecord{ID: e.id, Name: e.name, Scope: e.scope, Hash: hex.EncodeToString(e.hash[:]),
				CreatedAt: e.createdAt, LastUsedAt: e.stored})
		}
	}
	return out
}

// lastUsed is when a key was last used: the later of what the store had
// (other replicas' uses, earlier processes') and this process's own.
func (k *Keyring) lastUsed(id string, stored *time.Time) *time.Time {
	e := k.set.Load().lookupID(id)
	if e == nil {
		return stored
	}
	at := e.lastUsed.Load()
	if at == 0 || stored != nil && stored.UnixMilli() >= at {
		return stored
	}
	t := time.UnixMilli(at).UTC()
	return &t
}
