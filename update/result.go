package update

import (
	"context"
	"errors"
	"unsafe"

	"github.com/idupdate/idupdate/merge"
	"github.com/idupdate/idupdate/storage"
	"github.com/idupdate/idupdate/verify"
)

// finish builds the result, dispatches codes and notifies the observer.
func (e *Engine) finish(ctx context.Context, s *schema, rec *storage.Record, o *outcome, req *Request) *Result {
	res := &Result{ID: rec.ID, Version: rec.Version, Created: rec.Created, Updated: rec.Updated, DryRun: req.DryRun}
	if o == nil {
		o = &outcome{}
	}
	res.Modified = o.event != nil
	res.Unchanged = !res.Modified
	res.Changes = o.changes
	res.Pending = append(res.Pending, o.touched...)
	for _, is := range o.issued {
		info := pendingInfo(is.ch, string(is.decision))
		if req.DryRun {
			res.Pending = append(res.Pending, info)
			continue
		}
		info = e.deliver(ctx, rec, is, info)
		if info.Dispatched {
			res.VerificationDispatched = true
		}
		res.Pending = append(res.Pending, info)
	}
	if req.IncludeRecord {
		res.Record = s.view(rec)
	}
	if o.event != nil && !req.DryRun && e.observe != nil {
		ev := *o.event
		ev.Version = rec.Version
		e.observe(ctx, stripped(rec), ev)
	}
	return res
}

// deliver hands an issued code to its destination: the dispatcher, or
// the caller (ReturnCode). Throttled codes go nowhere.
func (e *Engine) deliver(ctx context.Context, rec *storage.Record, is issued, info PendingInfo) PendingInfo {
	if is.decision != verify.Allowed {
		return info
	}
	switch is.delivery.kind {
	case ReturnCode:
		info.Code = is.code
		return info
	case AlreadyVerified:
		return info
	}
	msg := verify.Message{ChallengeID: is.ch.ID, RecordType: rec.Type, RecordID: rec.ID, Path: is.ch.Path,
		Channel: is.ch.Channel, To: is.to, Code: is.code, Expires: is.ch.Expires}
	if is.delivery.link != nil {
		link, err := verify.RenderLink(is.delivery.link, verify.LinkData{UserID: rec.ID, Code: is.code,
			OrgID: is.delivery.orgID, Path: is.ch.Path, Channel: string(is.ch.Channel)})
		if err != nil {
			e.log.WarnContext(ctx, "verification link failed", "type", rec.Type, "id", rec.ID, "path", is.ch.Path, "err", err.Error())
			info.DispatchError = "link template failed: " + err.Error()
			return info
		}
		msg.Link = link
	}
	if err := e.dispatch.Dispatch(ctx, msg); err != nil {
		e.log.WarnContext(ctx, "verification dispatch failed", "type", rec.Type, "id", rec.ID, "path", is.ch.Path,
			"channel", string(is.ch.Channel), "err", err.Error())
		info.DispatchError = dispatchError(err)
		return info
	}
	info.Dispatched = true
	return info
}

// dispatchError says why a send failed, with what the log says.
func dispatchError(err error) string {
	if errors.Is(err, errNoDispatcher) {
		return "no dispatcher configured, so the code was not sent: give the engine update.WithDispatcher, then Resend"
	}
	return "dispatch failed: " + err.Error()
}

// pendingInfo describes a challenge for a Result.
func pendingInfo(ch verify.Challenge, throttled string) PendingInfo {
	return PendingInfo{ID: ch.ID, Path: ch.Path, Channel: ch.Channel, State: ch.State, Expires: ch.Expires,
		Held: ch.Held, Throttled: throttled}
}

// toStorage returns cs as storage changes, without copying: the slice is
// reinterpreted in place. That is sound because merge.Change and
// storage.Change have identical underlying types (the conversion below
// compiles only while they do), and so identical layouts. cs belongs to
// the caller, which must not use it as merge changes any more.
func toStorage(cs []merge.Change) []storage.Change {
	_ = storage.Change(merge.Change{})
	if len(cs) == 0 {
		return []storage.Change{} // empty, not nil, as a copy would be
	}
	return unsafe.Slice((*storage.Change)(unsafe.Pointer(unsafe.SliceData(cs))), len(cs))
}
