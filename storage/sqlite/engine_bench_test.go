package sqlite_test

import (
	"context"
	"database/sql"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/internal/cputime"
	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/storage/sqlite"
	"github.com/idupdate/idupdate/update"
	"github.com/idupdate/idupdate/update/updatetest"
)

// BenchmarkEngineApply is the engine's whole update path through SQLite on
// the ~2 KB document: decoding a 3-field patch, checks, merge, validation,
// one Store.Update with its event. Judge it beside BenchmarkRawUpdate with
// the same sync mode: the target is at least 0.7× the raw throughput.
func BenchmarkEngineApply(b *testing.B) {
	for _, mode := range syncModes {
		b.Run(mode.name, func(b *testing.B) {
			s, _ := newBenchRecord(b, mode.opts...)
			eng, err := update.New(s, updatetest.BenchPolicy())
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			i := 0
			for b.Loop() {
				applyPatch(b, ctx, eng, i)
				i++
			}
			b.SetBytes(int64(docSize(b)))
		})
	}
}

// BenchmarkEngineVsRaw runs BenchmarkEngineApply and BenchmarkRawUpdate in
// one loop, alternating, each on a file of its own: every iteration is one
// bare read-modify-write and one engine Apply. On a shared machine two
// separate benchmarks see different load; alternating gives both the same.
// It reports the wall time of each per iteration and the engine's
// throughput as a fraction of raw's (engine/raw, raw time over engine
// time), whose target at sync=NORMAL is at least 0.6. Where the thread's
// CPU time can be read it reports the same from CPU time (engine/raw-cpu):
// the goroutine is locked to its thread, and the lone writer does all its
// work there, so time spent waiting for a CPU on a busy machine is left
// out.
//
// A third step, raw+history, is the floor of any update that keeps a
// history and a change feed in this layout: raw's read-modify-write, which
// also reads the position of the record's newest event, plus one INSERT of
// a pre-encoded event linked to it, with the record's UPDATE pointing at
// the new event. It writes what a Store update writes, the same two
// pages, with nothing decoded or encoded. It is reported beside the other
// two (history-ns/op, history-cpu-ns/op) and changes neither.
func BenchmarkEngineVsRaw(b *testing.B) {
	for _, mode := range syncModes {
		b.Run(mode.name, func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			s, _ := newBenchRecord(b, mode.opts...)
			eng, err := update.New(s, updatetest.BenchPolicy())
			if err != nil {
				b.Fatal(err)
			}
			raw, rawPath := newBenchRecord(b, mode.opts...)
			if err := raw.Close(); err != nil {
				b.Fatal(err)
			}
			db, read, write := openRaw(b, rawPath, mode.opts...)
			hist, histPath := newBenchRecord(b, mode.opts...)
			if err := hist.Close(); err != nil {
				b.Fatal(err)
			}
			histDB, histStmts := openRawHistory(b, histPath, mode.opts...)
			ctx := context.Background()
			var engineWall, rawWall, histWall, engineCPU, rawCPU, histCPU time.Duration
			_, cpuOK := cputime.Thread()
			i := 0
			for b.Loop() {
				start, startCPU := time.Now(), cpuNow()
				if err := rawUpdate(ctx, db, read, write, "u1"); err != nil {
					b.Fatal(err)
				}
				mid, midCPU := time.Now(), cpuNow()
				applyPatch(b, ctx, eng, i)
				i++
				end, endCPU := time.Now(), cpuNow()
				if err := rawUpdateWithHistory(ctx, histDB, histStmts, "u1", i+1); err != nil {
					b.Fatal(err)
				}
				last, lastCPU := time.Now(), cpuNow()
				rawWall += mid.Sub(start)
				engineWall += end.Sub(mid)
				histWall += last.Sub(end)
				rawCPU += midCPU - startCPU
				engineCPU += endCPU - midCPU
				histCPU += lastCPU - endCPU
			}
			n := float64(b.N)
			b.ReportMetric(float64(rawWall.Nanoseconds())/n, "raw-ns/op")
			b.ReportMetric(float64(engineWall.Nanoseconds())/n, "engine-ns/op")
			b.ReportMetric(float64(rawWall)/float64(engineWall), "engine/raw")
			b.ReportMetric(float64(histWall.Nanoseconds())/n, "history-ns/op")
			if cpuOK {
				b.ReportMetric(float64(histCPU.Nanoseconds())/n, "history-cpu-ns/op")
				b.ReportMetric(float64(rawCPU.Nanoseconds())/n, "raw-cpu-ns/op")
				b.ReportMetric(float64(engineCPU.Nanoseconds())/n, "engine-cpu-ns/op")
				b.ReportMetric(float64(rawCPU)/float64(engineCPU), "engine/raw-cpu")
			}
		})
	}
}

// benchChanges is the text of the three changes a benchmark patch makes,
// as the store keeps it.
const benchChanges = `[{"path":"/displayName","op":"replace","old":"Ada Lovelace","new":"Ada King"},` +
	`{"path":"/givenName","op":"replace","old":"Ada","new":"Augusta"},` +
	`{"path":"/loginCount","op":"replace","old":42,"new":43}]`

// historyStmts are the statements of rawUpdateWithHistory.
type historyStmts struct{ read, event, write *sql.Stmt }

// openRawHistory opens the file at path as openRaw does, with the
// statements of rawUpdateWithHistory.
func openRawHistory(b *testing.B, path string, opts ...sqlite.Option) (*sql.DB, historyStmts) {
	b.Helper()
	db, _, _ := openRaw(b, path, opts...)
	var st historyStmts
	var err error
	st.read, err = db.Prepare(`SELECT doc, last FROM records WHERE type = ? AND id = ?`)
	require.NoError(b, err)
	st.event, err = db.Prepare(`INSERT INTO events (type, id, version, time, kind, actor, client, changes, prev)
		VALUES ('user', ?, ?, ?, 'update', '', '', ?, ?)`)
	require.NoError(b, err)
	st.write, err = db.Prepare(`UPDATE records SET doc = ?, version = version + 1, last = ? WHERE type = ? AND id = ?`)
	require.NoError(b, err)
	return db, st
}

// rawUpdateWithHistory is rawUpdate that also appends the pre-encoded
// event of version v+1, linked to the record's newest event, and points
// the record at it in the same UPDATE: what a Store update writes.
func rawUpdateWithHistory(ctx context.Context, db *sql.DB, st historyStmts, id string, v int) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var (
		doc  string
		last int64
	)
	if err := tx.Stmt(st.read).QueryRowContext(ctx, "user", id).Scan(&doc, &last); err != nil {
		return err
	}
	res, err := tx.Stmt(st.event).ExecContext(ctx, id, v+1, time.Now().UTC().Format(time.RFC3339Nano), benchChanges, last)
	if err != nil {
		return err
	}
	pos, err := res.LastInsertId()
	if err != nil {
		return err
	}
	if _, err := tx.Stmt(st.write).ExecContext(ctx, doc, pos, "user", id); err != nil {
		return err
	}
	return tx.Commit()
}

func cpuNow() time.Duration {
	d, _ := cputime.Thread()
	return d
}

// applyPatch decodes the i-th of the two alternating benchmark patches and
// applies it to record u1, as a request through an adapter would.
func applyPatch(b *testing.B, ctx context.Context, eng *update.Engine, i int) {
	patch, err := merge.Decode(updatetest.BenchPatches[i%2], merge.DecodeLimits{MaxBytes: 1 << 20, MaxDepth: 32})
	if err != nil {
		b.Fatal(err)
	}
	res, err := eng.Apply(ctx, update.Request{Type: "user", Locator: update.ByID("u1"), Doc: patch})
	if err != nil || !res.Modified {
		b.Fatalf("apply: %v", err)
	}
}
