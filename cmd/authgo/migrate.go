package main

import (
	"context"
	"fmt"
)

func runMigrate(ctx context.Context, c *cli, args []string) int {
	fs := newFlagSet(c, "migrate", "migrate [--data DIR] [--db FILE|URL]", `
Create or upgrade the database schema, in one transaction, and print what
was done, one line a change, or "up to date". Existing users, sessions and
sign-outs are kept.

With --db postgres://… (or AUTH_DATABASE_URL) it creates the Auth.js
tables of @auth/pg-adapter that are missing, adopting a database a Next.js
app already uses, and authgo's own authgo_ tables and indexes. authgo serve
does not migrate PostgreSQL itself: run this first, and after each upgrade
of authgo. A SQLite file (the default, <data>/authgo.db) is also migrated
by serve when it opens it.

	AUTH_DATABASE_URL=postgres://authgo:PASSWORD@db.example/authgo authgo migrate`)
	var data dataFlags
	data.register(fs)
	if code, ok := parseNoArgs(c, fs, args); !ok {
		return code
	}
	applied, where, err := c.migrateDatabase(ctx, &data)
	if err != nil {
		c.errorf("%v", err)
		return exitFail
	}
	for _, line := range applied {
		fmt.Fprintln(c.stdout, line)
	}
	if len(applied) == 0 {
		fmt.Fprintln(c.stdout, "up to date")
	}
	c.errorf("migrated %s", where)
	return exitOK
}
