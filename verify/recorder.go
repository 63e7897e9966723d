package verify

import (
	"context"
	"sync"
)

// Recorder is a Dispatcher for tests: it keeps every message it is given
// instead of sending it, and can be told to fail. The zero Recorder is
// ready to use; a Recorder is safe for concurrent use and must not be
// copied after first use.
type Recorder struct {
	mu   sync.Mutex
	msgs []Message
	fail error
}

var _ Dispatcher = (*Recorder)(nil)

// Dispatch records m and returns nil; or, after FailWith(err), records
// nothing and returns err; or, when ctx is done, records nothing and
// returns ctx.Err().
func (r *Recorder) Dispatch(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.msgs = append(r.msgs, m)
	return nil
}

// Messages returns a copy of the recorded messages, oldest first.
func (r *Recorder) Messages() []Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Message(nil), r.msgs...)
}

// Last returns the most recent message, and false if there is none.
func (r *Recorder) Last() (Message, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.msgs) == 0 {
		return Message{}, false
	}
	return r.msgs[len(r.msgs)-1], true
}

// CodeFor returns the code of the most recent message sent to the address
// to (compared exactly), and false if none was.
func (r *Recorder) CodeFor(to string) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.msgs) - 1; i >= 0; i-- {
		if r.msgs[i].To == to {
			return r.msgs[i].Code, true
		}
	}
	return "", false
}

// FailWith makes every later Dispatch return err without recording; nil
// makes Dispatch succeed again.
func (r *Recorder) FailWith(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail = err
}

// Reset forgets every recorded message and any failure set by FailWith.
func (r *Recorder) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = nil
	r.fail = nil
}
