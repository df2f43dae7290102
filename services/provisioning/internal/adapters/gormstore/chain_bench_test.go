package gormstore_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/craevidence/scim-provisioning/services/provisioning/internal/domain"
)

// BenchmarkAppendEventSealer measures the insert rate of provisioning
// events from 8 concurrent writers in 4 organisations, once with no sealer
// and once with the sealer linking new events every 100 ms (ten times as
// often as the core does), to show that sealing after commit leaves the
// request path alone. Each event commits in a transaction of its own, as a
// provisioning request's does.
func BenchmarkAppendEventSealer(b *testing.B) {
	for dbName, newStore := range benchDatabases() {
		for _, sealing := range []bool{false, true} {
			name := fmt.Sprintf("%s/sealer=%v", dbName, sealing)
			b.Run(name, func(b *testing.B) {
				s := newStore(b)
				// Events name their organisation without a foreign key, so
				// the other three organisations need no rows of their own.
				orgID, _ := seed(b, s, 0)
				orgs := []string{orgID, "bench-org-2", "bench-org-3", "bench-org-4"}

				ctx, stop := context.WithCancel(context.Background())
				var wg sync.WaitGroup
				if sealing {
					wg.Add(1)
					go func() {
						defer wg.Done()
						ticker := time.NewTicker(100 * time.Millisecond)
						defer ticker.Stop()
						for {
							select {
							case <-ctx.Done():
								return
							case <-ticker.C:
							}
							for {
								n, err := s.SealEvents(ctx, 500)
								if err != nil || n < 500 {
									break
								}
							}
						}
					}()
				}

				// RunParallel starts parallelism × GOMAXPROCS writers.
				b.SetParallelism(max(1, 8/runtime.GOMAXPROCS(0)))
				next := make(chan int, 1)
				next <- 0
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					i := <-next
					next <- i + 1
					orgID := orgs[i%len(orgs)]
					for pb.Next() {
						err := s.Audit().AppendEvent(context.Background(), domain.Event{
							OrganizationID: orgID, Operation: domain.OpUserUpdate,
							Outcome: domain.OutcomeSucceeded, MemberID: "member-1",
							Actor: "scim:bench", ChangedAttributes: []string{"title"},
						})
						if err != nil {
							b.Error(err)
							return
						}
					}
				})
				b.StopTimer()
				elapsed := b.Elapsed()
				b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
				stop()
				wg.Wait()
			})
		}
	}
}
