package api

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scoreflow/scoreflow/model"
	"github.com/scoreflow/scoreflow/store"
	"github.com/scoreflow/scoreflow/store/sqlite"
)

// TestKeyringRun: a keyring whose Run polls sees keys created and revoked
// by another process (straight in the store) well within a second, and
// writes their last use when it stops.
func TestKeyringRun(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "keys.db"))
	require.NoError(t, err)
	defer st.Close()
	k := NewKeyring(st, "flag-admin", "", nil)
	// start runs the keyring's loop; the function it returns stops it and
	// waits until it has.
	start := func() func() {
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			k.Run(runCtx)
		}()
		return func() { cancel(); <-done }
	}
	stop := start()
	require.NotNil(t, k.check(ctx, "flag-admin"), "the built-in key")
	assert.Nil(t, k.check(ctx, "sf_unknown"))

	secret, err := newSecret()
	require.NoError(t, err)
	_, err = st.CreateKey(ctx, store.KeyRecord{ID: "k1", Name: "elsewhere", Scope: model.ScopeRead, Hash: hashSecret(secret)})
	require.NoError(t, err)
	within := func(want bool) time.Duration {
		t.Helper()
		start := time.Now()
		for (k.check(ctx, secret) != nil) != want {
			require.Less(t, time.Since(start), 2*time.Second, "the keyring never saw the change")
			time.Sleep(5 * time.Millisecond)
		}
		return time.Since(start)
	}
	assert.Less(t, within(true), time.Second, "a key created elsewhere")
	e := k.check(ctx, secret)
	require.NotNil(t, e)
	assert.Equal(t, "elsewhere", e.name)
	assert.Equal(t, model.ScopeRead, e.scope)

	stop()
	recs, err := st.ListKeys(ctx)
	require.NoError(t, err)
	require.Len(t, recs, 1)
	require.NotNil(t, recs[0].LastUsedAt, "the last use is written when the keyring stops")
	assert.WithinDuration(t, time.Now(), *recs[0].LastUsedAt, 5*time.Second)

	stop = start()
	defer stop()
	_, err = st.RevokeKey(ctx, "k1")
	require.NoError(t, err)
	assert.Less(t, within(false), time.Second, "a key revoked elsewhere")
	assert.NotNil(t, k.check(ctx, "flag-admin"), "the built-in key stays")
}
