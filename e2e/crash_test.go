package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/api"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/server"
)

// Bounds of the burst: loopback only, a few devices, a capped number of
// posts and a deadline, so the test always ends by itself.
const (
	crashDevices     = 4
	crashMaxPerDev   = 150
	crashKillAfter   = 40 // acknowledged receipts before the kill
	crashBurstMaxDur = 30 * time.Second
)

// TestCrashOverHTTP kills the real server binary with SIGKILL in the middle
// of a burst of receipts and restarts it on the same data directory: every
// receipt it acknowledged (2xx) must be there, countersigned by a key the
// restarted server still publishes.
func TestCrashOverHTTP(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the server binary")
	}
	bin := buildServer(t)
	data := t.TempDir()

	first := startBinary(t, bin, data)
	info := policyInfo(t, first.url)

	type device struct {
		signer  receipt.Signer
		subject string
	}
	var (
		mu      sync.Mutex
		acked   = map[string]string{} // receipt id -> hash from the ack
		devices []device
	)
	killed := make(chan struct{})
	var killOnce sync.Once
	kill := func() {
		killOnce.Do(func() {
			if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Error(err)
			}
			close(killed)
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), crashBurstMaxDur)
	defer cancel()
	client := &http.Client{Timeout: 10 * time.Second}

	var wg sync.WaitGroup
	for range crashDevices {
		wg.Add(1)
		go func() {
			defer wg.Done()
			signer := receipt.GenerateEd25519Signer()
			subject, prev := receipt.NewSubject(), ""
			mu.Lock()
			devices = append(devices, device{signer, subject})
			mu.Unlock()
			for range crashMaxPerDev {
				select {
				case <-killed:
					return
				case <-ctx.Done():
					return
				default:
				}
				env, err := buildReceipt(info, signer, subject, prev)
				if err != nil {
					t.Error(err)
					return
				}
				body, _ := json.Marshal(env)
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, first.url+"/api/v1/receipts", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				res, err := client.Do(req)
				if err != nil {
					return // the server is gone: expected once killed
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode/100 != 2 {
					t.Errorf("POST: %d %s", res.StatusCode, b)
					return
				}
				var ack api.Ack
				if err := json.Unmarshal(b, &ack); err != nil {
					// Cut off mid-answer by the kill: not acknowledged.
					return
				}
				mu.Lock()
				acked[ack.ID] = ack.Hash
				n := len(acked)
				mu.Unlock()
				prev = ack.Hash
				if n >= crashKillAfter {
					kill()
				}
			}
		}()
	}
	wg.Wait()
	kill() // in case the burst ended before the threshold
	_ = first.cmd.Wait()
	require.GreaterOrEqual(t, len(acked), crashKillAfter, "the burst acknowledged too few receipts to mean anything")

	// Each device reads its chain back with a proof of its key (an
	// anonymous read shows only that a receipt exists).
	second := startBinary(t, bin, data)
	jwks := get(t, second.url+"/.well-known/jwks.json")
	found := map[string]receipt.Countersigned{}
	for _, d := range devices {
		var n api.Nonce
		require.NoError(t, json.Unmarshal(get(t, second.url+"/api/v1/nonce"), &n))
		proof, err := receipt.SignHistoryProof(d.subject, time.Now(), n.Nonce, d.signer)
		require.NoError(t, err)
		req, err := http.NewRequest(http.MethodGet, second.url+"/api/v1/subjects/"+d.subject+"/receipts", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", receipt.ProofScheme+" "+proof)
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode == http.StatusForbidden {
			continue // none of its receipts was stored before the kill
		}
		require.Equal(t, http.StatusOK, res.StatusCode, "%s", b)
		var h receipt.History
		require.NoError(t, json.Unmarshal(b, &h))
		require.NoError(t, receipt.VerifyChain(h, jwks), "the chain survived whole")
		for _, c := range h.Receipts {
			found[c.ID] = c
		}
	}
	for id, hash := range acked {
		c, ok := found[id]
		require.True(t, ok, "acknowledged receipt %s is lost", id)
		assert.Equal(t, hash, c.Hash)
		_, err := c.Verify(jwks)
		assert.NoError(t, err, "receipt %s", id)
	}
	t.Logf("%d acknowledged receipts survived SIGKILL", len(acked))
}

// buildServer builds the real program once for the test.
func buildServer(t *testing.T) string {
	t.Helper()
	root, err := moduleRoot()
	require.NoError(t, err)
	bin := filepath.Join(t.TempDir(), "kaiconn-consent")
	cmd := exec.Command("go", "build", "-o", bin, "./app")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build ./app: %s", out)
	return bin
}

type child struct {
	cmd *exec.Cmd
	url string
}

// startBinary runs bin on a free loopback port with data as its data
// directory, without a rate limit, and waits until it answers.
func startBinary(t *testing.T, bin, data string) child {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())

	cmd := exec.Command(bin, "-addr", addr, "-data", data, "-web", webDir, "-rate-limit", "-1")
	cmd.Env = append(os.Environ(), "KAICONN_DSN=") // SQLite, whatever the caller's environment says
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	url := "http://" + addr
	// A generous bound: on a loaded machine the first start (keys, the
	// store, compressing the assets) can take a while; a server that will
	// never answer is seen by its exit or its logs.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		res, err := http.Get(url + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return child{cmd: cmd, url: url}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not start: %s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func get(t *testing.T, url string) []byte {
	t.Helper()
	res, err := http.Get(url)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode, "GET %s: %s", url, b)
	return b
}

func policyInfo(t *testing.T, base string) server.PolicyInfo {
	t.Helper()
	var info server.PolicyInfo
	require.NoError(t, json.Unmarshal(get(t, base+"/api/v1/policy"), &info))
	return info
}

// buildReceipt builds what the app builds from GET /api/v1/policy: a
// kaiconn-receipt/2 settings decision granting every purpose, naming the
// published shown notice, its purposes in id order, signed with the device
// key and chained to prev.
func buildReceipt(info server.PolicyInfo, signer receipt.Signer, subject, prev string) (*receipt.Signed, error) {
	var v *server.PolicyVersionInfo
	for i := range info.Versions {
		if info.Versions[i].Version == info.Latest {
			v = &info.Versions[i]
		}
	}
	if v == nil {
		return nil, fmt.Errorf("policy info: no latest version %q", info.Latest)
	}
	now := time.Now()
	lang := receipt.LangEn
	var purposes []receipt.PurposeParams
	for _, p := range v.Purposes {
		if p.Surface != receipt.SurfaceSettings {
			continue
		}
		purposes = append(purposes, receipt.PurposeParams{
			ID: p.ID, State: receipt.StateGiven, ExpiresAt: now.AddDate(0, 0, info.ConsentLifetimeDays),
		})
	}
	slices.SortFunc(purposes, func(a, b receipt.PurposeParams) int { return strings.Compare(a.ID, b.ID) })
	return receipt.Sign(receipt.New(receipt.Params{
		Schema: receipt.SchemaV2, Notice: v.Notices[receipt.SurfaceSettings][lang],
		Subject: subject, Surface: receipt.SurfaceSettings, Language: lang,
		PolicyVersion: v.Version, PolicySHA256: v.SHA256[lang], Decision: receipt.DecisionUpdated,
		IssuedAt: now, Purposes: purposes, PrevHash: prev,
	}), signer)
}
