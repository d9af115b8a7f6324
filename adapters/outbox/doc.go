// Package outbox keeps the revocations (sign-outs, [authgo.Auth.RevokeUser])
// that the shared revocation store could not take, on the instance that
// took them, and delivers them once the store answers again.
//
// Without it, a sign-out made while the shared store is down (Redis
// restarting, an SQLite database locked by another process) still clears
// the browser's cookie, but a copy of that cookie kept elsewhere opens the
// session again on any instance once the store is back, and on this one
// after a restart. Wrap the shared store with a [*Store] over a [Journal]
// that does not depend on it, such as a [*File] on local disk:
//
//	j, err := outbox.OpenFile("/var/lib/app/revocations.outbox")
//	if err != nil { … }
//	defer j.Close()
//	box, err := outbox.New(ctx, redis.NewRevocations(rdb, redis.RevocationsOptions{}), j, outbox.Options{Logger: log})
//	if err != nil { … }
//	defer box.Close()
//	cfg.Session.Revocations = box
//
// # Guarantees
//
// A revocation the shared store refuses is appended to the journal, and
// made durable there, before RevokeSession or RevokeUser returns nil; only
// when both fail is the error returned (and authgo logs that copies of the
// cookie stay valid). From then on:
//
//   - this instance refuses the session at once, and after a restart, since
//     New loads the journal and Check answers from it before asking the
//     shared store;
//   - a background goroutine delivers the journal to the shared store, with
//     a backoff from Options.Retry to Options.MaxRetry, and at once when
//     the shared store answers another call; a record leaves the journal
//     only after the shared store took it, so from that moment every
//     instance refuses the session (within its RevocationCache);
//   - records whose time has passed are dropped without delivery.
//
// Other instances cannot know of a revocation before it is delivered: while
// the store is down they cannot check any session either, and refuse them
// all with authgo.ErrSessionUnavailable.
//
// A Store passes UseOnce (the one-time OAuth callbacks, see
// [authgo.RevocationStore]) on to the shared store, so wrapping it keeps
// them shared; nothing of it is kept in the journal.
//
// Give every instance its own journal: a [*File] is locked while open
// (on Unix), so a second process that opens the same file gets [ErrLocked].
package outbox
