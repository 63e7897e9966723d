// Package storeopen opens the store a -store flag names and finds the key
// its verification codes are hashed with, for the example commands.
package storeopen
