package clustertest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/scoreflow/scoreflow/internal/pgtest"
)

var (
	buildOnce sync.Once
	binDir    string
	binPath   string
	buildErr  error
)

// Binary builds cmd/scoreflow once per test binary and returns its path.
// Main removes it when the tests end.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			buildErr = fmt.Errorf("the go tool is needed to build scoreflow: %w", err)
			return
		}
		if binDir, err = os.MkdirTemp("", "scoreflow-clustertest-"); err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(binDir, "scoreflow")
		build := exec.Command(goTool, "build", "-o", binPath, "github.com/scoreflow/scoreflow/cmd/scoreflow")
		if out, err := build.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatalf("clustertest: %v", buildErr)
	}
	return binPath
}

// Main runs the tests, then removes the built binary and stops pgtest's
// private PostgreSQL. Call it from TestMain.
func Main(m *testing.M) int {
	code := pgtest.Main(m)
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	return code
}
