package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"slices"
	"strings"
	"unicode"
)

// ErrNotDatabase is returned by Open when path names something that is not
// an SQLite database (a text file, a directory, another binary format).
// Open then creates and changes nothing.
var ErrNotDatabase = errors.New("storage/sqlite: not an SQLite database")

// ErrForeignDatabase is returned by Open when path is an SQLite database
// with tables of another program and none of this package's migrations.
// Open then creates and changes nothing in it.
var ErrForeignDatabase = errors.New("storage/sqlite: SQLite database of another program")

// sqliteHeader begins every SQLite 3 database file.
const sqliteHeader = "SQLite format 3\x00"

// checkFile looks at what is at path before Open writes anything: nothing,
// an empty file or an SQLite file of this package's pass; anything else is
// refused with an error saying what was found.
func checkFile(path string) error {
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("storage/sqlite: %w", err)
	}
	if info.IsDir() {
		return fmt.Errorf("%w: %s is a directory", ErrNotDatabase, path)
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("%w: %s is not a regular file (%s)", ErrNotDatabase, path, info.Mode().Type())
	}
	if info.Size() == 0 {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("storage/sqlite: %w", err)
	}
	head := make([]byte, 64)
	n, err := io.ReadFull(f, head)
	_ = f.Close()
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("storage/sqlite: read %s: %w", path, err)
	}
	head = head[:n]
	if !strings.HasPrefix(string(head), sqliteHeader) {
		return fmt.Errorf("%w: %s (%d bytes) %s", ErrNotDatabase, path, info.Size(), describe(head))
	}
	return checkTables(path)
}

// describe says in a few words what a file that is not SQLite begins with.
func describe(head []byte) string {
	text := strings.ToValidUTF8(string(head), "\uFFFD")
	printable := !strings.ContainsRune(text, '\uFFFD') && strings.IndexFunc(text, func(r rune) bool {
		return !unicode.IsPrint(r) && !unicode.IsSpace(r)
	}) < 0
	if !printable {
		return fmt.Sprintf("begins with the bytes % x", head[:min(len(head), 8)])
	}
	line, _, _ := strings.Cut(text, "\n")
	if len(line) > 32 {
		line = line[:32] + "…"
	}
	return fmt.Sprintf("is a text file beginning %q", line)
}

// checkTables opens an SQLite file read-only and refuses it when it has
// tables but not this package's schema_migrations with its first migration.
func checkTables(path string) error {
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		return fmt.Errorf("storage/sqlite: open %s: %w", path, err)
	}
	defer db.Close()
	ctx := context.Background()
	rows, err := db.QueryContext(ctx, `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrNotDatabase, path, err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return fmt.Errorf("storage/sqlite: read tables of %s: %w", path, err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("storage/sqlite: read tables of %s: %w", path, err)
	}
	if len(tables) == 0 {
		return nil
	}
	first, err := migrations()
	if err != nil {
		return err
	}
	if slices.Contains(tables, "schema_migrations") {
		var name string
		err := db.QueryRowContext(ctx, `SELECT name FROM schema_migrations WHERE version = 1`).Scan(&name)
		if err == nil && name == first[0].name {
			return nil
		}
	}
	shown := tables
	if len(shown) > 5 {
		shown = append(slices.Clone(shown[:5]), "…")
	}
	return fmt.Errorf("%w: %s has the tables %s and no idupdate schema", ErrForeignDatabase, path, strings.Join(shown, ", "))
}
