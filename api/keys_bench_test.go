package api

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
	"github.com/scoreflow/scoreflow/store/sqlite"
)

// BenchmarkKeyCheck is the per-request cost of a key check (issue #13:
// at most 2 µs): hash the presented secret, find it among 1000 named keys,
// note its use, decide its scope and name the actor on the context.
//
//	go test -run '^$' -bench KeyCheck -benchtime 2s ./api
func BenchmarkKeyCheck(b *testing.B) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "keys.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	var secrets []string
	for i := 0; i < 1000; i++ {
		secret, err := newSecret()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := st.CreateKey(ctx, store.KeyRecord{ID: fmt.Sprint("k", i), Name: fmt.Sprint("key ", i),
			Scope: model.ScopeRead, Hash: hashSecret(secret)}); err != nil {
			b.Fatal(err)
		}
		secrets = append(secrets, secret)
	}
	k := NewKeyring(st, "an-admin-key-from-the-flags", "", nil)
	if k.check(ctx, secrets[0]) == nil {
		b.Fatal("a stored key is not found")
	}
	for _, bc := range []struct {
		name, secret string
		found        bool
	}{{"named", secrets[500], true}, {"builtin", "an-admin-key-from-the-flags", true}, {"wrong", "sf_wrong", false}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				e := k.check(ctx, bc.secret)
				if (e != nil) != bc.found {
					b.Fatalf("check(%s) = %v", bc.name, e)
				}
				if e != nil {
					if refusal(e.scope, admin, http.MethodGet) != "" {
						b.Fatal("refused")
					}
					_ = store.WithActor(ctx, e.name)
				}
			}
		})
	}
}
