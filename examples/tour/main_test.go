package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTourOutput runs the tour and compares its output with
// testdata/output.txt, which the README shows.
func TestTourOutput(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, tour(context.Background(), filepath.Join(t.TempDir(), "tour.db"), &out))
	want, err := os.ReadFile(filepath.Join("testdata", "output.txt"))
	require.NoError(t, err)
	assert.Equal(t, string(want), out.String())
}

// TestREADMEGoSnippetsAreQuoted checks that every Go block of the README
// is quoted verbatim from the file its marker names, so each one is
// compiled and tested, and that the output the README shows is the tour's.
func TestREADMEGoSnippetsAreQuoted(t *testing.T) {
	md, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	blocks := regexp.MustCompile("(?s)(<!-- quoted from ([^ ]+) -->\n)?```go\n(.*?)\n```").FindAllStringSubmatch(string(md), -1)
	require.NotEmpty(t, blocks)
	for _, b := range blocks {
		require.NotEmpty(t, b[2], "a Go block without a <!-- quoted from FILE --> marker:\n%s", b[3])
		src, err := os.ReadFile(filepath.Join("..", "..", b[2]))
		require.NoError(t, err)
		assert.True(t, strings.Contains(string(src), b[3]+"\n"), "the README's block is not a verbatim part of %s", b[2])
	}
	want, err := os.ReadFile(filepath.Join("testdata", "output.txt"))
	require.NoError(t, err)
	assert.Contains(t, string(md), "It prints:\n\n```\n"+string(want)+"```", "the README shows the tour's output")
}
