package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOutput runs the tour and compares what it prints with the golden
// file, which the README quotes from.
func TestOutput(t *testing.T) {
	want, err := os.ReadFile(filepath.Join("testdata", "output.txt"))
	require.NoError(t, err)
	var got bytes.Buffer
	require.NoError(t, run(context.Background(), &got))
	assert.Equal(t, string(want), got.String())
}
