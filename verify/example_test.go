package verify_test

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/idupdate/idupdate/verify"
)

// Issue a code for a changed email address, store only its hash, and
// confirm it after one wrong try. A real caller draws the code with
// verify.NewCode and persists the challenge after every step; a fixed code
// keeps the output stable here.
func Example() {
	hasher, err := verify.NewHasher(bytes.Repeat([]byte{0x5a}, verify.MinKeyLen))
	if err != nil {
		panic(err)
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	spec := verify.DefaultCodeSpec

	c := verify.New("ch-1", "/email", verify.Email, []byte(`"new@example.com"`), true, now)
	code := "K7Q2XZ" // in production: code, err := verify.NewCode(spec)
	c.Rekey(hasher.Hash(c.ID, code), now, spec.TTL)
	fmt.Println("stored hash bytes:", len(c.CodeHash), "expires:", c.Expires.Format(time.Kitchen))

	err = c.Check(hasher, verify.Normalize("k7q2xy", spec), now.Add(time.Minute), 5)
	fmt.Println("wrong code:", errors.Is(err, verify.ErrMismatch), "attempts:", c.Attempts)

	err = c.Check(hasher, verify.Normalize(" k7q2xz ", spec), now.Add(2*time.Minute), 5)
	fmt.Println("right code:", err, "state:", c.State, "hash kept:", len(c.CodeHash) > 0)
	// Output:
	// stored hash bytes: 32 expires: 1:00PM
	// wrong code: true attempts: 1
	// right code: <nil> state: confirmed hash kept: false
}

func ExampleLimiter_Decide() {
	l := verify.Limiter{Cooldown: time.Minute, Window: time.Hour, MaxSends: 3}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	sends := []time.Time{now.Add(-40 * time.Minute), now.Add(-30 * time.Second)}

	fmt.Printf("%q\n", l.Decide(sends, now))
	fmt.Printf("%q\n", l.Decide(sends, now.Add(time.Minute)))
	sends = append(sends, now.Add(time.Minute))
	fmt.Printf("%q\n", l.Decide(sends, now.Add(5*time.Minute)))
	fmt.Printf("%q\n", l.Decide(sends, now.Add(21*time.Minute)))
	// Output:
	// "cooldown"
	// ""
	// "window"
	// ""
}

func ExampleParseLinkTemplate() {
	t, err := verify.ParseLinkTemplate("https://example.com/verify?user={{.UserID | urlquery}}&code={{.Code}}")
	if err != nil {
		panic(err)
	}
	link, err := verify.RenderLink(t, verify.LinkData{UserID: "ann@example.com", Code: "K7Q2XZ"})
	fmt.Println(link, err)

	_, err = verify.ParseLinkTemplate("https://example.com/verify?c={{.Nope}}")
	fmt.Println(err != nil)
	// Output:
	// https://example.com/verify?user=ann%40example.com&code=K7Q2XZ <nil>
	// true
}
