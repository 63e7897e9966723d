package shimconfig

import (
	"fmt"
	"time"

	"github.com/idupdate/idupdate/internal/jsonfile"
	"github.com/idupdate/idupdate/storage"
)

// bucketFile is a token bucket in the -config file:
//
//	{"rate": 100, "burst": 6000}
//
// burst calls at once, refilled at rate calls a second, kept in the
// store, so shared by every server process on it.
type bucketFile struct {
	Rate  float64 `json:"rate"`
	Burst int     `json:"burst"`
}

// bucket returns b as a storage.Bucket.
func (b bucketFile) bucket() storage.Bucket {
	return storage.Bucket{Rate: b.Rate, Burst: b.Burst}
}

// checkBucket reports a bucket the store would refuse, at its place in
// the file.
func checkBucket(file string, data []byte, path []any, b *bucketFile) error {
	if b == nil {
		return nil
	}
	if err := storage.CheckBucket("bucket", b.bucket()); err != nil {
		return jsonfile.At(file, data, path, &jsonfile.ValueError{
			Problem: fmt.Sprintf("rate %g a second with burst %d cannot be used", b.Rate, b.Burst),
			Expected: fmt.Sprintf("a rate of %g to %g a second, a burst of %d to %d, and burst/rate at most %s",
				float64(storage.MinBucketRate), float64(storage.MaxBucketRate), storage.MinBucketBurst, storage.MaxBucketBurst, time.Duration(storage.MaxWindow)),
		})
	}
	return nil
}
