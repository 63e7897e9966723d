package sqlite

// DSN exposes the connection string Open uses for the writer, so the
// baseline benchmark runs on exactly the same driver settings.
func DSN(path string, opts ...Option) string {
	cfg := config{synchronous: "FULL"}
	for _, o := range opts {
		o(&cfg)
	}
	return dsn(path, cfg, false)
}
