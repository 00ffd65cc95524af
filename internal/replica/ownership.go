package replica

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/scoreflow/scoreflow/model"
)

// Unbalanced asks one replica's GET /api/v1/cluster whether the cluster
// is settled: every partition has exactly one owner, and the owners are
// exactly the replicas at addrs (each owns some, none else owns any). It
// returns "" when settled, else what is not, with the answer. A dead
// replica may stay listed a while owning nothing (CONTRACT §7); that is
// settled.
func Unbalanced(ctx context.Context, addr, adminKey string, addrs []string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/api/v1/cluster", nil)
	if err != nil {
		return "", err
	}
	if adminKey != "" {
		req.Header.Set("Authorization", "Bearer "+adminKey)
	}
	resp, err := readyClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("GET /api/v1/cluster on %s: %w", addr, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", fmt.Errorf("GET /api/v1/cluster on %s: %w", addr, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET /api/v1/cluster on %s: %d %s", addr, resp.StatusCode, body)
	}
	var cl model.Cluster
	if err := json.Unmarshal(body, &cl); err != nil {
		return "", fmt.Errorf("GET /api/v1/cluster on %s: %w", addr, err)
	}
	owners := map[int]int{}
	owning := map[string]bool{}
	for _, r := range cl.Replicas {
		for _, p := range r.Partitions {
			owners[p]++
			owning[r.HTTP] = true
		}
	}
	if cl.Partitions < 1 {
		return fmt.Sprintf("%s: no partitions: %s", addr, body), nil
	}
	for p := 0; p < cl.Partitions; p++ {
		if owners[p] != 1 {
			return fmt.Sprintf("%s: partition %d has %d owners: %s", addr, p, owners[p], body), nil
		}
	}
	for _, a := range addrs {
		if !owning[a] && len(addrs) <= cl.Partitions {
			return fmt.Sprintf("%s: replica %s owns no partition: %s", addr, a, body), nil
		}
		delete(owning, a)
	}
	if len(owning) > 0 {
		return fmt.Sprintf("%s: partitions owned by replicas that are not running: %s", addr, body), nil
	}
	return "", nil
}
