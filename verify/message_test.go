package verify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idupdate/idupdate/verify"
)

const secretCode = "K7Q2XZ"

func sampleMessage() verify.Message {
	return verify.Message{
		ChallengeID: "ch-1", RecordType: "user", RecordID: "u-42", Path: "/email",
		Channel: verify.Email, To: "new@example.com", Code: secretCode,
		Expires: t0.Add(time.Hour), Link: "https://example.com/verify?c=" + secretCode,
	}
}

func TestMessageRedacted(t *testing.T) {
	m := sampleMessage()
	t.Run("SlogJSON", func(t *testing.T) {
		var buf bytes.Buffer
		slog.New(slog.NewJSONHandler(&buf, nil)).Info("sending", "msg", m)
		out := buf.String()
		require.Contains(t, out, `"to":"new@example.com"`, "the record must carry the message")
		assert.NotContains(t, out, secretCode)
		assert.Contains(t, out, `"code":"[redacted]"`)
	})
	t.Run("SlogText", func(t *testing.T) {
		var buf bytes.Buffer
		slog.New(slog.NewTextHandler(&buf, nil)).Info("sending", "msg", m)
		require.Contains(t, buf.String(), "msg.path=/email")
		assert.NotContains(t, buf.String(), secretCode)
	})
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		t.Run("Fmt"+verb, func(t *testing.T) {
			out := fmt.Sprintf(verb, m)
			require.Contains(t, out, "new@example.com")
			assert.NotContains(t, out, secretCode)
		})
	}
	t.Run("WrappedInError", func(t *testing.T) {
		err := fmt.Errorf("send %v: %w", m, errors.New("down"))
		assert.NotContains(t, err.Error(), secretCode)
	})
	t.Run("EmptyCodeShownEmpty", func(t *testing.T) {
		m := m
		m.Code, m.Link = "", ""
		assert.Contains(t, m.String(), `Code:""`)
	})
}

func TestMessageJSON(t *testing.T) {
	want, err := os.ReadFile("testdata/message.json")
	require.NoError(t, err)
	m := sampleMessage()

	got, err := json.Marshal(m)

	require.NoError(t, err)
	assert.JSONEq(t, string(want), string(got), "the webhook body must carry the code")

	var back verify.Message
	require.NoError(t, json.Unmarshal(got, &back))
	assert.Equal(t, m, back)
}

func TestDispatcherFunc(t *testing.T) {
	var got verify.Message
	var d verify.Dispatcher = verify.DispatcherFunc(func(_ context.Context, m verify.Message) error {
		got = m
		return errors.New("down")
	})

	err := d.Dispatch(context.Background(), sampleMessage())

	assert.EqualError(t, err, "down")
	assert.Equal(t, sampleMessage(), got)
}
