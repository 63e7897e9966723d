package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// display shows the progress of a run.
type display interface {
	update(s stats)
	finish(s stats)
}

// newDisplay picks the display for mode: a bar on a terminal (auto, bar),
// a plain line every interval otherwise (auto, lines), or none (off).
func newDisplay(mode string, w io.Writer, every time.Duration, s stats) display {
	if mode == "auto" {
		mode = "lines"
		if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			mode = "bar"
		}
	}
	switch mode {
	case "bar":
		return newBar(w, s)
	case "lines":
		return &lines{w: w, every: every, last: time.Now()}
	}
	return quiet{}
}

// quiet shows nothing.
type quiet struct{}

func (quiet) update(stats) {}
func (quiet) finish(stats) {}

// lines prints one plain line every interval, for logs and pipes.
type lines struct {
	w     io.Writer
	every time.Duration
	last  time.Time
}

func (l *lines) update(s stats) {
	if time.Since(l.last) < l.every {
		return
	}
	l.last = time.Now()
	fmt.Fprintln(l.w, progressLine(s, time.Now()))
}

func (l *lines) finish(s stats) { fmt.Fprintln(l.w, progressLine(s, time.Now())) }

// progressLine says where a run is: users settled of the total, the rate
// of this run, the time left at that rate, and the lines refused.
func progressLine(s stats, now time.Time) string {
	done := s.settled()
	pct := 100.0
	if s.total > 0 {
		pct = 100 * float64(done) / float64(s.total)
	}
	elapsed := now.Sub(s.started)
	rate := 0.0
	if elapsed > 0 {
		rate = float64(done-s.resumed) / elapsed.Seconds()
	}
	eta := "unknown"
	if rate > 0 {
		eta = (time.Duration(float64(s.total-done)/rate) * time.Second).Round(time.Second).String()
	}
	return fmt.Sprintf("progress: %d/%d users (%.1f%%), %.0f users/s, ETA %s, %d errors",
		done, s.total, pct, rate, eta, s.refused+s.earlier)
}

// bar draws a progress bar on a terminal.
type bar struct {
	b *progressbar.ProgressBar
	w io.Writer
}

func newBar(w io.Writer, s stats) *bar {
	b := progressbar.NewOptions(s.total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("importing"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("users"),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionFullWidth(),
	)
	_ = b.Set(s.settled())
	return &bar{b: b, w: w}
}

func (b *bar) update(s stats) {
	b.b.Describe(fmt.Sprintf("importing (%d errors)", s.refused+s.earlier))
	_ = b.b.Set(s.settled())
}

func (b *bar) finish(s stats) {
	b.update(s)
	_ = b.b.Exit()
	fmt.Fprintln(b.w)
}
