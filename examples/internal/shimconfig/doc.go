// Package shimconfig reads the shim server's -config file and builds the
// vendor adapters over a store, for the example commands.
package shimconfig
