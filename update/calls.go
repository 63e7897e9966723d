package update

// ConfirmRequest confirms a pending value with its code.
type ConfirmRequest struct {
	Type    string
	Locator Locator
	// Path names the confirmable field; "" tries every open challenge of
	// the record the client may write (for APIs that send only a code,
	// like Rubiq's 2004).
	Path   string
	Code   string
	Client string
	Actor  string
}

// ResendRequest issues a new code for an open challenge; the old code dies.
type ResendRequest struct {
	Type     string
	Locator  Locator
	Path     string
	Client   string
	Actor    string
	Delivery Delivery
}

// CancelRequest withdraws an open challenge. A held value is dropped; an
// applied-unverified value stays, unverified.
type CancelRequest struct {
	Type    string
	Locator Locator
	Path    string
	Client  string
	Actor   string
}

// DeleteRequest removes a record.
type DeleteRequest struct {
	Type    string
	Locator Locator
	Client  string
	Actor   string
	// Expect preconditions are checked against the record before it goes.
	Expect Expect
}
