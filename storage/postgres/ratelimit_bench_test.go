package postgres_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idupdate/idupdate/storage"
)

// BenchmarkRateLimit compares a token bucket's Take with the sliding
// window's Hit, its baseline, both one statement: calls spread over 16
// clients, allowed (limits no call reaches) and refused (limits every
// call after the first exceeds).
func BenchmarkRateLimit(b *testing.B) {
	s, _ := openStore(b)
	ctx := context.Background()
	now := time.Now()
	for _, c := range []struct {
		name   string
		bucket storage.Bucket
		quota  storage.Quota
	}{
		{"Allowed", storage.Bucket{Rate: storage.MaxBucketRate, Burst: storage.MaxBucketBurst}, storage.Quota{Limit: storage.MaxQuotaLimit, Window: time.Hour}},
		{"Refused", storage.Bucket{Rate: storage.MinBucketRate, Burst: 1}, storage.Quota{Limit: 1, Window: time.Hour}},
	} {
		var client atomic.Int64
		name := func() string { return c.name + "-" + strconv.FormatInt(client.Add(1)%16, 10) }
		b.Run(c.name+"/Hit", func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := s.Hit(ctx, name(), c.quota, now); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
		b.Run(c.name+"/Take", func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, _, err := s.Take(ctx, name(), c.bucket, now); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
